"""Keeping custody footage from being overwritten: the centre's uniform policy for every agent.

A legal hold lives only at the centre. What a facility's agent is told never depends on a
complaint, a hold or an investigation against that facility (docs/security.md): every agent
gets the same rule, computed from the registry alone:

    keep every segment of every camera that covers a custody-use room, for
    ``PRESERVATION_KEEP_DAYS`` days (the complaint window)

(``GET /api/preservation/orders``). The agent copies each such segment aside, re-hashes the
copy and reports it preserved, missing or altered (``POST /api/preservation/reports``). A hold
then only acts at the centre: its record, its ledger leaf, the complaint page's summary of the
held segments (built from these routine reports) and the off-site copy's retention.

Because the rule is the same for every facility and reads no complaint table, the accused
facility cannot learn of a complaint from it; ``tests/security/facility_view.py`` is the guard
that proves it for every read a facility's tokens can make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints.models import LegalHold, SegmentPreservation
from custodywatch.registry.models import Camera, Facility
from custodywatch.video.incidents import blackout_hold_q
from custodywatch.video.models import RecordingSegment

POLICY = "custody-area-v1"


def policy_cameras(facility: Facility) -> QuerySet[Camera]:
    """Cameras of this facility that cover a room where a person in custody may be."""
    return (Camera.objects.filter(facility=facility, rooms__custody_use=True)
            .distinct().order_by("code"))


def keep_days() -> int:
    return settings.PRESERVATION_KEEP_DAYS


def preservation_policy(*, facility: Facility) -> dict[str, object]:
    """The rule the facility's agent follows: registry data only, the same for everyone."""
    return {"facility": facility.code, "policy": POLICY, "keep_days": keep_days(),
            "cameras": list(policy_cameras(facility).values_list("code", flat=True))}


def held_segments_q(facility: Facility) -> Q:
    """Segments of this facility that an active legal hold, or a blackout, keeps: the
    centre's own record (the complaint page, escrow retention), never sent to the facility."""
    query = Q(pk__in=[])
    holds = LegalHold.objects.filter(facility=facility, status=LegalHold.Status.ACTIVE
                                     ).prefetch_related("rooms")
    for hold in holds:
        rooms = list(hold.rooms.all())
        cameras = (Camera.objects.filter(rooms__in=rooms) if rooms
                   else Camera.objects.filter(facility=facility))
        query |= Q(camera__in=cameras, started_at__lt=hold.ends_at,
                   ended_at__gt=hold.starts_at)
    # A blackout of the site holds all its footage (video/incidents.py).
    return query | blackout_hold_q(facility)


def policy_segments(*, facility: Facility, now: dt.datetime | None = None
                    ) -> QuerySet[RecordingSegment]:
    """Segments the policy keeps today at this facility (what its agent may report on)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=keep_days())
    return RecordingSegment.objects.filter(camera__in=policy_cameras(facility),
                                           ended_at__gt=since).select_related("camera")


@dataclass(frozen=True)
class ReportItem:
    sha256: str
    camera: str
    status: str
    found_sha256: str = ""


def preservation_report(*, acting_user: User, origin: Origin, facility: Facility,
                        items: Sequence[ReportItem], now: dt.datetime | None = None) -> int:
    """Record the agent's findings; all items or none. Returns how many changed.

    Only segments the policy keeps at this facility may be reported. A report is idempotent:
    the same status again changes nothing. An altered or missing segment is audited as a
    finding (the handler of a complaint sees those of its held footage on its page).
    """
    now = now or timezone.now()
    ordered = {segment.sha256: segment for segment in policy_segments(
        facility=facility, now=now).filter(sha256__in={item.sha256 for item in items})}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        segment = ordered.get(item.sha256)
        if item.status not in SegmentPreservation.Status.values:
            errors[f"items[{index}].status"] = [_("Unknown status %(status)s.")
                                                % {"status": item.status}]
        elif segment is None or segment.camera.code != item.camera:
            errors[f"items[{index}].sha256"] = [
                _("No segment with this hash on camera %(camera)s was ordered from this "
                  "facility.") % {"camera": item.camera}]
        elif item.status == SegmentPreservation.Status.ALTERED and (
                len(item.found_sha256) != 64 or item.found_sha256 == item.sha256):
            errors[f"items[{index}].found_sha256"] = [
                _("An altered segment needs the SHA-256 of the file found.")]
    if errors:
        raise ValidationError(errors)
    changed = 0
    with transaction.atomic():
        for item in items:
            segment = ordered[item.sha256]
            found = item.found_sha256 if item.status == SegmentPreservation.Status.ALTERED \
                else (item.sha256 if item.status == SegmentPreservation.Status.PRESERVED else "")
            current = SegmentPreservation.objects.filter(segment=segment).first()
            if current is not None and (current.status, current.reported_sha256) == (
                    item.status, found):
                continue
            SegmentPreservation.objects.update_or_create(
                segment=segment, defaults={"status": item.status, "reported_sha256": found,
                                           "reported_at": now})
            changed += 1
            if item.status != SegmentPreservation.Status.PRESERVED:
                audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                             obj=segment, detail={"preservation": item.status,
                                                  "found_sha256": found})
    return changed


def preservation_summary(segments: Sequence[RecordingSegment]) -> dict[str, int]:
    """Counts for a complaint's held footage: preserved, missing, altered, not yet reported."""
    counts = {status: 0 for status in SegmentPreservation.Status.values}
    counts["unreported"] = 0
    for segment in segments:
        preservation = getattr(segment, "preservation", None)
        counts[preservation.status if preservation else "unreported"] += 1
    return counts
