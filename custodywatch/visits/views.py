"""Pages of the visits module. Views only parse, call a selector or a service, and render."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from custodywatch.accounts.audit import audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.accounts.models import AuditEvent, Scope
from custodywatch.core import stored_files
from custodywatch.core.actions import Actions, add_service_errors
from custodywatch.core.region_map import RegionValue
from custodywatch.kernels import risk
from custodywatch.registry.models import Facility
from custodywatch.registry.selectors import regions_visible
from custodywatch.visits import forms as visit_forms
from custodywatch.visits import risk_factors, selectors, services
from custodywatch.visits.models import (
    CommentStatus,
    Evidence,
    FindingPhoto,
    Recommendation,
    RecommendationComment,
    Source,
    TeamMember,
    Visit,
)
from custodywatch.visits.permissions import (
    is_addressee,
    is_monitor,
    may_comment,
    may_moderate,
    may_set_weights,
)
from custodywatch.visits.report import LANGUAGES, visit_report_pdf

PAGE_SIZE = 50


# -------------------------------------------------------------------------------- calendar

@login_required
def visit_calendar(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        month = dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        month = today.replace(day=1)
    weeks = selectors.visit_calendar(user=request.user, year=month.year, month=month.month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    visits = sorted({v.pk: v for week in weeks for day in week for v in day.visits
                     if day.in_month}.values(), key=lambda v: (v.starts_on, v.facility.code))
    return render(request, "visits/calendar.html", {
        "weeks": weeks, "month": month, "today": today, "visits": visits,
        "previous": previous.strftime("%Y-%m"), "following": following.strftime("%Y-%m"),
        "can_plan": is_monitor(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def visit_plan(request: AuthedRequest) -> HttpResponse:
    if not is_monitor(request.user):
        raise PermissionDenied
    form = visit_forms.VisitPlanForm(request.POST or None, initial={
        "facility": request.GET.get("facility", ""), "kind": Visit.Kind.UNANNOUNCED,
        "monitors": [request.user.pk]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = [services.TeamMemberInput(
            full_name=user.get_full_name() or user.username, user=user,
            affiliation=(TeamMember.Affiliation.OMBUDSPERSON
                         if has_capability(user, Capability.ACT_FOR_OMBUDSPERSON)
                         else TeamMember.Affiliation.NPM), is_leader=user == request.user)
            for user in data["monitors"]]
        team += [services.TeamMemberInput(full_name=name, affiliation=affiliation)
                 for name, affiliation in data["others"]]
        try:
            visit = services.visit_plan(
                acting_user=request.user, origin=request.origin, facility=data["facility"],
                kind=data["kind"], starts_on=data["starts_on"], ends_on=data["ends_on"],
                team=team, summary=data["summary"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The visit is planned."))
            return redirect("visits:visit_detail", pk=visit.pk)
    return render(request, "visits/visit_plan.html", {"form": form},
                  status=422 if form.errors else 200)


# ------------------------------------------------------------------------------ visit page

def _visit_or_404(request: AuthedRequest, pk: int) -> Visit:
    try:
        return selectors.visit_detail(user=request.user, pk=pk, origin=request.origin)
    except Visit.DoesNotExist:
        raise Http404(_("No such visit in your scope.")) from None


@login_required
@require_http_methods(["GET", "POST"])
def visit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    monitor = is_monitor(request.user)
    rooms = list(visit.facility.rooms.order_by("-custody_use", "code"))
    findings = list(selectors.visit_findings(visit=visit))
    bound = {}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action:
        if not monitor:
            services.require_monitor(request.user, request.origin, visit)
        outcome = ACTIONS.dispatch(request, _VisitPage(visit, rooms, findings), action)
        if outcome.done:
            return redirect(f"{reverse('visits:visit_detail', args=[visit.pk])}#{action}")
        bound = {outcome.action.place: outcome.form}
    context = {
        "visit": visit, "monitor": monitor, "rooms": rooms, "findings": findings,
        "team": visit.team.all(),
        "inspected": set(visit.rooms_inspected.values_list("code", flat=True)),
        "recommendations": visit.recommendations.select_related("addressee_body"),
        "interviews": selectors.visit_interviews(user=request.user, visit=visit,
                                                 origin=request.origin),
        "checklist": selectors.prefetch_checklist(visit) if monitor else [],
        "languages": LANGUAGES,
        "finding_form": bound.get("finding") or visit_forms.FindingForm(rooms=rooms),
        "interview_form": bound.get("interview") or visit_forms.InterviewForm(),
        "rooms_form": visit_forms.RoomsForm(rooms=rooms, initial={
            "rooms": list(visit.rooms_inspected.values_list("code", flat=True))}),
        "checklist_form": visit_forms.ChecklistForm(),
        "errors_in": bound,
        "next_statuses": services.VISIT_TRANSITIONS[Visit.Status(visit.status)],
    }
    return render(request, "visits/visit_detail.html", context,
                  status=422 if bound else 200)


@dataclass(frozen=True)
class _VisitPage:
    visit: Visit
    rooms: list
    findings: list


# The visit page's actions (core.actions); the view lets monitors only. Status, checklist and
# conflict answers show their errors as a message above the page (`flash`).
ACTIONS: Actions[_VisitPage] = Actions()


@ACTIONS.action("finding", form=lambda request, page: visit_forms.FindingForm(
    request.POST, request.FILES, rooms=page.rooms))
def _add_finding(request, page, form):
    data = form.cleaned_data
    photos = [services.PhotoInput(content=data["photo"].read())] if data["photo"] else []
    services.finding_record(
        acting_user=request.user, origin=request.origin, visit=page.visit,
        item=services.FindingInput(uuid=uuid.uuid4(), category=data["category"],
                                   severity=data["severity"], text=data["text"],
                                   room_code=data["room"], photos=photos))


@ACTIONS.action("interview", form=lambda request, page: visit_forms.InterviewForm(request.POST))
def _add_interview(request, page, form):
    services.interview_record(acting_user=request.user, origin=request.origin, visit=page.visit,
                              **form.cleaned_data)


@ACTIONS.action("rooms", form=lambda request, page: visit_forms.RoomsForm(
    request.POST, rooms=page.rooms))
def _set_rooms(request, page, form):
    chosen = [r for r in page.rooms if r.code in form.cleaned_data["rooms"]]
    services.visit_rooms_set(acting_user=request.user, origin=request.origin, visit=page.visit,
                             rooms=chosen)


@ACTIONS.action("status", flash=True, form=lambda request, page: forms.Form(request.POST))
def _set_status(request, page, form):
    services.visit_status_set(acting_user=request.user, origin=request.origin, visit=page.visit,
                              status=request.POST.get("status", ""))


def _checklist_form(request: AuthedRequest, page: _VisitPage) -> forms.Form:
    item = page.visit.checklist.filter(pk=request.POST.get("item") or 0).first()
    if item is None:
        raise Http404
    form = visit_forms.ChecklistForm(request.POST)
    form.item = item  # type: ignore[attr-defined]  # the template's extra
    return form


@ACTIONS.action("checklist", flash=True, form=_checklist_form,
                invalid=gettext_lazy("Choose the status seen and say what was seen."))
def _observe(request, page, form):
    services.checklist_observe(acting_user=request.user, origin=request.origin, item=form.item,
                               **form.cleaned_data)


def _resolve_form(request: AuthedRequest, page: _VisitPage) -> forms.Form:
    finding = next((f for f in page.findings if str(f.uuid) == request.POST.get("finding")),
                   None)
    if finding is None:
        raise Http404
    form = forms.Form(request.POST)
    form.finding = finding  # type: ignore[attr-defined]  # the template's extra
    return form


@ACTIONS.action("resolve", flash=True, form=_resolve_form)
def _resolve(request, page, form):
    services.finding_conflict_resolve(acting_user=request.user, origin=request.origin,
                                      finding=form.finding, keep_text=request.POST.get("text", ""))


@login_required
def visit_offline(request: AuthedRequest, pk: int) -> HttpResponse:
    """The tablet page: findings kept in the browser's storage, synced when online."""
    visit = _visit_or_404(request, pk)
    if not is_monitor(request.user):
        raise PermissionDenied
    findings = selectors.visit_findings(visit=visit)
    rooms = visit.facility.rooms.order_by("-custody_use", "code")
    config = {
        "visit": visit.pk,
        "syncUrl": reverse("api:visits_findings_sync", args=[visit.pk]),
        "visitUrl": reverse("visits:visit_detail", args=[visit.pk]),
        "findings": [{"uuid": str(f.uuid), "category": f.category, "severity": f.severity,
                      "room_code": f.room.code if f.room else "", "text": f.text,
                      "revision": f.revision} for f in findings],
        "messages": {
            "saved": _("Saved on this device."),
            "pending": _("%(n)s finding(s) kept on this device, waiting for the network."),
            "synced": _("All findings are on the server."),
            "conflict": _("Changed meanwhile by someone else: both versions are kept on the "
                          "visit page."),
            "failed": _("The server refused the sync:"),
            "full": _("This device's storage is full: sync before recording more."),
            "edit": _("Edit"),
        },
    }
    return render(request, "visits/visit_offline.html", {
        "visit": visit, "config": config, "form": visit_forms.FindingForm(rooms=rooms)})


