"""Every read of visits and recommendations that a person sees, scoped to that person.

Visits: monitors see every visit; anyone else sees only completed visits of facilities in
their scope (an unannounced visit must not be known in advance). Interview notes: monitors
only, every read audited. Recommendations: anyone whose scope covers the facility concerned,
the named officials, and country-wide readers for national (UN CAT) recommendations.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.core import sealing
from custodywatch.kernels import risk
from custodywatch.registry.models import Facility, Region
from custodywatch.visits import risk_factors
from custodywatch.visits.models import (
    CLOSED_STATUSES,
    PUBLIC_SOURCES,
    ChecklistItem,
    CommentStatus,
    Evidence,
    Finding,
    FindingPhoto,
    ImplementationStatus,
    Interview,
    OverdueAlert,
    PlanningWeight,
    Recommendation,
    RecommendationComment,
    Response,
    StatusChange,
    Visit,
)
from custodywatch.visits.permissions import (
    may_moderate,
    reads_interview_notes,
    sees_visits_before_they_happen,
)

# ---------------------------------------------------------------------------------- visits


# Machine accounts read no visit nor recommendation: the edge agent at a facility would
# otherwise read the monitors' work about it (facility_q gives it its facility): their roles
# lack READ_VISITS.


def visits_visible(*, user: User) -> QuerySet[Visit]:
    if not has_capability(user, Capability.READ_VISITS):
        return Visit.objects.none()
    visits = Visit.objects.filter(facility_q(user, "facility"))
    if not sees_visits_before_they_happen(user):
        visits = visits.filter(status=Visit.Status.COMPLETED)
    return visits.select_related("facility", "facility__region")


def visits_between(*, user: User, first: dt.date, last: dt.date) -> QuerySet[Visit]:
    return visits_visible(user=user).filter(starts_on__lte=last, ends_on__gte=first).order_by(
        "starts_on", "facility__code")


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    in_month: bool
    visits: list[Visit]


def visit_calendar(*, user: User, year: int, month: int) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month, each day with the visits under way that day."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    visits = list(visits_between(user=user, first=weeks[0][0], last=weeks[-1][-1]))
    return [[CalendarDay(day, day.month == month,
                         [v for v in visits if v.starts_on <= day <= v.ends_on])
             for day in week] for week in weeks]


def visit_detail(*, user: User, pk: int, origin: Origin) -> Visit:
    visit = visits_visible(user=user).select_related("facility__agency").filter(pk=pk).first()
    if visit is None:
        if Visit.objects.filter(pk=pk).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="visits.visit", object_id=str(pk))
        raise Visit.DoesNotExist(pk)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=visit)
    return visit


def visit_findings(*, visit: Visit) -> QuerySet[Finding]:
    return (visit.findings.filter(conflict_of__isnull=True).select_related("room")
            .prefetch_related("photos", "conflicting_versions", "recommendations"))


@dataclass(frozen=True)
class InterviewNote:
    interview: Interview
    notes: str | None  # None when the notes could not be opened (damaged, key missing)


def visit_interviews(*, user: User, visit: Visit, origin: Origin) -> list[InterviewNote] | None:
    """The interviews with their notes opened, for monitors; None for anyone else.

    Opening the notes is a read of sensitive data: audited, one row per interview."""
    if not reads_interview_notes(user):
        return None
    notes = []
    for interview in visit.interviews.select_related("room"):
        try:
            text: str | None = sealing.unseal(bytes(interview.sealed_notes),
                                              context=interview.seal_context()).decode()
        except sealing.SealingError:
            text = None
        audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=interview)
        notes.append(InterviewNote(interview, text))
    return notes


def photo_for(*, user: User, pk: int, origin: Origin) -> FindingPhoto:
    photo = FindingPhoto.objects.select_related("finding").filter(
        pk=pk, finding__visit__in=visits_visible(user=user)).first()
    if photo is None:
        if FindingPhoto.objects.filter(pk=pk).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="visits.findingphoto", object_id=str(pk))
        raise FindingPhoto.DoesNotExist(pk)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=photo,
                 object_label=f"photo of finding {photo.finding.uuid}")
    return photo


# ------------------------------------------------------------------------- recommendations

def recommendations_visible(*, user: User) -> QuerySet[Recommendation]:
    if not user_can(user, Capability.READ_VISITS):
        return Recommendation.objects.none()
    recommendations = Recommendation.objects.select_related(
        "facility", "facility__region", "addressee_body", "group")
    if user.scope == Scope.COUNTRY:
        return recommendations  # national (UN CAT) recommendations concern the whole country
    # (An empty Q() would vanish from an OR, so the country case is not written as one.)
    named = Q(responsible_user=user) | Q(superior_user=user)
    in_scope = Q(facility__isnull=False) & facility_q(user, "facility")
    return recommendations.filter(in_scope | named)


@dataclass(frozen=True)
class RecommendationFilters:
    source: str = ""
    status: str = ""
    response_level: str = ""
    category: str = ""
    region: str = ""
    body: str = ""
    facility: str = ""
    overdue: bool = False
    open_only: bool = False


def recommendation_search(*, user: User, filters: RecommendationFilters,
                          today: dt.date | None = None) -> QuerySet[Recommendation]:
    today = today or timezone.localdate()
    found = recommendations_visible(user=user)
    for name in ("source", "status", "response_level", "category"):
        if getattr(filters, name):
            found = found.filter(**{name: getattr(filters, name)})
    if filters.region:
        found = found.filter(facility__region__code=filters.region)
    if filters.body:
        found = found.filter(addressee_body__code=filters.body)
    if filters.facility:
        found = found.filter(facility__code=filters.facility)
    if filters.open_only or filters.overdue:
        found = found.exclude(status__in=CLOSED_STATUSES)
    if filters.overdue:
        found = found.filter(deadline__lt=today)
    return found.order_by("deadline", "pk")


def recommendation_detail(*, user: User, pk: int, origin: Origin) -> Recommendation:
    recommendation = recommendations_visible(user=user).select_related(
        "visit", "finding", "responsible_user", "superior_user").filter(pk=pk).first()
    if recommendation is None:
        if Recommendation.objects.filter(pk=pk).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="visits.recommendation", object_id=str(pk))
        raise Recommendation.DoesNotExist(pk)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=recommendation)
    return recommendation


class FollowUp(TypedDict):
    history: QuerySet[StatusChange]
    responses: QuerySet[Response]
    evidence: QuerySet[Evidence]
    group_members: list[Recommendation]
    alerts: QuerySet[OverdueAlert]


def recommendation_follow_up(*, recommendation: Recommendation) -> FollowUp:
    """History, responses, evidence and group members of one recommendation already read."""
    group_members: list[Recommendation] = []
    if recommendation.group_id:
        group_members = list(Recommendation.objects.filter(group_id=recommendation.group_id)
                             .exclude(pk=recommendation.pk).select_related("addressee_body"))
    return {
        "history": recommendation.status_history.select_related("evidence", "changed_by"),
        "responses": recommendation.responses.select_related("author"),
        "evidence": recommendation.evidence.select_related("visit", "submitted_by"),
        "group_members": group_members,
        "alerts": recommendation.alerts.select_related("recipient"),
    }


@dataclass(frozen=True)
class StatusBar:
    label: str
    key: str
    total: int
    overdue: int
    segments: list[tuple[str, str, int, float]]  # status, its label, count, percent


def status_bars(recommendations: QuerySet[Recommendation], *, by: str,
                today: dt.date | None = None) -> list[StatusBar]:
    """One stacked bar of implementation statuses per addressee body or per region."""
    today = today or timezone.localdate()
    key_field, label_fields = {
        "body": ("addressee_body__code", ("addressee_body__name_en", "addressee_body__name_ru",
                                          "addressee_body__name_kk")),
        "region": ("facility__region__code", ("facility__region__name_en",
                                              "facility__region__name_ru",
                                              "facility__region__name_kk")),
    }[by]
    rows = (recommendations.order_by().values(key_field, *label_fields, "status")
            .annotate(n=Count("pk"), late=Count("pk", filter=Q(deadline__lt=today) & ~Q(
                status__in=CLOSED_STATUSES))))
    language = (get_language() or "ru")[:2]
    grouped: dict[str, dict] = {}
    for row in rows:
        key = row[key_field] or ""
        entry = grouped.setdefault(key, {"label": _label(row, label_fields, language),
                                         "counts": {}, "overdue": 0})
        entry["counts"][row["status"]] = entry["counts"].get(row["status"], 0) + row["n"]
        entry["overdue"] += row["late"]
    bars = []
    for key, entry in sorted(grouped.items(), key=lambda item: -sum(item[1]["counts"].values())):
        total = sum(entry["counts"].values())
        segments = [(status.value, str(status.label), entry["counts"].get(status.value, 0),
                     100.0 * entry["counts"].get(status.value, 0) / total)
                    for status in ImplementationStatus if entry["counts"].get(status.value)]
        bars.append(StatusBar(entry["label"], key, total, entry["overdue"], segments))
    return bars


def _label(row: dict, label_fields: tuple[str, ...], language: str) -> str:
    by_language = dict(zip(("en", "ru", "kk"), label_fields, strict=True))
    return row.get(by_language.get(language, label_fields[1])) or row.get(label_fields[1]) or "—"


def facility_history(*, user: User, code: str, origin: Origin
                     ) -> tuple[Facility, QuerySet[Visit], QuerySet[Recommendation]]:
    facility = Facility.objects.filter(facility_q(user), code=code).select_related(
        "region", "agency").first()
    if facility is None:
        if Facility.objects.filter(code=code).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="registry.facility", object_label=code,
                         detail={"page": "visit history"})
        raise Facility.DoesNotExist(code)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=facility,
                 detail={"page": "visit history"})
    visits = visits_visible(user=user).filter(facility=facility).annotate(
        finding_count=Count("findings", distinct=True),
        recommendation_count=Count("recommendations", distinct=True)).order_by("-starts_on")
    recommendations = recommendations_visible(user=user).filter(facility=facility).order_by(
        "-issued_on", "-pk")
    return facility, visits, recommendations


def open_count_for_addressee(*, user: User, today: dt.date | None = None) -> tuple[int, int]:
    """Open and overdue recommendations the person must answer (for a banner)."""
    today = today or timezone.localdate()
    mine = Recommendation.objects.filter(
        Q(responsible_user=user) | Q(facility_id=user.facility_id, facility__isnull=False)
        if user.facility_id else Q(responsible_user=user)).exclude(status__in=CLOSED_STATUSES)
    return mine.count(), mine.filter(deadline__lt=today).count()


# -------------------------------------------------------------------------------- planning

def planning_weights() -> dict[str, float]:
    configured = dict(PlanningWeight.objects.values_list("factor", "weight"))
    return {key: configured.get(key, default) for key, default in risk.DEFAULT_WEIGHTS.items()}


@dataclass(frozen=True)
class RankedFacility:
    facility: Facility
    score: risk.Score
    rank: int


def planning_board(*, user: User, now: dt.datetime, region_code: str = "",
                   limit: int = 50) -> list[RankedFacility]:
    """Facilities in the reader's scope by planning score, with each factor's contribution."""
    facilities = Facility.objects.filter(facility_q(user), is_active=True).select_related(
        "region", "agency")
    if region_code:
        facilities = facilities.filter(region__code=region_code)
    by_id = {f.pk: f for f in facilities}
    values = risk_factors.factor_values(list(by_id), now)
    ranked = risk.rank(values, planning_weights())
    return [RankedFacility(by_id[pk], score, index)
            for index, (pk, score) in enumerate(ranked[:limit], start=1)]


def planning_by_region(*, user: User, now: dt.datetime) -> list[tuple[Region, float | None, int]]:
    """Per region in scope: the highest facility score, and the facilities counted."""
    board = planning_board(user=user, now=now, limit=100_000)
    best: dict[int, float] = {}
    counts: dict[int, int] = {}
    for entry in board:
        region_id = entry.facility.region_id
        best[region_id] = max(best.get(region_id, 0.0), entry.score.points)
        counts[region_id] = counts.get(region_id, 0) + 1
    return [(region, best.get(region.pk), counts.get(region.pk, 0))
            for region in Region.objects.order_by("code")]


def facilities_for_choice(*, user: User) -> QuerySet[Facility]:
    return Facility.objects.filter(facility_q(user), is_active=True).only("pk", "code", "name")


def prefetch_checklist(visit: Visit) -> QuerySet[ChecklistItem]:
    return visit.checklist.select_related("recommendation", "recommendation__addressee_body")



def public_recommendations(*, source: str = "", status: str = "",
                           group: str = "") -> QuerySet[Recommendation]:
    """The public page's recommendations: the international mechanisms' and the
    Ombudsperson's only (never a visit's: its words may point at people), newest first."""
    found = Recommendation.objects.filter(source__in=PUBLIC_SOURCES).select_related(
        "addressee_body").prefetch_related(
        Prefetch("comments", queryset=published_comments(), to_attr="published_comments")
    ).order_by("-issued_on", "-id")
    if source:
        found = found.filter(source=source)
    if status:
        found = found.filter(status=status)
    if group:
        # JSON containment is not portable (SQLite): the list is small, matched as text.
        found = found.filter(affected_groups__icontains=f'"{group}"')
    return found


def published_comments() -> QuerySet[RecommendationComment]:
    """What the public reads of the NGOs' comments: the published ones, with the
    organisation's name (never the author's account)."""
    return RecommendationComment.objects.filter(status=CommentStatus.PUBLISHED).only(
        "recommendation_id", "organisation", "text", "created_at").order_by("created_at", "id")


def comments_to_moderate(*, user: User, origin: Origin) -> QuerySet[RecommendationComment]:
    """Held comments first, then the latest decided; for moderators only (audited read)."""
    if not may_moderate(user):
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="visits.recommendationcomment",
                     detail={"reason": "not a moderator"})
        raise PermissionDenied
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="visits.recommendationcomment", object_label="moderation queue")
    return RecommendationComment.objects.select_related("recommendation").order_by(
        models.Case(models.When(status=CommentStatus.HELD, then=0), default=1),
        "-created_at", "-id")
