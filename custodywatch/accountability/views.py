"""Pages of accountability: heads ranked by rates, a head's record across units and the
records behind each figure; proceedings; the Victim Compensation Fund. Thin: forms parse,
services write, selectors read (and audit)."""

from __future__ import annotations

import datetime as dt

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from custodywatch.accountability import forms, selectors, services
from custodywatch.accountability.models import (
    Proceeding,
    ProceedingStatus,
    RecourseClaim,
    TreasuryRegister,
)
from custodywatch.accounts.audit import Origin
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest
from custodywatch.cases.models import Charge, CompensationClaim, Officer, Verdict
from custodywatch.kernels.accountability import RATE_FIGURES
from custodywatch.registry.models import HeadAppointment
from custodywatch.reports import selectors as report_selectors


def _origin(request: AuthedRequest) -> Origin:
    return request.origin


def rate_labels() -> dict[str, str]:
    return {"unjustified": _("Unjustified detentions (released without charge or quashed)"),
            "safeguards_late": _("Safeguards late"),
            "intake_injuries": _("Injuries found at intake"),
            "blind_minutes": _("Blind custody minutes"),
            "substantiated": _("Complaints substantiated"),
            "convictions": _("Convictions of subordinates")}


def _period(request: AuthedRequest) -> report_selectors.Period:
    return report_selectors.parse_period(request.GET.get("period", ""), timezone.localdate())


def _errors(request: AuthedRequest, error: ValidationError) -> None:
    for field, texts in error.message_dict.items():
        for text in texts:
            messages.error(request, f"{field}: {text}")


# ------------------------------------------------------------------ heads

@login_required
def heads(request: AuthedRequest) -> HttpResponse:
    if not report_selectors.may_read_reports(request.user):
        raise PermissionDenied
    period = _period(request)
    sort = request.GET.get("sort", RATE_FIGURES[0])
    regions = report_selectors.regions_in_scope(user=request.user)
    region_code = request.GET.get("region", "")
    if region_code not in {region.code for region in regions}:
        region_code = ""
    scores = selectors.heads_ranked(user=request.user, origin=_origin(request), period=period,
                                    sort=sort, region_code=region_code)
    return render(request, "accountability/heads.html", {
        "scores": scores, "period": period, "sort": sort if sort in RATE_FIGURES
        else RATE_FIGURES[0], "labels": rate_labels(), "regions": regions,
        "region_code": region_code})


@login_required
def head_person(request: AuthedRequest, pk: int) -> HttpResponse:
    if not report_selectors.may_read_reports(request.user):
        raise PermissionDenied
    period = _period(request)
    try:
        record = selectors.head_person(user=request.user, origin=_origin(request), pk=pk,
                                       period=period)
    except Officer.DoesNotExist:
        raise Http404(_("No such head in your scope for this period.")) from None
    return render(request, "accountability/head_person.html", {
        "record": record, "period": period, "labels": rate_labels()})


@login_required
def head_figure(request: AuthedRequest, pk: int, figure: str) -> HttpResponse:
    if not report_selectors.may_read_reports(request.user):
        raise PermissionDenied
    period = _period(request)
    try:
        head, start, end, rows = selectors.head_figure_records(
            user=request.user, origin=_origin(request), pk=pk, figure=figure, period=period)
    except HeadAppointment.DoesNotExist:
        raise Http404(_("No such figure in your scope.")) from None
    kind = ("custody" if figure in selectors.CUSTODY_FIGURES else
            "complaints" if figure == "substantiated" else "cases")
    return render(request, "accountability/head_figure.html", {
        "head": head, "start": start, "last_day": end - dt.timedelta(days=1),
        "rows": rows[:selectors.RECORDS_LIMIT], "total": rows.count(), "kind": kind,
        "label": rate_labels().get(figure, figure), "period": period})


# ------------------------------------------------------------------ proceedings