@login_required
def visit_report(request: AuthedRequest, pk: int, language: str) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    if language not in LANGUAGES:
        raise Http404
    findings = list(selectors.visit_findings(visit=visit))
    recommendations = list(visit.recommendations.select_related("addressee_body"))
    content = visit_report_pdf(
        visit=visit, findings=findings, recommendations=recommendations,
        interviews_in_private=visit.interviews.filter(in_private=True).count(),
        language=language)
    audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, origin=request.origin,
                 obj=visit, detail={"report": language})
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="visit-{visit.facility.code}-{visit.starts_on:%Y%m%d}-{language}.pdf"')
    return response


@login_required
def finding_photo(request: AuthedRequest, pk: int) -> HttpResponse | FileResponse:
    try:
        photo = selectors.photo_for(user=request.user, pk=pk, origin=request.origin)
    except FindingPhoto.DoesNotExist:
        raise Http404 from None
    try:
        handle = stored_files.open_verified(photo, photo.image, photo.sha256)
    except stored_files.StoredFileDamaged as error:
        return stored_files.refusal(error)
    return FileResponse(handle, content_type=photo.content_type)


# ------------------------------------------------------------------------- recommendations

def _tracker_filters(form: visit_forms.TrackerFilterForm) -> selectors.RecommendationFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.RecommendationFilters(
        source=data.get("source", ""), status=data.get("status", ""),
        response_level=data.get("response_level", ""), category=data.get("category", ""),
        region=data.get("region", ""), body=data.get("body", ""),
        overdue=data.get("overdue", False))


