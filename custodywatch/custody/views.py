"""Pages of the custody register: the duty desk, the record, overruns and alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest
from custodywatch.accounts.models import Scope
from custodywatch.custody import alerts, forms, hooks, law, presenters, selectors, services
from custodywatch.custody.models import CustodyRecord
from custodywatch.custody.timeline import build_person_timeline, build_timeline
from custodywatch.kernels import deadlines
from custodywatch.registry.models import Facility, Room

DESK_POLL_SECONDS = 30
OVERRUN_PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}

F = TypeVar("F", bound=BaseForm)


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """Facility staff land on their duty desk; those who oversee, on the overruns."""
    user = request.user
    if user.scope == Scope.FACILITY and user.facility is not None:
        return redirect("custody:desk", code=user.facility.code)
    return redirect("custody:overruns")


def _facility(request: AuthedRequest, code: str) -> Facility:
    try:
        return selectors.facility_for_desk(user=request.user, code=code,
                                           origin=request.origin)
    except Facility.DoesNotExist:
        raise Http404(_("No such facility in your scope.")) from None


@login_required
def desk(request: AuthedRequest, code: str) -> HttpResponse:
    facility = _facility(request, code)
    rows = selectors.duty_desk(user=request.user, facility=facility,
                               origin=request.origin, now=timezone.now())
    context = {"facility": facility, "rows": presenters.desk_lines(rows),
               "poll_seconds": DESK_POLL_SECONDS,
               # One reverse() for the page, not one per row: the desk shows hundreds.
               "record_url": reverse("custody:record", args=[0]).removesuffix("0/"),
               "can_write": services.can_write_custody(user=request.user, facility=facility,
                                                       token=None)}
    if request.htmx and request.htmx.target == "desk-results":
        return render(request, "custody/desk.html#results", context)
    return render(request, "custody/desk.html", context)


@login_required
def record_new(request: AuthedRequest, code: str) -> HttpResponse:
    facility = _facility(request, code)
    if not services.can_write_custody(user=request.user, facility=facility, token=None):
        raise PermissionDenied  # overseers read the register; they do not keep it
    rooms = selectors.custody_rooms(facility=facility)
    form = forms.DetentionForm(request.POST or None, rooms=rooms,
                               initial={"regime": law.proposed_regime(facility.kind)})
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        room = values.pop("room")
        try:
            record = services.custody_record_create(
                acting_user=request.user, origin=request.origin,
                facility=facility, values=values, room=room)
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(request, _("Detention registered."))
            return redirect("custody:record", pk=record.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "custody/record_new.html", {"facility": facility, "form": form},
                  status=status)


def _record(request: AuthedRequest, pk: int) -> CustodyRecord:
    try:
        return selectors.custody_record_detail(user=request.user, pk=pk,
                                               origin=request.origin)
    except CustodyRecord.DoesNotExist:
        raise Http404(_("No such custody record in your scope.")) from None


def _record_forms(record: CustodyRecord, now: dt.datetime, **bound: object) -> dict:
    rooms = selectors.custody_rooms(facility=record.facility)
    local_now = timezone.localtime(now).strftime(forms.MOMENT_FORMAT)
    return {
        "move_form": bound.get("move_form") or forms.MoveForm(rooms=rooms,
                                                              initial={"at": local_now}),
        "interrogation_form": bound.get("interrogation_form") or forms.InterrogationForm(
            rooms=rooms, initial={"started_at": local_now}),
        "medical_form": bound.get("medical_form") or forms.MedicalCheckForm(
            initial={"examined_at": local_now}),
        "notification_form": bound.get("notification_form") or forms.NotificationForm(
            initial={"notified_at": local_now}),
        "safeguards_form": bound.get("safeguards_form") or forms.SafeguardsForm(
            instance=record),
        "regime_form": bound.get("regime_form") or forms.RegimeForm(instance=record),
        "end_form": bound.get("end_form") or forms.EndForm(initial={"ended_at": local_now}),
        "review_form": bound.get("review_form") or forms.ReviewForm(
            initial={"reviewed_at": local_now}),
        "risk_form": bound.get("risk_form") or forms.RiskAssessmentForm(
            initial={"assessed_at": local_now}),
        "cell_check_form": bound.get("cell_check_form") or forms.CellCheckForm(
            initial={"checked_at": local_now}),
    }


def _render_record(request: AuthedRequest, record: CustodyRecord, status: int = 200,
                   **bound: object) -> HttpResponse:
    now = timezone.now()
    history = selectors.record_history(record=record)
    facts = alerts.facts_of(record, delays=history["delays"], history=history)
    clocks = alerts.clocks_of(record, now, facts)
    flags = deadlines.safeguard_flags(facts, alerts.recorded_of(record))
    # The record was read through the scoped selector: the apps above custody add what they
    # know of it (video: its blind time; liveview: its live-feed gaps), custody/hooks.py.
    sections = hooks.record_sections(record, history)
    care = _care(request, record, history, facts, now)
    context = {
        "record": record, "history": history,
        "clocks": presenters.clock_views(clocks, regime=record.regime),
        "flags": presenters.flag_texts(flags),
        "delay_form": bound.get("delay_form") or forms.RightDelayForm(
            initial={"authorised_at": timezone.localtime(now).strftime(forms.MOMENT_FORMAT)}),
        "timeline": build_timeline(record=record, history=history, now=now,
                                   blind=list(sections.blind),
                                   feed_gaps=list(sections.feed_gaps),
                                   breached=frozenset(care["breached"]),
                                   missed=care["missed"]),
        "care": care,
        **sections.context,
        "can_write": services.can_write_custody(user=request.user, facility=record.facility,
                                                token=None),
        **_record_forms(record, now, **bound),
    }
    return render(request, "custody/record.html", context, status=status)


def _care(request: AuthedRequest, record: CustodyRecord, history: dict,
          facts: deadlines.CustodyFacts, now: dt.datetime) -> dict:
    """Issue 22, items 4-6: missed reviews and cell checks, and the safeguards each
    interrogation broke. Whether an investigator is accused elsewhere is shown to readers
    of proceedings only: nothing the facility reads changes because of a complaint."""
    words = presenters.interrogation_flag_texts()
    flags = alerts.interrogation_flags_of(record, history["interrogations"], now)
    accused: set[int] = set()
    if has_capability(request.user, Capability.READ_PROCEEDINGS):
        accused = hooks.accused_officers({item.investigator_officer_id
                                          for item in history["interrogations"]})
    rows = []
    for item in history["interrogations"]:
        texts = [(str(flag), words[flag]) for flag in flags.get(item.pk, [])]
        if item.investigator_officer_id in accused:
            texts.append(("accused", words["accused"]))
        rows.append((item, texts))
    names = presenters.words().names
    missed = [(names[clock.kind], item.due_at) for clock, items in deadlines.recurring_clocks(
        facts, now, law.terms_on(record.detained_at)) for item in items]
    assessments = history["risk_assessments"]
    return {"interrogations": rows,
            "breached": [item.pk for item, texts in rows if texts],
            "missed": missed,
            "assessment": assessments[-1] if assessments else None,
            "unverified": sum(1 for check in history["cell_checks"] if check.verified is False)}


@login_required
def record(request: AuthedRequest, pk: int) -> HttpResponse:
    return _render_record(request, _record(request, pk))


@login_required
def person(request: AuthedRequest, pk: int) -> HttpResponse:
    """The person of a record across facilities (by IIN), in the reader's scope."""
    record = _record(request, pk)
    now = timezone.now()
    found = selectors.person_timeline(user=request.user, record=record,
                                      origin=request.origin, now=now)
    return render(request, "custody/person.html", {
        "record": record, "parts": found.parts, "handovers": found.handovers,
        "timeline": build_person_timeline(parts=found.parts, handovers=found.handovers,
                                          now=now)})


