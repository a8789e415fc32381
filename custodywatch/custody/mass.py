"""Mass detention mode (issue 22, item 7): declare it, register temporary places, review each
detainee's measure in a queue, and count the queue's progress.

Seed 003: about 2,000 people detained in days; the General Prosecutor's Office had to
establish "the degree of guilt of each detainee" one by one, and 307 of the 737 held in SIZO
had their measure changed. Here a prosecutor declares the mode for a region (or the country);
every person detained there since its start (registered one by one or from a list:
custody/intake.py) enters the review queue; a prosecutor in scope decides on each one
(custody upheld, measure changed, release), with the date and the reasons; the dashboard
shows how many are reviewed, pending, released, and the oldest pending. A release decided is
carried out by the facility (custody_record_end); a release decided and not carried out is
counted apart.

Writes are atomic and audited (their audit events are ledger leaves); reads are scoped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.accounts.scoping import facility_q, region_q
from custodywatch.core import plausible
from custodywatch.custody.models import CustodyRecord, EndReason
from custodywatch.custody.models_mass import MassDetention, MeasureReview, TemporaryPlace
from custodywatch.registry.models import Agency, Facility, Region
from custodywatch.registry.temporary_places import temporary_facility_create

# How far back a declaration may reach: the days the people were detained in.
LONGEST_LOOKBACK = dt.timedelta(days=60)
RELEASE_DECISIONS = (MeasureReview.Decision.CHANGED, MeasureReview.Decision.RELEASE)
RELEASED = (EndReason.RELEASED, EndReason.QUASHED)


def _refuse(user: User, origin: Origin, what: str, obj: Any = None) -> None:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=obj,
                 object_type="" if obj is not None else "custody.massdetention",
                 detail={"mass_detention": what})
    raise PermissionDenied(_("You may not do this in mass detention mode."))


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})


def region_in_scope(user: User, region: Region | None) -> bool:
    """The country's mode needs a country-wide scope; a region's, a scope that holds it."""
    if region is None:
        return user.scope == Scope.COUNTRY
    return Region.objects.filter(region_q(user), pk=region.pk).exists() and (
        user.scope != Scope.FACILITY)


# --------------------------------------------------------------------------- reads


def may_open(user: User) -> bool:
    """The pages of mass detention: those who declare it or review its measures."""
    return has_capability(user, Capability.REVIEW_DETENTION_MEASURES) or has_capability(
        user, Capability.DECLARE_MASS_DETENTION)


def mass_detentions_visible(*, user: User) -> QuerySet[MassDetention]:
    """The modes of the reader's regions (and the country's): for those who review."""
    if not may_open(user):
        return MassDetention.objects.none()
    regions = Region.objects.filter(region_q(user)).values("pk")
    return MassDetention.objects.filter(Q(region__isnull=True) | Q(region__in=regions)
                                        ).select_related("region")


def _area_q(event: MassDetention, path: str = "facility__") -> Q:
    return Q() if event.region_id is None else Q(**{f"{path}region_id": event.region_id})


def reviews_visible(*, user: User, event: MassDetention) -> QuerySet[MeasureReview]:
    """The event's reviews of records in the reader's scope."""
    if not has_capability(user, Capability.REVIEW_DETENTION_MEASURES):
        return MeasureReview.objects.none()
    return MeasureReview.objects.filter(
        facility_q(user, "custody_record__facility"), mass_detention=event)


@dataclass(frozen=True)
class Progress:
    total: int
    reviewed: int
    pending: int
    upheld: int
    release_decided: int
    released: int
    release_pending: int  # release decided, the person still held
    oldest_pending_detained_at: dt.datetime | None
    oldest_pending_queued_at: dt.datetime | None

    @property
    def reviewed_share(self) -> float:
        return self.reviewed / self.total if self.total else 0.0


def review_progress(*, user: User, event: MassDetention) -> Progress:
    """The queue's figures in the reader's scope: one aggregate query."""
    pending = Q(decision="")
    release = Q(decision__in=RELEASE_DECISIONS)
    figures = reviews_visible(user=user, event=event).aggregate(
        total=Count("pk"), pending=Count("pk", filter=pending),
        upheld=Count("pk", filter=Q(decision=MeasureReview.Decision.UPHELD)),
        release_decided=Count("pk", filter=release),
        released=Count("pk", filter=Q(custody_record__end_reason__in=RELEASED)),
        release_pending=Count("pk", filter=release & Q(custody_record__ended_at__isnull=True)),
        oldest_detained=Min("custody_record__detained_at", filter=pending),
        oldest_queued=Min("queued_at", filter=pending))
    return Progress(total=figures["total"], reviewed=figures["total"] - figures["pending"],
                    pending=figures["pending"], upheld=figures["upheld"],
                    release_decided=figures["release_decided"], released=figures["released"],
                    release_pending=figures["release_pending"],
                    oldest_pending_detained_at=figures["oldest_detained"],
                    oldest_pending_queued_at=figures["oldest_queued"])


def review_queue(*, user: User, event: MassDetention, origin: Origin, pending_only: bool = True,
                 limit: int = 100) -> list[MeasureReview]:
    """The oldest detentions first: who has waited longest is reviewed first (audited)."""
    reviews = reviews_visible(user=user, event=event).select_related(
        "custody_record__facility", "decided_by")
    if pending_only:
        reviews = reviews.filter(decision="")
    rows = list(reviews.order_by("custody_record__detained_at", "pk")[:limit])
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin, obj=event,
                 detail={"reviews": [row.pk for row in rows]})
    return rows


def review_for_decision(*, user: User, pk: int, origin: Origin) -> MeasureReview:
    review = MeasureReview.objects.select_related(
        "custody_record__facility", "mass_detention").filter(
        facility_q(user, "custody_record__facility"), pk=pk).first()
    if review is None or not has_capability(user, Capability.REVIEW_DETENTION_MEASURES):
        if MeasureReview.objects.filter(pk=pk).exists():
            audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="custody.measurereview", object_id=str(pk))
        raise MeasureReview.DoesNotExist(pk)
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=review)
    return review


def events_on_for(facility: Facility) -> QuerySet[MassDetention]:
    return MassDetention.objects.filter(Q(region__isnull=True) | Q(region=facility.region_id),
                                        ended_at__isnull=True)


# --------------------------------------------------------------------------- writes


def review_queue_fill(*, event: MassDetention, now: dt.datetime | None = None) -> int:
    """Queue every person detained in the event's area since its start (until its end) who
    is not queued yet; idempotent (the unique constraint). Returns how many were added."""
    now = now or timezone.now()
    records = CustodyRecord.objects.filter(_area_q(event), detained_at__gte=event.started_at,
                                           detained_at__lte=event.ended_at or now).exclude(
        measure_reviews__mass_detention=event).values_list("pk", flat=True)
    added = MeasureReview.objects.bulk_create(
        [MeasureReview(mass_detention=event, custody_record_id=pk, queued_at=now)
         for pk in records], ignore_conflicts=True, batch_size=1000)
    return len(added)


def review_queues_fill(now: dt.datetime | None = None) -> int:
    """Every event that is on (the periodic job, custody/tasks.py)."""
    return sum(review_queue_fill(event=event, now=now)
               for event in MassDetention.objects.filter(ended_at__isnull=True))


def mass_detention_declare(*, acting_user: User, origin: Origin, name: str,
                           region: Region | None, reason: str,
                           started_at: dt.datetime,
                           now: dt.datetime | None = None) -> MassDetention:
    """``now``: the moment of the declaration (default the clock's; the demo replays a past
    event through this same service)."""
    if not has_capability(acting_user, Capability.DECLARE_MASS_DETENTION) or not (
            region_in_scope(acting_user, region)):
        _refuse(acting_user, origin, f"declare {region.code if region else 'country'}")
    errors: dict[str, str] = {}
    now = now or timezone.now()
    if not name.strip():
        errors["name"] = _("This field is required.")
    if not reason.strip():
        errors["reason"] = _("Say why: the events and the orders.")
    plausible.collect(errors, plausible.Kind.EVENT, "started_at", started_at, now)
    if "started_at" not in errors and started_at < now - LONGEST_LOOKBACK:
        errors["started_at"] = _("At most %(days)s days back.") % {
            "days": LONGEST_LOOKBACK.days}
    with transaction.atomic():
        if MassDetention.objects.select_for_update().filter(
                region=region, ended_at__isnull=True).exists():
            errors.setdefault("region", _("Mass detention mode is already on here."))
        _raise(errors)
        try:
            with transaction.atomic():
                event = MassDetention.objects.create(
                    name=name.strip()[:200], region=region, reason=reason.strip(),
                    started_at=started_at, declared_at=now, declared_by=acting_user)
        except IntegrityError:  # declared at the same moment by another prosecutor
            _raise({"region": _("Mass detention mode is already on here.")})
        queued = review_queue_fill(event=event, now=now)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=event, detail={"region": region.code if region else "",
                                        "queued": queued})
    return event


def mass_detention_end(*, acting_user: User, origin: Origin, event: MassDetention,
                       now: dt.datetime | None = None) -> MassDetention:
    if not has_capability(acting_user, Capability.DECLARE_MASS_DETENTION) or not (
            region_in_scope(acting_user, event.region)):
        _refuse(acting_user, origin, f"end {event.pk}", event)
    with transaction.atomic():
        event = MassDetention.objects.select_for_update().get(pk=event.pk)
        if event.ended_at is not None:
            raise ValidationError({"ended_at": [_("Mass detention mode is already off.")]})
        now = now or timezone.now()
        review_queue_fill(event=event, now=now)  # the last ones in before it closes
        event.ended_at, event.ended_by = now, acting_user
        event.save(update_fields=["ended_at", "ended_by"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=event, detail={"ended": True})
    return event


def temporary_place_register(*, acting_user: User, origin: Origin, event: MassDetention,
                             region: Region, agency: Agency, name: str, address: str,
                             areas: list[str],
                             now: dt.datetime | None = None) -> TemporaryPlace:
    """A temporary place and its holding areas, blind until an approved camera covers them."""
    if not has_capability(acting_user, Capability.REGISTER_TEMPORARY_PLACE) or not (
            region_in_scope(acting_user, region)):
        _refuse(acting_user, origin, f"place in {region.code}", event)
    errors: dict[str, str] = {}
    if not event.is_on:
        errors["mass_detention"] = _("Mass detention mode is off.")
    elif event.region_id is not None and region.pk != event.region_id:
        errors["region"] = _("Must be the region of the mass detention.")
    _raise(errors)
    with transaction.atomic():
        facility = temporary_facility_create(region=region, agency=agency, name=name,
                                             address=address, areas=areas)
        place = TemporaryPlace.objects.create(mass_detention=event, facility=facility,
                                              registered_by=acting_user,
                                              registered_at=now or timezone.now())
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=facility, detail={"mass_detention": event.pk,
                                           "areas": facility.rooms.count()})
    return place


def measure_review_decide(*, acting_user: User, origin: Origin, review: MeasureReview,
                          decision: str, decided_on: dt.date | None,
                          reasons: str, now: dt.datetime | None = None) -> MeasureReview:
    record = review.custody_record
    if not FACILITY_POLICY.can(acting_user, "review_detention_measures", record.facility_id):
        _refuse(acting_user, origin, f"review {review.pk}", review)
    errors: dict[str, str] = {}
    now = now or timezone.now()
    if decision not in MeasureReview.Decision.values:
        errors["decision"] = _("Choose the decision.")
    if decided_on is None:
        errors["decided_on"] = _("Give the date of the decision.")
    elif decided_on > timezone.localdate(now):
        errors["decided_on"] = _("Cannot be in the future.")
    elif decided_on < timezone.localdate(record.detained_at):
        errors["decided_on"] = _("Cannot be before the detention.")
    if not reasons.strip():
        errors["reasons"] = _("Give the reasons: this person's own, not the group's.")
    with transaction.atomic():
        review = MeasureReview.objects.select_for_update().get(pk=review.pk)
        if review.decision:
            errors = {"decision": _("Already decided on %(day)s.") % {
                "day": review.decided_on}}
        _raise(errors)
        review.decision, review.decided_on, review.reasons = decision, decided_on, reasons
        review.decided_by, review.decided_at = acting_user, now
        review.save(update_fields=["decision", "decided_on", "reasons", "decided_by",
                                   "decided_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=review, detail={"decision": decision, "record": record.pk})
    return review