@login_required
def proceedings(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    rows = selectors.proceedings_list(user=request.user, origin=_origin(request), status=status)
    return render(request, "accountability/proceedings.html", {
        "rows": rows[:500], "status": status, "statuses": ProceedingStatus.choices})


@login_required
def proceeding(request: AuthedRequest, pk: int) -> HttpResponse:
    origin = _origin(request)
    try:
        row = selectors.proceeding_detail(user=request.user, origin=origin, pk=pk)
    except Proceeding.DoesNotExist:
        raise Http404(_("No such proceeding in your scope.")) from None
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class = {"open": forms.OpenForm, "decline": forms.DeclineForm,
                      "decide": forms.DecideForm, "duty": forms.DutyForm}.get(action)
        form = form_class(request.POST) if form_class else None
        if form is None or not form.is_valid():
            for field, texts in (form.errors.items() if form else [("action", ["?"])]):
                for text in texts:
                    messages.error(request, f"{field}: {text}")
            return redirect("accountability:proceeding", pk=row.pk)
        data = form.cleaned_data
        try:
            if action == "open":
                services.proceeding_open(acting_user=request.user, origin=origin,
                                         proceeding=row, opened_on=data["opened_on"],
                                         note=data["note"])
            elif action == "decline":
                services.proceeding_decline(acting_user=request.user, origin=origin,
                                            proceeding=row, note=data["note"])
            elif action == "decide":
                services.proceeding_decide(acting_user=request.user, origin=origin,
                                           proceeding=row, decided_on=data["decided_on"],
                                           sanction=data["sanction"],
                                           effective_on=data["effective_on"],
                                           note=data["note"])
            else:
                services.officer_duty_set(acting_user=request.user, origin=origin,
                                          officer=row.officer, status=data["status"],
                                          since=data["since"])
            messages.success(request, _("Saved."))
        except ValidationError as error:
            _errors(request, error)
        return redirect("accountability:proceeding", pk=row.pk)
    can_act = has_capability(request.user, Capability.RUN_PROCEEDINGS)
    return render(request, "accountability/proceeding.html", {
        "row": row, "can_act": can_act, "open_form": forms.OpenForm(),
        "decline_form": forms.DeclineForm(), "decide_form": forms.DecideForm(),
        "duty_form": forms.DutyForm()})


# ------------------------------------------------------------------ the Fund

@login_required
def fund(request: AuthedRequest) -> HttpResponse:
    overview = selectors.fund_overview(user=request.user, origin=_origin(request))
    return render(request, "accountability/fund.html", {
        **overview, "is_officer": has_capability(request.user, Capability.DECIDE_COMPENSATION),
        "day_form": forms.DayForm(initial={"day": timezone.localdate()})})


def _claim(request: AuthedRequest, pk: int) -> CompensationClaim:
    found = selectors.claims_visible(user=request.user).select_related("case").filter(
        pk=pk).first()
    if found is None:
        raise Http404(_("No such claim in your scope."))
    return found


@login_required
def fund_claim(request: AuthedRequest, pk: int) -> HttpResponse:
    if not selectors.may_read_fund(request.user):
        raise PermissionDenied
    claim = _claim(request, pk)
    origin = _origin(request)
    if request.method == "POST":
        action = request.POST.get("action", "")
        form: django_forms.Form = (forms.RecourseForm(request.POST) if action == "recourse"
                                   else forms.DayForm(request.POST))
        if not form.is_valid():
            for field, texts in form.errors.items():
                for text in texts:
                    messages.error(request, f"{field}: {text}")
            return redirect("accountability:fund_claim", pk=claim.pk)
        day = form.cleaned_data["day"]
        try:
            if action == "review":
                services.fund_review(acting_user=request.user, origin=origin, claim=claim,
                                     reviewed_on=day)
            elif action == "decide":
                services.fund_decide(acting_user=request.user, origin=origin, claim=claim,
                                     decided_on=day)
            elif action == "recourse":
                officer = Officer.objects.filter(pk=form.cleaned_data["officer"]).first()
                if officer is None:
                    raise ValidationError({"officer": _("Choose the convicted officer.")})
                services.recourse_file(acting_user=request.user, origin=origin, claim=claim,
                                       officer=officer, filed_on=day)
            else:
                raise ValidationError({"action": _("Unknown action.")})
            messages.success(request, _("Saved."))
        except ValidationError as error:
            _errors(request, error)
        return redirect("accountability:fund_claim", pk=claim.pk)
    convicted = Officer.objects.filter(
        parties__charges_as_accused__case_id=claim.case_id,
        parties__charges_as_accused__victim_id=claim.victim_id,
        parties__charges_as_accused__verdict=Verdict.CONVICTED).distinct()
    return render(request, "accountability/fund_claim.html", {
        "claim": claim, "review": getattr(claim, "fund_review", None),
        "charges": Charge.objects.filter(case_id=claim.case_id, victim_id=claim.victim_id),
        "convicted": convicted, "recourse": claim.recourse_claims.select_related("officer"),
        "can_review": has_capability(request.user, Capability.REVIEW_FUND_CLAIMS),
        "is_officer": has_capability(request.user, Capability.DECIDE_COMPENSATION),
        "day_form": forms.DayForm(initial={"day": timezone.localdate()})})


@login_required
@require_POST
def register_create(request: AuthedRequest) -> HttpResponse:
    try:
        register = services.treasury_register_create(acting_user=request.user,
                                                     origin=_origin(request))
        messages.success(request, _("Register %(number)s made.") % {"number": register.number})
    except ValidationError as error:
        _errors(request, error)
    return redirect("accountability:fund")


@login_required
@require_POST
def register_paid(request: AuthedRequest, pk: int) -> HttpResponse:
    origin = _origin(request)
    try:
        register = selectors.register_visible(user=request.user, origin=origin, pk=pk)
    except TreasuryRegister.DoesNotExist:
        raise Http404(_("No such register in your scope.")) from None
    form = forms.DayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("day: give the day of payment."))
        return redirect("accountability:fund")
    try:
        services.treasury_register_paid(acting_user=request.user, origin=origin,
                                        register=register, paid_on=form.cleaned_data["day"])
        messages.success(request, _("Saved."))
    except ValidationError as error:
        _errors(request, error)
    return redirect("accountability:fund")