def _record_action(form_name: str, build_form: Callable[[AuthedRequest, CustodyRecord], F],
                   call: Callable[[AuthedRequest, CustodyRecord, F], object]
                   ) -> Callable[[AuthedRequest, int], HttpResponse]:
    """A POST on a record: bind the form, call the service, show errors in place."""

    @login_required
    @require_POST
    def view(request: AuthedRequest, pk: int) -> HttpResponse:
        record = _record(request, pk)
        form = build_form(request, record)
        if form.is_valid():
            try:
                call(request, record, form)
            except ValidationError as error:
                forms.add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("custody:record", pk=record.pk)
        return _render_record(request, record, status=422, **{form_name: form})

    return view


def _rooms(record: CustodyRecord) -> QuerySet[Room]:
    return selectors.custody_rooms(facility=record.facility)


def _common(request: AuthedRequest, record: CustodyRecord) -> dict[str, Any]:
    return {"acting_user": request.user, "origin": request.origin,
            "record": record}


record_move = _record_action(
    "move_form",
    lambda request, record: forms.MoveForm(request.POST, rooms=_rooms(record)),
    lambda request, record, form: services.room_stay_move(
        **_common(request, record), room=form.cleaned_data["room"], at=form.cleaned_data["at"]))

record_interrogation = _record_action(
    "interrogation_form",
    lambda request, record: forms.InterrogationForm(request.POST, rooms=_rooms(record)),
    lambda request, record, form: services.interrogation_add(
        **_common(request, record), values=form.cleaned_data))

