"""Pages of independent medical examinations: the worklist, a person's examinations with the
examination form on the body map, an examination, its photographs and the person's copy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms import ChoiceField
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from custodywatch.accounts.audit import audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.models import AuditEvent
from custodywatch.cases import body
from custodywatch.cases.pictures import body_diagram
from custodywatch.custody.forms import MOMENT_FORMAT
from custodywatch.custody.models import CustodyRecord
from custodywatch.kernels import risk_rules
from custodywatch.medical import forms, report, selectors, services
from custodywatch.medical import risk as risk_module
from custodywatch.medical.models import Death, Examination, Injury, Photo, RiskAlert


def _require_reader(request: AuthedRequest) -> None:
    if not selectors.is_reader(request.user):
        raise Http404(_("No such page for your role."))


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    _require_reader(request)
    data = selectors.worklist(user=request.user, origin=request.origin)
    return render(request, "medical/index.html", {
        **data, "is_examiner": has_capability(request.user, Capability.EXAMINE_DETAINEES),
        "first_step_hours": 24})


def _record(request: AuthedRequest, pk: int) -> CustodyRecord:
    _require_reader(request)
    try:
        return selectors.record_detail(user=request.user, pk=pk,
                                       origin=request.origin)
    except CustodyRecord.DoesNotExist:
        raise Http404(_("No such custody record in your scope.")) from None


def _rows(request: AuthedRequest) -> int:
    try:
        return max(1, min(forms.MAX_ROWS, int(request.GET.get("rows", 6))))
    except ValueError:
        return 6


@login_required
def record(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _record(request, pk)
    may_write = services.may_examine(user=request.user, facility=item.facility)
    form = forms.ExaminationForm(initial={
        "examined_at": timezone.localtime().strftime(MOMENT_FORMAT)})
    injury_forms = forms.InjuryFormSet(prefix="injury")
    injury_forms.extra = _rows(request)
    if request.method == "POST":
        if not may_write:
            services.require_examiner(user=request.user, origin=request.origin,
                                      facility=item.facility, what=f"examination {item.pk}")
        form = forms.ExaminationForm(request.POST)
        injury_forms = forms.InjuryFormSet(request.POST, prefix="injury")
        if form.is_valid() and injury_forms.is_valid():
            injuries = [row for f in injury_forms.forms if (row := f.injury()) is not None]
            try:
                examination = services.examination_add(
                    acting_user=request.user, origin=request.origin, record=item,
                    values=form.values(), injuries=injuries)
            except ValidationError as error:
                for name, texts in error.message_dict.items():
                    target = name if name in form.fields else None
                    for text in texts:
                        form.add_error(target, f"{name}: {text}" if target is None else text)
            except PermissionDenied as error:
                raise Http404(str(error)) from None
            else:
                messages.success(request, _("The examination is recorded."))
                return redirect("medical:examination", pk=examination.pk)
    examinations = list(selectors.examinations_visible(user=request.user)
                        .filter(custody_record=item).prefetch_related("injuries"))
    return render(request, "medical/record.html", {
        "record": item, "examinations": examinations, "may_write": may_write, "form": form,
        "injury_forms": injury_forms,
        "diagram": body_diagram([], clickable=may_write), "more_rows": _rows(request) + 6})


def _examination(request: AuthedRequest, pk: int) -> Examination:
    _require_reader(request)
    try:
        return selectors.examination_detail(user=request.user, pk=pk,
                                            origin=request.origin)
    except Examination.DoesNotExist:
        raise Http404(_("No such examination in your scope.")) from None


def _photo_form(examination: Examination, injuries: list[Injury],
                data=None, files=None) -> forms.PhotoForm:
    form = forms.PhotoForm(data, files)
    labels = {region.code: region.label for region in body.REGIONS}
    cast(ChoiceField, form.fields["injury"]).choices = [("", "—")] + [
        (injury.pk, f"{n}. {labels.get(injury.body_region, injury.body_region)}")
        for n, injury in enumerate(injuries, start=1)]
    return form


def _moments(comparison: dict) -> dict:
    """The comparison's ISO moments as datetimes, so the page shows them in the reader's zone."""
    shown = dict(comparison)
    for key in ("stays", "interrogations"):
        shown[key] = [{**row, **{name: dt.datetime.fromisoformat(row[name])
                                 for name in ("from", "until") if row.get(name)}}
                      for row in comparison.get(key, [])]
    return shown


@login_required
def examination(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _examination(request, pk)
    injuries = list(item.injuries.all())
    referral = selectors.referral_of(user=request.user, examination=item)
    may_add_photo = (request.user.pk == item.examiner_id
                     and services.may_examine(user=request.user,
                                              facility=item.custody_record.facility))
    return render(request, "medical/examination.html", {
        "examination": item, "record": item.custody_record, "injuries": injuries,
        "photos": list(item.photos.all()), "diagram": body_diagram(injuries, clickable=False),
        "regions": body.REGIONS, "may_add_photo": may_add_photo,
        "photo_form": _photo_form(item, injuries),
        "referral": referral,
        "comparison": _moments(referral.comparison) if referral is not None else {}})


@login_required
@require_POST
def photo_add(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _examination(request, pk)
    injuries = list(item.injuries.all())
    form = _photo_form(item, injuries, request.POST, request.FILES)
    if form.is_valid():
        injury = next((i for i in injuries if i.pk == form.cleaned_data["injury"]), None)
        try:
            services.photo_add(acting_user=request.user, origin=request.origin,
                               examination=item, upload=form.cleaned_data["photo"],
                               injury=injury)
        except PermissionDenied as error:
            raise Http404(str(error)) from None
        except ValidationError as error:
            for texts in error.message_dict.values():
                for text in texts:
                    messages.error(request, text)
        else:
            messages.success(request, _("The photograph is stored and its hash is queued "
                                        "for the ledger."))
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))  # ErrorList gives the messages
    return redirect("medical:examination", pk=item.pk)


@login_required
def examination_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _examination(request, pk)
    response = HttpResponse(report.examination_copy_pdf(examination=item),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="examination-{item.pk}.pdf"'
    return response


@login_required
def photo(request: AuthedRequest, pk: int) -> HttpResponse | FileResponse:
    _require_reader(request)
    try:
        picture = selectors.photo_detail(user=request.user, pk=pk,
                                         origin=request.origin)
    except Photo.DoesNotExist:
        raise Http404 from None
    return FileResponse(picture.file.open("rb"), content_type=picture.media_type)


@login_required
def death(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    origin = request.origin
    try:
        item = selectors.death_detail(user=request.user, pk=pk, origin=origin)
    except Death.DoesNotExist:
        raise Http404(_("No such death in your scope.")) from None
    initial = {name: getattr(item, name) for name in services.DEATH_FIELDS}
    for name in ("autopsy_at", "relatives_informed_at"):
        if initial[name]:
            initial[name] = timezone.localtime(initial[name]).strftime(MOMENT_FORMAT)
    form = forms.DeathForm(initial=initial)
    if request.method == "POST":
        form = forms.DeathForm(request.POST)
        if form.is_valid():
            try:
                services.death_record(acting_user=request.user, origin=origin, death=item,
                                      values=form.cleaned_data)
            except PermissionDenied as error:
                raise Http404(str(error)) from None
            except ValidationError as error:
                for name, texts in error.message_dict.items():
                    for text in texts:
                        form.add_error(name if name in form.fields else None, text)
            else:
                messages.success(request, _("The death's record is saved."))
                return redirect("medical:death", pk=item.pk)
    referral = selectors.referrals_visible(user=request.user).filter(
        custody_record=item.custody_record, examination__isnull=True).select_related(
        "complaint", "case").first()
    return render(request, "medical/death.html", {"death": item, "form": form,
                                                  "referral": referral})


# ---------------------------------------------------------------- risk moments


@dataclass(frozen=True)
class ShownAlert:
    """A risk moment as the page shows it: its rule's title, why, and its evidence."""

    alert: RiskAlert
    title: str
    reason: str
    links: list[tuple[str, str | None]]