REGISTER_TYPES = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@login_required
def register_download(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in REGISTER_TYPES:
        raise Http404
    try:
        register = selectors.register_visible(user=request.user, origin=_origin(request), pk=pk)
    except TreasuryRegister.DoesNotExist:
        raise Http404(_("No such register in your scope.")) from None
    content = (services.register_csv(register) if fmt == "csv"
               else services.register_xlsx(register))
    response = HttpResponse(content, content_type=REGISTER_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{register.number}.{fmt}"'
    return response


@login_required
@require_POST
def recourse(request: AuthedRequest, pk: int) -> HttpResponse:
    if not selectors.may_read_fund(request.user):
        raise PermissionDenied
    row = RecourseClaim.objects.filter(
        pk=pk, claim__in=selectors.claims_visible(user=request.user)).select_related(
        "claim").first()
    if row is None:
        raise Http404(_("No such recourse claim in your scope."))
    form = forms.RecoveredForm(request.POST)
    if not form.is_valid():
        for field, texts in form.errors.items():
            for text in texts:
                messages.error(request, f"{field}: {text}")
        return redirect("accountability:fund_claim", pk=row.claim_id)
    try:
        services.recourse_update(acting_user=request.user, origin=_origin(request),
                                 recourse=row, recovered=form.cleaned_data["recovered"],
                                 on=form.cleaned_data["day"],
                                 written_off=form.cleaned_data["written_off"])
        messages.success(request, _("Saved."))
    except ValidationError as error:
        _errors(request, error)
    return redirect("accountability:fund_claim", pk=row.claim_id)
