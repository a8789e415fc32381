"""Pages of cases: list, new case, case page with its actions, examination (forensic report,
PDF), evidence item, officer and unit pages, and the import of charges. Thin: forms parse,
services write, selectors read (and audit)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from custodywatch.accounts.capabilities import Capability, has_capability, roles_with
from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.models import Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases import batch, body, forms, pictures, report, selectors, services
from custodywatch.cases.models import (
    Case,
    CaseParty,
    CompensationClaim,
    EvidenceItem,
    Examination,
    ExaminationPhoto,
    Officer,
    ReferralOutcome,
    SupportReferral,
)
from custodywatch.complaints.models import LegalHold
from custodywatch.complaints.selectors import complaints_visible
from custodywatch.core import stored_files
from custodywatch.core.actions import Actions, add_service_errors
from custodywatch.custody.models import CustodyRecord
from custodywatch.kernels import case_rules
from custodywatch.ledger import rows as ledger_rows
from custodywatch.ledger import selectors as ledger_selectors
from custodywatch.ledger.package import PackageError
from custodywatch.ledger.services import evidence_package_export
from custodywatch.registry.models import Facility, Region

PAGE_SIZE = 50


# ------------------------------------------------------------------ list and new case


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    form = forms.CaseFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.CaseFilters(
        status=data.get("status", ""), region_code=data.get("region", ""),
        facility_code=data.get("facility", ""), article=data.get("article", ""),
        overdue=data.get("overdue", False), flagged=data.get("flagged", False),
        text=data.get("q", ""))
    cases = selectors.case_list(user=request.user, origin=request.origin, filters=filters)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(case, selectors.clocks_of(case, now)) for case in page]
    query = urlencode({k: v for k, v in request.GET.items()
                       if k != "page" and isinstance(v, str) and v})
    context = {"form": form, "page": page, "rows": rows, "query": query,
               "can_open": has_capability(request.user, Capability.RUN_CASES),
               "target": "#case-results"}
    template = "cases/index.html"
    if getattr(request, "htmx", None) and request.htmx.target == "case-results":
        template += "#results"
    return render(request, template, context)


def _prosecutors_for(user: User) -> QuerySet[User]:
    prosecutors = User.objects.filter(role__in=roles_with(Capability.RUN_CASES), is_active=True)
    if user.scope == Scope.REGION and user.region_id is not None:  # set: accounts' constraint
        prosecutors = prosecutors.filter(region_id=user.region_id) | prosecutors.filter(
            scope=Scope.COUNTRY)
    return prosecutors.order_by("username")


@login_required
def case_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not has_capability(user, Capability.RUN_CASES):
        raise PermissionDenied
    complaints = complaints_visible(user=user).order_by("-received_at")
    initial: dict = {}
    source = request.GET.get("complaint", "")
    # The suspects offered: the officers the complaints accuse (the source one, or on a
    # POST those chosen); pre-checked for a case opened from a complaint.
    sources = complaints.none()
    if request.method == "POST":
        chosen = [pk for pk in request.POST.getlist("complaints") if pk.isdigit()]
        sources = complaints.filter(pk__in=chosen)
    elif source.isdigit():
        complaint = complaints.filter(pk=int(source)).first()
        if complaint is not None:
            sources = complaints.filter(pk=complaint.pk)
            initial = {"complaints": [complaint.pk], "facility": complaint.facility_id,
                       "title": _("Allegation of torture, complaint %(ref)s") % {
                           "ref": complaint.reference},
                       "events_from": complaint.incident_started_at,
                       "events_until": complaint.incident_ended_at,
                       "suspects": list(selectors.officers_accused_in(sources))}
    form = forms.CaseForm(request.POST or None, initial=initial,
                          facilities=Facility.objects.filter(facility_q(user)).order_by("code"),
                          complaints=complaints, prosecutors=_prosecutors_for(user),
                          suspects=selectors.officers_accused_in(sources))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_open(
                acting_user=user, origin=request.origin,
                register_number=data["register_number"], title=data["title"],
                facility=data["facility"], complaints=data["complaints"],
                ex_officio=data["ex_officio"], summary=data["summary"], unit=data["unit"],
                investigating_prosecutor=data["investigating_prosecutor"],
                events_from=data["events_from"], events_until=data["events_until"],
                suspects=data.get("suspects") or ())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Case registered."))
            return redirect("cases:case_detail", pk=case.pk)
    return render(request, "cases/case_new.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


# ------------------------------------------------------------------ case page


def _case(request: AuthedRequest, pk: int) -> Case:
    try:
        return selectors.case_detail(user=request.user, pk=pk, origin=request.origin)
    except Case.DoesNotExist:
        raise Http404(_("No such case in your scope.")) from None


def _action_forms(case: Case, bound: dict) -> dict:
    victims = case.parties.filter(role=CaseParty.Role.VICTIM).select_related("person")
    persons = case.parties.filter(person__isnull=False).select_related("person")
    accused = case.parties.filter(role=CaseParty.Role.ACCUSED).select_related("officer")
    now = timezone.localtime().strftime(forms.MOMENT_FORMAT)
    return {
        "transition": bound.get("transition") or forms.TransitionForm(
            allowed=sorted(case_rules.allowed_transitions(case.status))),
        "step": bound.get("step") or forms.StepForm(initial={"taken_at": now}),
        "person": bound.get("person") or forms.PersonPartyForm(victims=victims),
        "officer": bound.get("officer") or forms.OfficerPartyForm(),
        "charge": bound.get("charge") or forms.ChargeForm(accused=accused, victims=victims),
        "examination": bound.get("examination") or forms.ExaminationRequestForm(
            persons=persons),
        "evidence": bound.get("evidence") or forms.EvidenceForm(
            holds=LegalHold.objects.filter(complaint__in=case.complaints.all()),
            initial={"collected_at": now}),
        "transfer": bound.get("transfer") or forms.TransferForm(
            items=case.evidence.all(), initial={"transferred_at": now}),
        "referral": bound.get("referral") or forms.ReferralForm(victims=victims),
        "referral_service": bound.get("referral_service") or forms.ReferralServiceForm(
            referrals=case.referrals.all(), initial={"given_on": timezone.localdate()}),
        "claim": bound.get("claim") or forms.ClaimForm(
            victims=victims, initial={"claimed_at": timezone.localdate()}),
        "decision": bound.get("decision") or forms.DecisionForm(
            initial={"decided_at": timezone.localdate()}),
    }


def _render_case(request: AuthedRequest, case: Case, status: int = 200, **bound: object
                 ) -> HttpResponse:
    user = request.user
    contents = selectors.case_contents(user=user, case=case)
    can_write = selectors.can_write(user=user, case=case)
    can_decide = has_capability(user, Capability.DECIDE_COMPENSATION)
    action_forms = _action_forms(case, bound) if can_write or can_decide else {}
    for slot, form in action_forms.items():
        form.auto_id = f"id_{slot}_%s"  # many forms on one page: ids stay unique
    context = {
        "case": case, "c": contents, "clocks": pictures.clock_views(selectors.clocks_of(case)),
        "can_write": can_write,
        "can_decide": can_decide,
        "chain_svg": pictures.evidence_chain_svg(contents.evidence),
        "timeline": pictures.case_timeline(contents.transitions, contents.steps),
        "active": bound.pop("active", ""),
        "forms": action_forms,
        "referral_statuses": SupportReferral.Status.choices,
        "referral_outcomes": ReferralOutcome.choices,
    }
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _render_case(request, _case(request, pk))


def _victims(case: Case) -> QuerySet[CaseParty]:
    return case.parties.filter(role=CaseParty.Role.VICTIM).select_related("person")


def _accused(case: Case) -> QuerySet[CaseParty]:
    return case.parties.filter(role=CaseParty.Role.ACCUSED)


def _may_write(request: AuthedRequest, case: Case) -> None:
    if not selectors.can_write(user=request.user, case=case):
        raise PermissionDenied


# The case page's actions: name, form, check, service call (core.actions). A compensation
# decision has no case-writer check: the service lets the decision-makers decide.
ACTIONS: Actions[Case] = Actions()


@ACTIONS.action("transition", form=lambda request, case: forms.TransitionForm(request.POST),
                check=_may_write)
def _transition(request: AuthedRequest, case: Case, form: forms.TransitionForm) -> None:
    d = form.cleaned_data
    services.case_transition(acting_user=request.user, origin=request.origin, case=case,
                             to_status=d["to_status"], ground=d["ground"], note=d["note"],
                             at=d["at"])


@ACTIONS.action("step", form=lambda request, case: forms.StepForm(request.POST),
                check=_may_write)
def _step(request: AuthedRequest, case: Case, form: forms.StepForm) -> None:
    d = form.cleaned_data
    services.case_step_add(acting_user=request.user, origin=request.origin, case=case,
                           kind=d["kind"], taken_at=d["taken_at"], description=d["description"])


@ACTIONS.action("person", check=_may_write, form=lambda request, case: forms.PersonPartyForm(
    request.POST, victims=_victims(case)))
def _person(request: AuthedRequest, case: Case, form: forms.PersonPartyForm) -> None:
    d = form.cleaned_data
    # The service refuses a record outside the prosecutor's scope; an unknown number
    # is refused the same way, so that neither says whether the record exists.
    record = (CustodyRecord.objects.filter(pk=d["custody_record"]).first()
              if d["custody_record"] else None)
    if d["custody_record"] and record is None:
        raise ValidationError({"custody_record": _("No such custody record in your scope.")})
    services.party_add_person(acting_user=request.user, origin=request.origin, case=case,
                              role=d["role"], full_name=d["full_name"], iin=d["iin"],
                              date_of_birth=d["date_of_birth"], sex=d["sex"],
                              custody_record=record, represents=d["represents"], note=d["note"])


@ACTIONS.action("officer", form=lambda request, case: forms.OfficerPartyForm(request.POST),
                check=_may_write)
def _officer(request: AuthedRequest, case: Case, form: forms.OfficerPartyForm) -> None:
    d = form.cleaned_data
    services.party_add_officer(acting_user=request.user, origin=request.origin, case=case,
                               role=d["role"], full_name=d["full_name"],
                               personnel_number=d["personnel_number"], rank=d["rank"],
                               position=d["position"], note=d["note"])


@ACTIONS.action("charge", check=_may_write, form=lambda request, case: forms.ChargeForm(
    request.POST, victims=_victims(case), accused=_accused(case)))
def _charge(request: AuthedRequest, case: Case, form: forms.ChargeForm) -> None:
    d = form.cleaned_data
    services.charge_add(acting_user=request.user, origin=request.origin, case=case,
                        accused=d["accused"], victim=d["victim"], article=d["article"],
                        article_part=d["article_part"], **form.outcome())


@ACTIONS.action("examination", check=_may_write,
                form=lambda request, case: forms.ExaminationRequestForm(
                    request.POST, persons=case.parties.filter(person__isnull=False)))
def _examination_request(request: AuthedRequest, case: Case,
                         form: forms.ExaminationRequestForm) -> str:
    d = form.cleaned_data
    examination = services.examination_request(
        acting_user=request.user, origin=request.origin, case=case, subject=d["subject"],
        examiner=d["examiner"], place=d["place"])
    return reverse("cases:examination", args=[examination.pk])


@ACTIONS.action("evidence", check=_may_write, form=lambda request, case: forms.EvidenceForm(
    request.POST, request.FILES, holds=LegalHold.objects.filter(
        complaint__in=case.complaints.all())))
def _evidence_register(request: AuthedRequest, case: Case, form: forms.EvidenceForm) -> str:
    d = form.cleaned_data
    item = services.evidence_register(
        acting_user=request.user, origin=request.origin, case=case, label=d["label"],
        kind=d["kind"], description=d["description"], found_at=d["found_at"],
        collected_by=d["collected_by"], collected_at=d["collected_at"], holder=d["holder"],
        location=d["location"], upload=d["file"], legal_hold=d["legal_hold"])
    return reverse("cases:evidence", args=[item.pk])


@ACTIONS.action("transfer", check=_may_write, form=lambda request, case: forms.TransferForm(
    request.POST, items=case.evidence.all()))
def _transfer(request: AuthedRequest, case: Case, form: forms.TransferForm) -> None:
    d = form.cleaned_data
    services.evidence_transfer(
        acting_user=request.user, origin=request.origin, item=d["item"],
        from_holder=d["from_holder"], from_location=d["from_location"],
        to_holder=d["to_holder"], to_location=d["to_location"],
        transferred_at=d["transferred_at"], reason=d["reason"])


@ACTIONS.action("referral", check=_may_write, form=lambda request, case: forms.ReferralForm(
    request.POST, victims=_victims(case)))
def _referral(request: AuthedRequest, case: Case, form: forms.ReferralForm) -> None:
    d = form.cleaned_data
    services.referral_add(acting_user=request.user, origin=request.origin, case=case,
                          victim=d["victim"], kind=d["kind"], crisis_centre=d["crisis_centre"],
                          consent=d["consent"], note=d["note"])


@ACTIONS.action("referral_status", slot="referral", check=_may_write,
                form=lambda request, case: forms.ReferralStatusForm(request.POST))
def _referral_status(request: AuthedRequest, case: Case, form: forms.ReferralStatusForm) -> None:
    referral = get_object_or_404(case.referrals, pk=form.cleaned_data["referral"])
    services.referral_status_set(acting_user=request.user, origin=request.origin,
                                 referral=referral, status=form.cleaned_data["status"],
                                 outcome=form.cleaned_data["outcome"])


@ACTIONS.action("referral_service", check=_may_write,
                form=lambda request, case: forms.ReferralServiceForm(
                    request.POST, referrals=case.referrals.all()))
def _referral_service(request: AuthedRequest, case: Case, form: forms.ReferralServiceForm) -> None:
    d = form.cleaned_data
    referral = get_object_or_404(case.referrals, pk=d["referral"])
    services.referral_service_add(acting_user=request.user, origin=request.origin,
                                  referral=referral, kind=d["kind"], given_on=d["given_on"],
                                  sessions=d["sessions"], note=d["note"])


@ACTIONS.action("claim", check=_may_write, form=lambda request, case: forms.ClaimForm(
    request.POST, victims=_victims(case)))
def _claim(request: AuthedRequest, case: Case, form: forms.ClaimForm) -> None:
    d = form.cleaned_data
    services.compensation_claim_add(acting_user=request.user, origin=request.origin,
                                    case=case, victim=d["victim"], claimed_at=d["claimed_at"],
                                    amount_claimed=d["amount_claimed"], note=d["note"])


@ACTIONS.action("decision", form=lambda request, case: forms.DecisionForm(request.POST))
def _decision(request: AuthedRequest, case: Case, form: forms.DecisionForm) -> None:
    d = form.cleaned_data
    claim_pk = str(request.POST.get("claim", ""))
    claim = (CompensationClaim.objects.filter(case=case, pk=int(claim_pk)).first()
             if claim_pk.isdigit() else None)
    if claim is None:
        raise Http404
    services.compensation_decide(acting_user=request.user, origin=request.origin, claim=claim,
                                 decision=d["decision"], decided_at=d["decided_at"],
                                 amount_granted=d["amount_granted"], paid_at=d["paid_at"])


@login_required
@require_POST
def case_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    case = _case(request, pk)
    outcome = ACTIONS.dispatch(request, case, action)
    slot = outcome.action.place
    if outcome.ok:
        messages.success(request, _("Saved."))
        return redirect(outcome.result
                        or reverse("cases:case_detail", args=[case.pk]) + f"#{slot}")
    return _render_case(request, case, status=422, active=slot, **{slot: outcome.form})


# ------------------------------------------------------------------ examinations


def _examination(request: AuthedRequest, pk: int) -> Examination:
    try:
        return selectors.examination_detail(user=request.user, pk=pk, origin=request.origin)
    except Examination.DoesNotExist:
        raise Http404(_("No such forensic report for you.")) from None


def _render_examination(request: AuthedRequest, examination: Examination, status: int = 200,
                        **bound: object) -> HttpResponse:
    findings = list(examination.findings.all())
    can_write = (selectors.may_write_examination(user=request.user, examination=examination)
                 and examination.status == Examination.Status.REQUESTED)
    local = timezone.localtime(examination.examined_at) if examination.examined_at else None
    context = {
        "examination": examination, "case": examination.case, "findings": findings,
        "photos": list(examination.photos.all()), "can_write": can_write,
        "diagram": pictures.body_diagram(findings, clickable=can_write),
        "record_form": bound.get("record") or forms.ExaminationRecordForm(initial={
            "examined_at": local.strftime(forms.MOMENT_FORMAT) if local else
            timezone.localtime().strftime(forms.MOMENT_FORMAT),
            "place": examination.place, "history": examination.history,
            "psychological_findings": examination.psychological_findings,
            "psychological_consistency": examination.psychological_consistency,
            "conclusion": examination.conclusion}),
        "finding_form": bound.get("finding") or forms.FindingForm(),
        "photo_form": bound.get("photo") or forms.PhotoForm(),
        "regions": body.REGIONS,
    }
    return render(request, "cases/examination.html", context, status=status)


@login_required
def examination(request: AuthedRequest, pk: int) -> HttpResponse:
    return _render_examination(request, _examination(request, pk))


EXAMINATION_ACTIONS: Actions[Examination] = Actions()


@EXAMINATION_ACTIONS.action(
    "record", form=lambda request, item: forms.ExaminationRecordForm(request.POST))
def _record(request: AuthedRequest, item: Examination, form: forms.ExaminationRecordForm) -> None:
    d = form.cleaned_data
    services.examination_record(
        acting_user=request.user, origin=request.origin, examination=item,
        examined_at=d["examined_at"], place=d["place"], history=d["history"],
        psychological_findings=d["psychological_findings"],
        psychological_consistency=d["psychological_consistency"],
        conclusion=d["conclusion"], complete=d["complete"])


@EXAMINATION_ACTIONS.action("finding", form=lambda request, item: forms.FindingForm(request.POST))
def _finding(request: AuthedRequest, item: Examination, form: forms.FindingForm) -> None:
    d = form.cleaned_data
    services.finding_add(acting_user=request.user, origin=request.origin, examination=item,
                         view=d["view"], body_region=d["body_region"], x=d["x"], y=d["y"],
                         description=d["description"], consistency=d["consistency"])


@EXAMINATION_ACTIONS.action(
    "photo", form=lambda request, item: forms.PhotoForm(request.POST, request.FILES))
def _photo(request: AuthedRequest, item: Examination, form: forms.PhotoForm) -> None:
    services.photo_add(acting_user=request.user, origin=request.origin, examination=item,
                       upload=form.cleaned_data["photo"], caption=form.cleaned_data["caption"])


@login_required
@require_POST
def examination_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    item = _examination(request, pk)
    outcome = EXAMINATION_ACTIONS.dispatch(request, item, action)
    if outcome.ok:
        messages.success(request, _("Saved."))
        return redirect("cases:examination", pk=item.pk)
    return _render_examination(request, item, status=422, **{action: outcome.form})


@login_required
def examination_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _examination(request, pk)
    payload = report.examination_pdf(examination=item, findings=list(item.findings.all()))
    response = HttpResponse(payload, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="examination-{item.case.register_number}-{item.pk}.pdf"')
    return response


@login_required
def photo(request: AuthedRequest, pk: int) -> HttpResponse | FileResponse:
    picture = ExaminationPhoto.objects.select_related("examination").filter(pk=pk).first()
    if picture is None:
        raise Http404
    _examination(request, picture.examination_id)  # the report's readers only; audited
    try:
        handle = stored_files.open_verified(picture, picture.file, picture.sha256)
    except stored_files.StoredFileDamaged as error:
        return stored_files.refusal(error)
    return FileResponse(handle, content_type=picture.media_type)


# ------------------------------------------------------------------ evidence


def _evidence(request: AuthedRequest, pk: int) -> EvidenceItem:
    try:
        return selectors.evidence_detail(user=request.user, pk=pk, origin=request.origin)
    except EvidenceItem.DoesNotExist:
        raise Http404(_("No such evidence item in your scope.")) from None


@login_required
def evidence(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _evidence(request, pk)
    leaves = selectors.evidence_ledger_leaves(item=item)
    proof = None
    if leaves and ledger_selectors.can_read_leaves(request.user):
        view = ledger_selectors.leaf_view(user=request.user, index=leaves[0].index)
        proof = pictures.proof_context(view)
    return render(request, "cases/evidence.html", {
        # A row changed behind the application's back is shown as such (issue 17 item 6).
        "ledger_mismatch": ledger_rows.evidence_row_findings(item),
        "item": item, "case": item.case, "transfers": list(item.transfers.all()),
        "file_alert": stored_files.open_alert(item) if item.file else None,
        "leaves": leaves, "proof": proof,
        "chain_svg": pictures.evidence_chain_svg([item]),
    })


@login_required
def evidence_file(request: AuthedRequest, pk: int) -> HttpResponse | FileResponse:
    item = _evidence(request, pk)
    if not item.file:
        raise Http404
    try:  # never served as evidence unless it is what was registered
        handle = stored_files.open_verified(item, item.file, item.sha256)
    except stored_files.StoredFileDamaged as error:
        return stored_files.refusal(error)
    response = FileResponse(handle, as_attachment=True,
                            filename=item.original_name or item.sha256)
    response["X-Content-SHA256"] = item.sha256
    return response


@login_required
def evidence_package(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        case = selectors.case_for_evidence_package(user=request.user, pk=pk,
                                                   origin=request.origin)
    except Case.DoesNotExist:
        raise Http404(_("No such case in your scope.")) from None
    indexes, files = selectors.evidence_package_indexes(case=case)
    for item in case.evidence.exclude(file=""):
        problem = stored_files.check_object(item, item.file, item.sha256)
        if problem is not None:
            # A court package never carries a damaged file, nor silently leaves one out.
            alert = stored_files.open_alert(item)  # the first problem found, if still open
            error = stored_files.StoredFileDamaged(
                alert.problem if alert is not None else problem, item.file.name or "")
            return stored_files.refusal(error)
    if not indexes:
        messages.warning(request, _("No evidence of this case is in the signed ledger yet; "
                                    "the package can be made after the next checkpoint."))
        return redirect("cases:case_detail", pk=case.pk)
    try:
        payload = evidence_package_export(acting_user=request.user, origin=request.origin,
                                          indexes=indexes, files=files)
    except PackageError as error:
        messages.warning(request, str(error))
        return redirect("cases:case_detail", pk=case.pk)
    response = HttpResponse(payload, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="evidence-{case.register_number}.zip"')
    return response


# ------------------------------------------------------------------ officer and unit


@login_required
def officer(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        person, cases = selectors.officer_cases(user=request.user, pk=pk,
                                                origin=request.origin)
    except Officer.DoesNotExist:
        raise Http404(_("No such officer in your cases.")) from None
    parties = (CaseParty.objects.filter(officer=person, case__in=cases)
               .select_related("case", "unit_head").order_by("-case__registered_at"))
    charges = {}
    for party in parties:
        charges[party.pk] = list(party.charges_as_accused.all())
    return render(request, "cases/officer.html", {"officer": person, "parties": parties,
                                                  "charges": charges})


@login_required
def unit(request: AuthedRequest, code: str) -> HttpResponse:
    try:
        facility, cases, heads = selectors.unit_cases(user=request.user, code=code,
                                                      origin=request.origin)
    except Facility.DoesNotExist:
        raise Http404(_("No such unit in your scope.")) from None
    rows = []
    for case in cases.order_by("-registered_at"):
        day = timezone.localtime(case.events_from or case.registered_at).date()
        rows.append((case, selectors.head_at(heads, day)))
    return render(request, "cases/unit.html", {"facility": facility, "rows": rows,
                                               "heads": heads})


# ------------------------------------------------------------------ import


@login_required
def charges_import(request: AuthedRequest) -> HttpResponse:
    if not has_capability(request.user, Capability.RUN_CASES):
        raise PermissionDenied
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8")
            rows = batch.parse_csv(text)
            result = batch.charges_import(acting_user=request.user, origin=request.origin,
                                          rows=rows, source="csv")
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        except ValidationError as error:
            for messages_ in error.message_dict.values():
                form.add_error("file", messages_)
    status = 422 if request.method == "POST" and result is None else 200
    return render(request, "cases/import.html", {"form": form, "result": result,
                                                 "columns": batch.COLUMNS}, status=status)




# ------------------------------------------------------------------ crisis centres, exclusions


@login_required
def crisis_centres(request: AuthedRequest) -> HttpResponse:
    """The registry of crisis centres: region, services, contacts, and how they answer the
    referrals of the reader's scope."""
    if not selectors.may_read_crisis_centres(request.user):
        raise PermissionDenied
    region_code = request.GET.get("region", "")
    kind = request.GET.get("kind", "")
    if kind not in SupportReferral.Kind.values:
        kind = ""
    centres = selectors.crisis_centres(user=request.user, region_code=region_code, kind=kind)
    return render(request, "cases/crisis_centres.html", {
        "centres": centres, "regions": Region.objects.order_by("code"),
        "region_code": region_code, "kind": kind, "kinds": SupportReferral.Kind.choices})


@login_required
def exclusions(request: AuthedRequest) -> HttpResponse:
    """Evidence excluded by the courts as obtained by torture: the list and, for
    prosecutors, the form to record a ruling."""
    found = selectors.evidence_exclusions(user=request.user, origin=request.origin)
    may_record = has_capability(request.user, Capability.RUN_CASES)
    facilities = Facility.objects.filter(facility_q(request.user)).order_by("code")
    form = forms.ExclusionForm(request.POST or None, facilities=facilities)
    status = 200
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.evidence_exclusion_record(
                    acting_user=request.user, origin=request.origin, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("cases:exclusions")
        status = 422
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "cases/exclusions.html", {
        "page": page, "form": form if may_record else None}, status=status)