def _evidence_links(alert, user) -> list[tuple[str, str | None]]:
    """Each ``kind:id`` reference of an alert as (label, link or None)."""
    links = []
    for ref in alert.evidence:
        kind, _sep, pk = ref.partition(":")
        url = None
        if kind == "examination" and selectors.is_reader(user):
            url = reverse("medical:examination", args=[pk])
        elif kind == "complaint":
            url = reverse("complaints:detail", args=[pk])
        elif kind == "record":
            url = reverse("custody:record", args=[pk])
        links.append((ref, url))
    return links


@login_required
def risk(request: AuthedRequest) -> HttpResponse:
    """The rules, each with its explanation and how often it fired in the reader's scope,
    and the latest risk moments with their evidence."""
    if not has_capability(request.user, Capability.READ_RISK_MOMENTS):
        raise Http404(_("No such page for your role."))
    alerts = risk_module.alerts_visible(user=request.user)
    counts = dict(alerts.values_list("rule").annotate(n=Count("pk")).order_by())
    rules = [{"rule": rule, "title": _(rule.title),
              "explanation": _(rule.explanation) % rule.params, "count": counts.get(rule.code, 0)}
             for rule in risk_rules.RULES]
    latest = []
    for alert in alerts.select_related("custody_record__facility").order_by("-at")[:100]:
        rule = risk_rules.BY_CODE.get(alert.rule)
        latest.append(ShownAlert(
            alert=alert, title=_(rule.title) if rule else alert.rule,
            reason=_(alert.why) % alert.facts if alert.facts else _(alert.why),
            links=_evidence_links(alert, request.user)))
    audit_record(actor=request.user, action=AuditEvent.Action.LIST,
                 origin=request.origin, object_type="medical.riskalert",
                 detail={"shown": len(latest)})
    return render(request, "medical/risk.html", {"rules": rules, "alerts": latest})