record_medical = _record_action(
    "medical_form",
    lambda request, record: forms.MedicalCheckForm(request.POST),
    lambda request, record, form: services.medical_check_add(
        **_common(request, record), values=form.service_arguments()[0],
        injuries=form.service_arguments()[1]))

record_notification = _record_action(
    "notification_form",
    lambda request, record: forms.NotificationForm(request.POST),
    lambda request, record, form: services.relatives_notification_add(
        **_common(request, record), values=form.cleaned_data))

record_safeguards = _record_action(
    "safeguards_form",
    # Bound to a copy: a refused change must not show as if saved.
    lambda request, record: forms.SafeguardsForm(
        request.POST, instance=CustodyRecord.objects.get(pk=record.pk)),
    lambda request, record, form: services.custody_record_update(
        **_common(request, record), values={name: form.cleaned_data[name]
                                            for name in form.Meta.fields}))

record_delay = _record_action(
    "delay_form",
    lambda request, record: forms.RightDelayForm(request.POST),
    lambda request, record, form: services.right_delay_add(
        **_common(request, record), values=form.cleaned_data))

record_regime = _record_action(
    "regime_form",
    lambda request, record: forms.RegimeForm(
        request.POST, instance=CustodyRecord.objects.get(pk=record.pk)),
    lambda request, record, form: services.custody_record_update(
        **_common(request, record), values={name: form.cleaned_data[name]
                                            for name in form.Meta.fields}))

record_review = _record_action(
    "review_form",
    lambda request, record: forms.ReviewForm(request.POST),
    lambda request, record, form: services.review_add(
        **_common(request, record), values=form.cleaned_data))

record_risk = _record_action(
    "risk_form",
    lambda request, record: forms.RiskAssessmentForm(request.POST),
    lambda request, record, form: services.risk_assessment_add(
        **_common(request, record), values=form.cleaned_data))

record_cell_check = _record_action(
    "cell_check_form",
    lambda request, record: forms.CellCheckForm(request.POST),
    lambda request, record, form: services.cell_check_add(
        **_common(request, record), values=form.cleaned_data))

record_end = _record_action(
    "end_form",
    lambda request, record: forms.EndForm(request.POST),
    lambda request, record, form: services.custody_record_end(
        **_common(request, record), **form.cleaned_data))


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
def overruns(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    days = OVERRUN_PERIODS.get(request.GET.get("days", ""), 30)
    regions = selectors.regions_in_scope(user=request.user)
    region_code = request.GET.get("region", "")
    if region_code not in {region.code for region in regions}:
        region_code = ""
    # A unit (a code outside the reader's scope finds nothing) and dates, both days
    # included, in the reader's time zone: the scorecard links here with them.
    facility_code = request.GET.get("facility", "").strip()[:40]
    first, last = _day(request.GET.get("from", "")), _day(request.GET.get("to", ""))
    since = _local_midnight(first) if first else now - dt.timedelta(days=days)
    until = _local_midnight(last + dt.timedelta(days=1)) if last else None
    summary, page = selectors.overruns_report(
        user=request.user, origin=request.origin, now=now,
        since=since, until=until, region_code=region_code, facility_code=facility_code,
        page_number=request.GET.get("page", 1))
    most = max((item.overruns for item in summary), default=0)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "custody/overruns.html", {
        "summary": summary, "page": page, "days": days, "periods": OVERRUN_PERIODS,
        "regions": regions, "region_code": region_code, "most": most, "now": now,
        "facility_code": facility_code, "first": first, "last": last,
        "totals": {name: sum(getattr(item, name) for item in summary) for name in (
            "detentions", "overruns", "late_notifications", "missing_medical", "deliveries",
            "foreign")},
        "query": query.urlencode()})


@login_required
def alert_list(request: AuthedRequest) -> HttpResponse:
    open_only = request.GET.get("all") != "1"
    items = selectors.alerts_visible(user=request.user)
    if open_only:
        items = items.filter(acknowledged_at__isnull=True)
    return render(request, "custody/alerts.html", {
        "alerts": items[:200], "open_only": open_only,
        "can_acknowledge": has_capability(request.user, Capability.ACKNOWLEDGE_CUSTODY_ALERT)})


@login_required
@require_POST
def alert_acknowledge(request: AuthedRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(selectors.alerts_visible(user=request.user), pk=pk)
    try:
        alerts.alert_acknowledge(acting_user=request.user, origin=request.origin,
                                 alert=alert)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise
    else:
        messages.success(request, _("Alert acknowledged."))
    return redirect("custody:alerts")