@login_required
def tracker(request: AuthedRequest) -> HttpResponse:
    form = visit_forms.TrackerFilterForm(request.GET or None,
                                         regions=regions_visible(user=request.user))
    found = selectors.recommendation_search(user=request.user, filters=_tracker_filters(form))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    open_count, overdue_count = selectors.open_count_for_addressee(user=request.user)
    context = {
        "form": form, "page": page, "query": query.urlencode(), "today": timezone.localdate(),
        "by_body": selectors.status_bars(found, by="body"),
        "by_region": selectors.status_bars(found.filter(facility__isnull=False), by="region"),
        "can_issue": is_monitor(request.user),
        "mine_open": open_count, "mine_overdue": overdue_count,
        "answers": has_capability(request.user, Capability.ANSWER_RECOMMENDATIONS),
    }
    if request.htmx and request.htmx.target == "tracker-results":
        return render(request, "visits/tracker.html#results", context)
    return render(request, "visits/tracker.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_new(request: AuthedRequest) -> HttpResponse:
    if not is_monitor(request.user):
        raise PermissionDenied
    visit = None
    if request.GET.get("visit"):
        visit = _visit_or_404(request, int(request.GET["visit"]) if request.GET[
            "visit"].isdigit() else 0)
    findings = list(selectors.visit_findings(visit=visit)) if visit else []
    today = timezone.localdate()
    initial: dict[str, object] = {"issued_on": today, "deadline": today + dt.timedelta(days=90),
               "source": Source.VISIT if visit else Source.OMBUDSPERSON,
               "facility": visit.facility.code if visit else "",
               "finding": request.GET.get("finding", "")}
    if visit:
        initial["addressee_body"] = visit.facility.agency_id
        head = visit.facility.head_appointments.filter(ended_on__isnull=True).first()
        initial["responsible_official"] = (f"{head.position} {head.full_name}" if head else "")
    form = visit_forms.RecommendationForm(request.POST or None, initial=initial,
                                          findings=findings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        finding = next((f for f in findings if str(f.uuid) == data["finding"]), None)
        try:
            recommendation = services.recommendation_issue(
                acting_user=request.user, origin=request.origin, source=data["source"],
                text=data["text"], category=data["category"],
                addressee_body=data["addressee_body"],
                responsible_official=data["responsible_official"], issued_on=data["issued_on"],
                deadline=data["deadline"], facility=data["facility"], visit=visit,
                finding=finding, cat_reference=data["cat_reference"],
                affected_groups=data["affected_groups"], sdg_targets=data["sdg_targets"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Recommendation #%(id)s is issued.")
                             % {"id": recommendation.pk})
            return redirect("visits:recommendation_detail", pk=recommendation.pk)
    return render(request, "visits/recommendation_new.html", {"form": form, "visit": visit},
                  status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        recommendation = selectors.recommendation_detail(user=request.user, pk=pk,
                                                         origin=request.origin)
    except Recommendation.DoesNotExist:
        raise Http404(_("No such recommendation in your scope.")) from None
    follow_up = selectors.recommendation_follow_up(recommendation=recommendation)
    evidence_choices = list(Evidence.objects.filter(
        recommendation__in=[recommendation, *follow_up["group_members"]]))
    forms_: dict[str, forms.BaseForm] = {
        "respond": visit_forms.ResponseForm(),
        "evidence": visit_forms.EvidenceForm(),
        "status": visit_forms.StatusForm(evidence=evidence_choices),
        "group": visit_forms.GroupForm(),
    }
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action in RECOMMENDATION_ACTIONS:
        outcome = RECOMMENDATION_ACTIONS.dispatch(
            request, _RecommendationPage(recommendation, evidence_choices), action)
        if outcome.ok:
            return redirect("visits:recommendation_detail", pk=recommendation.pk)
        forms_[action] = outcome.form
    return render(request, "visits/recommendation_detail.html", {
        "recommendation": recommendation, **follow_up, "forms": forms_,
        "monitor": is_monitor(request.user),
        "addressee": is_addressee(request.user, recommendation),
        "overdue": recommendation.is_open and recommendation.deadline < timezone.localdate(),
    }, status=422 if action and any(f.errors for f in forms_.values()) else 200)


@dataclass(frozen=True)
class _RecommendationPage:
    recommendation: Recommendation
    evidence_choices: list


# The recommendation page's actions (core.actions); the services say who may.
RECOMMENDATION_ACTIONS: Actions[_RecommendationPage] = Actions()


@RECOMMENDATION_ACTIONS.action(
    "respond", form=lambda request, page: visit_forms.ResponseForm(request.POST))
def _respond(request, page, form):
    services.recommendation_respond(acting_user=request.user, origin=request.origin,
                                    recommendation=page.recommendation, **form.cleaned_data)


@RECOMMENDATION_ACTIONS.action(
    "evidence", form=lambda request, page: visit_forms.EvidenceForm(request.POST))
def _evidence(request, page, form):
    services.evidence_add(acting_user=request.user, origin=request.origin,
                          recommendation=page.recommendation, **form.cleaned_data)


@RECOMMENDATION_ACTIONS.action("status", form=lambda request, page: visit_forms.StatusForm(
    request.POST, evidence=page.evidence_choices))
def _status(request, page, form):
    data = form.cleaned_data
    evidence = next(e for e in page.evidence_choices if str(e.pk) == data["evidence"])
    services.recommendation_status_set(acting_user=request.user, origin=request.origin,
                                       recommendation=page.recommendation,
                                       status=data["status"], evidence=evidence,
                                       note=data["note"])


@RECOMMENDATION_ACTIONS.action(
    "group", form=lambda request, page: visit_forms.GroupForm(request.POST))
def _group(request, page, form):
    data = form.cleaned_data
    other = selectors.recommendations_visible(user=request.user).filter(
        pk=data["other"]).first()
    if other is None:
        raise ValidationError({"other": _("No such recommendation in your scope.")})
    services.recommendations_group(acting_user=request.user, origin=request.origin,
                                   recommendations=[page.recommendation, other],
                                   title=data["title"])


# ---------------------------------------------------------------------- planning & history

@login_required
@require_http_methods(["GET", "POST"])
def planning(request: AuthedRequest) -> HttpResponse:
    if request.user.scope == Scope.FACILITY:
        # The board ranks facilities by risk, complaints against them among the factors, and
        # tells monitors where to go unannounced: nothing a facility may read (docs/security.md).
        audit_record(actor=request.user, action=AuditEvent.Action.DENIED,
                     origin=request.origin, object_type="visits.planning",
                     detail={"reason": "facility staff"})
        raise PermissionDenied
    weights = selectors.planning_weights()
    weights_form = visit_forms.WeightsForm(request.POST or None, weights=weights)
    if request.method == "POST":
        if not may_set_weights(request.user):
            services.planning_weights_set(acting_user=request.user, origin=request.origin,
                                          weights={})  # audits the refusal, raises
        if weights_form.is_valid():
            services.planning_weights_set(acting_user=request.user, origin=request.origin,
                                          weights=weights_form.cleaned_data)
            messages.success(request, _("The weights are saved."))
            return redirect(request.get_full_path())
    regions = regions_visible(user=request.user)
    region_form = visit_forms.RegionChoiceForm(request.GET or None, regions=regions)
    region_code = region_form.cleaned_data.get("region", "") if region_form.is_valid() else ""
    now = timezone.now()
    board = selectors.planning_board(user=request.user, now=now, region_code=region_code)
    available = set(risk_factors.available_factors())
    factors = [(spec, risk_factors.LABELS[spec.key], spec.key in available)
               for spec in risk.FACTORS]
    return render(request, "visits/planning.html", {
        "board": board, "factors": factors, "labels": risk_factors.LABELS,
        "weights_form": weights_form, "can_weigh": may_set_weights(request.user),
        "region_form": region_form, "region_map": _planning_map(request, now),
        "max_points": sum(w for k, w in weights.items() if k in available),
    }, status=422 if weights_form.errors else 200)


def _planning_map(request: AuthedRequest, now: dt.datetime) -> list[RegionValue]:
    url = reverse("visits:planning")
    return [RegionValue(code=region.code, label=region.short_name, row=region.grid_row,
                        col=region.grid_col, value=best,
                        caption=f"{best:.0f}" if best is not None else "—",
                        url=f"{url}?{urlencode({'region': region.code})}")
            for region, best, _count in selectors.planning_by_region(user=request.user, now=now)]


@login_required
def facility_history(request: AuthedRequest, code: str) -> HttpResponse:
    try:
        facility, visits, recommendations = selectors.facility_history(
            user=request.user, code=code, origin=request.origin)
    except Facility.DoesNotExist:
        raise Http404(_("No such facility in your scope.")) from None
    return render(request, "visits/facility_history.html", {
        "facility": facility, "visits": visits, "recommendations": recommendations,
        "by_status": selectors.status_bars(recommendations, by="body"),
        "today": timezone.localdate(), "can_plan": is_monitor(request.user)})



def public_recommendations(request: Request) -> HttpResponse:
    """Public, read-only: the recommendations of the international mechanisms and the
    Ombudsperson, with their status (as OHCHR's recommendation databases publish them)."""
    form = visit_forms.PublicRecommendationFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    found = selectors.public_recommendations(source=data.get("source", ""),
                                             status=data.get("status", ""),
                                             group=data.get("group", ""))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "visits/public_recommendations.html",
                  {"form": form, "page": page, "query": query.urlencode(),
                   "may_comment": may_comment(request.user),
                   "comment_form": visit_forms.CommentForm()})


@login_required
@require_http_methods(["POST"])
def recommendation_comment(request: AuthedRequest, pk: int) -> HttpResponse:
    """A registered NGO comments on a public recommendation."""
    if not may_comment(request.user):
        raise PermissionDenied
    recommendation = selectors.public_recommendations().filter(pk=pk).first()
    if recommendation is None:
        raise Http404
    form = visit_forms.CommentForm(request.POST)
    back = reverse("visits:public_recommendations") + f"#recommendation-{pk}"
    if not form.is_valid():
        messages.error(request, " ".join(str(text) for text in form.errors.get("text", [])))
        return redirect(back)
    try:
        comment = services.comment_add(acting_user=request.user, origin=request.origin,
                                       recommendation=recommendation,
                                       text=form.cleaned_data["text"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    if comment.status == CommentStatus.HELD:
        messages.warning(request, _("Your comment may identify a person: it waits for a "
                                    "moderator before it is shown."))
    else:
        messages.success(request, _("Your comment is published."))
    return redirect(back)


@login_required
def comment_moderation(request: AuthedRequest) -> HttpResponse:
    """Moderators: the held comments first, then the latest decided."""
    comments = selectors.comments_to_moderate(user=request.user, origin=request.origin)
    page = Paginator(comments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "visits/comment_moderation.html",
                  {"page": page, "form": visit_forms.ModerationForm()})


@login_required
@require_http_methods(["POST"])
def comment_moderate(request: AuthedRequest, pk: int) -> HttpResponse:
    if not may_moderate(request.user):
        raise PermissionDenied
    comment = RecommendationComment.objects.filter(pk=pk).first()
    if comment is None:
        raise Http404
    form = visit_forms.ModerationForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose publish or do not publish."), status=400,
                            content_type="text/plain; charset=utf-8")
    try:
        services.comment_moderate(acting_user=request.user, origin=request.origin,
                                  comment=comment,
                                  publish=form.cleaned_data["decision"] == "publish",
                                  note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("visits:comment_moderation")
