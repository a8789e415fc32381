"""Keeping held footage from being overwritten: the centre's orders to a facility's agent.

A legal hold lives at the centre; the recorder that would overwrite the footage lives in the
facility. The agent asks for its facility's orders (``GET /api/preservation/orders``), copies
every ordered segment aside before the recorder's retention reaches it, re-hashes the copy and
reports each as preserved, missing or altered (``POST /api/preservation/reports``).

Confidentiality: the facility's IT runs the agent and can read what it is told. An order
therefore names only a camera, a time span and a hash, never a complaint or a hold, and the
held segments are mixed with a routine sample of ordinary segments (about
``PRESERVATION_SAMPLE_PERCENT`` of the last ``PRESERVATION_SAMPLE_DAYS`` days), which the
centre also uses as a spot check that the recorder's files still match their recording-time
hashes. An order looks the same whichever way it came.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Mod
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints.models import LegalHold, SegmentPreservation
from custodywatch.registry.models import Camera, Facility
from custodywatch.video.incidents import blackout_hold_q
from custodywatch.video.models import RecordingSegment

MAX_ORDERS = 5_000


def _sample_offset() -> int:
    digest = hashlib.sha256(b"preservation-sample:" + settings.SECRET_KEY.encode()).digest()
    return int.from_bytes(digest[:2], "big") % 100


def order_id(sha256: str) -> str:
    """An opaque, stable name for an order: the same whether it is a hold or a sample."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"preserve:" + sha256.encode(), hashlib.sha256).hexdigest()[:20]


def held_segments_q(facility: Facility) -> Q:
    """Segments of this facility that an active legal hold, or a blackout, keeps."""
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


def preservation_orders(*, facility: Facility, now: dt.datetime | None = None
                        ) -> QuerySet[RecordingSegment]:
    """Held segments and the routine sample, oldest first (the recorder overwrites those first)."""
    now = now or timezone.now()
    percent = settings.PRESERVATION_SAMPLE_PERCENT
    since = now - dt.timedelta(days=settings.PRESERVATION_SAMPLE_DAYS)
    sampled = RecordingSegment.objects.filter(camera__facility=facility, started_at__gte=since
                                              ).annotate(
        bucket=Mod(F("id") * 7919 + _sample_offset(), 100)).filter(bucket__lt=percent)
    return (RecordingSegment.objects
            .filter(held_segments_q(facility) | Q(pk__in=sampled.values("pk")),
                    camera__facility=facility)
            .select_related("camera").order_by("started_at", "id"))[:MAX_ORDERS]


@dataclass(frozen=True)
class ReportItem:
    sha256: str
    camera: str
    status: str
    found_sha256: str = ""


def preservation_report(*, acting_user: User, origin: Origin, facility: Facility,
                        items: Sequence[ReportItem], now: dt.datetime | None = None) -> int:
    """Record the agent's findings; all items or none. Returns how many changed.

    Only segments currently ordered from this facility may be reported. A report is idempotent:
    the same status again changes nothing. An altered or missing held segment is audited as a
    finding the handler sees on the complaint's page.
    """
    now = now or timezone.now()
    ordered = {segment.sha256: segment for segment in preservation_orders(facility=facility,
                                                                          now=now)}
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
