"""Coverage incidents the centre opens and closes by itself: lost markers and blackouts.

:func:`coverage_incidents_sweep` (run by ``video_sweep`` and ``custodywatch coverage_incidents``)
- opens ``marker_lost`` for each camera in service whose picture is working but has not
  shown, for ``CUSTODYWATCH_MARKER_FRESH_SECONDS``, the marker of a room its approved map
  gives it and that it showed before; closes it when the marker is seen again;
- closes ``foreign_marker`` incidents (opened at ingestion, video/markers.py) once the
  foreign marker has not been seen for as long, or the approved map now gives the room;
- opens a ``blackout`` when more than ``CUSTODYWATCH_BLACKOUT_SHARE`` of a site's reporting
  cameras in service (at least two) are silent or failing at once. A blackout holds all the
  site's footage from an hour before it began (complaints/preservation.py asks the agent to keep
  it, retention keeps it), is e-mailed to the General Prosecutor's Office at once, and stays
  open until the site proves coverage again: most cameras working, and under the proven
  rule at least one custody room proven by its marker.

Nothing here can be closed by a person, least of all by the facility.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
from custodywatch.accounts.capabilities import Capability, holders_q
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.core.mail import mail_queue
from custodywatch.registry.models import Camera, Facility
from custodywatch.video.coverage import CoverageRule, coverage_rule, marker_fresh
from custodywatch.video.models import CameraState, CoverageIncident, MarkerSighting
from custodywatch.video.signals import blackout_closed, blackout_opened
from custodywatch.video.timing import silence_after

HOLD_BEFORE = dt.timedelta(hours=1)
HOLD_AFTER = dt.timedelta(hours=1)
FOREVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
MIN_BLACKOUT_CAMERAS = 2


@dataclass(frozen=True)
class IncidentSweepResult:
    opened: int
    closed: int
    mailed: int


def _blackout_share() -> float:
    return float(getattr(settings, "CUSTODYWATCH_BLACKOUT_SHARE", 0.5))


def _working_now(now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}health__reported_state": CameraState.OK,
                f"{prefix}health__last_heartbeat_at__gte": now - silence_after()})


def _fresh(now: dt.datetime) -> Q:
    return Q(ended_at__gte=now - marker_fresh())


# --------------------------------------------------------------------------- markers


def _marker_lost_open(now: dt.datetime) -> int:
    links = (Camera.rooms.through.objects
             .filter(_working_now(now, "camera__"), camera__is_active=True,
                     room__marker_id__isnull=False)
             # Seen once, not lately.
             .filter(Exists(MarkerSighting.objects.filter(camera_id=OuterRef("camera_id"),
                                                          marker_id=OuterRef("room__marker_id"))),
                     ~Exists(MarkerSighting.objects.filter(
                         _fresh(now), camera_id=OuterRef("camera_id"),
                         marker_id=OuterRef("room__marker_id"))))
             .exclude(Exists(CoverageIncident.objects.filter(
                 kind=CoverageIncident.Kind.MARKER_LOST, closed_at__isnull=True,
                 camera_id=OuterRef("camera_id"), room_id=OuterRef("room_id"))))
             .values_list("camera_id", "room_id", "camera__facility_id", "room__marker_id"))
    opened = 0
    for camera_id, room_id, facility_id, marker in links:
        if marker is None:  # never: chosen by their marker above
            continue
        last = (MarkerSighting.objects.filter(camera_id=camera_id, marker_id=marker)
                .order_by("-ended_at").values_list("ended_at", flat=True).first())
        CoverageIncident.objects.create(
            facility_id=facility_id, kind=CoverageIncident.Kind.MARKER_LOST,
            camera_id=camera_id, room_id=room_id, marker_id=marker, started_at=last or now,
            raised_at=now)
        opened += 1
    return opened


def _marker_incidents_close(now: dt.datetime) -> int:
    closed = 0
    lost = CoverageIncident.objects.filter(kind=CoverageIncident.Kind.MARKER_LOST,
                                           closed_at__isnull=True)
    seen_again = lost.filter(Exists(MarkerSighting.objects.filter(
        _fresh(now), camera_id=OuterRef("camera_id"), marker_id=OuterRef("room__marker_id"))))
    unmapped = lost.exclude(Exists(Camera.rooms.through.objects.filter(
        camera_id=OuterRef("camera_id"), room_id=OuterRef("room_id"), camera__is_active=True)))
    closed += CoverageIncident.objects.filter(
        Q(pk__in=seen_again.values("pk")) | Q(pk__in=unmapped.values("pk"))).update(
        closed_at=now)
    foreign = CoverageIncident.objects.filter(kind=CoverageIncident.Kind.FOREIGN_MARKER,
                                              closed_at__isnull=True)
    still_seen = Exists(MarkerSighting.objects.filter(
        _fresh(now), camera_id=OuterRef("camera_id"), marker_id=OuterRef("marker_id")))
    now_mapped = Exists(Camera.rooms.through.objects.filter(
        camera_id=OuterRef("camera_id"), room_id=OuterRef("room_id")))
    done = [pk for pk, seen, mapped in foreign.annotate(seen=still_seen, mapped=now_mapped)
            .values_list("pk", "seen", "mapped") if mapped or not seen]
    closed += CoverageIncident.objects.filter(pk__in=done).update(closed_at=now)
    return closed


# --------------------------------------------------------------------------- blackouts


def _site_figures(now: dt.datetime) -> dict[int, tuple[int, int]]:
    """Per facility in operation: (cameras in service that ever reported, those working now).
    A camera that never reported has not gone silent: a site without an agent yet is the
    blind-room figures' business, not a blackout."""
    rows = (Camera.objects.filter(is_active=True, facility__is_active=True,
                                  health__isnull=False)
            .values_list("facility_id")
            .annotate(n=Count("pk"), working=Count("pk", filter=_working_now(now)))
            .order_by())
    return {facility_id: (n, working) for facility_id, n, working in rows}


def _site_proves(facility_id: int, now: dt.datetime) -> bool:
    """Under the proven rule, at least one custody room is proven by its marker now."""
    if coverage_rule() != CoverageRule.PROVEN:
        return True
    return Camera.rooms.through.objects.filter(
        _working_now(now, "camera__"), camera__is_active=True, camera__facility_id=facility_id,
        room__custody_use=True).filter(Exists(MarkerSighting.objects.filter(
            _fresh(now), camera_id=OuterRef("camera_id"),
            marker_id=OuterRef("room__marker_id")))).exists()


def is_blackout(cameras: int, working: int, share: float) -> bool:
    return cameras >= MIN_BLACKOUT_CAMERAS and (cameras - working) > share * cameras


def _blackouts(now: dt.datetime) -> tuple[int, int]:
    share = _blackout_share()
    figures = _site_figures(now)
    open_ = {incident.facility_id: incident for incident in CoverageIncident.objects.filter(
        kind=CoverageIncident.Kind.BLACKOUT, closed_at__isnull=True)}
    opened = closed = 0
    for facility_id, (cameras, working) in figures.items():
        if facility_id in open_ or not is_blackout(cameras, working, share):
            continue
        incident = CoverageIncident.objects.create(
            facility_id=facility_id, kind=CoverageIncident.Kind.BLACKOUT,
            started_at=now, raised_at=now,
            detail={"cameras": cameras, "working": working})
        # escrow (above video) locks what the centre holds of the site: escrow/blackouts.py
        blackout_opened.send(sender=CoverageIncident, incident=incident, now=now)
        opened += 1
    for facility_id, incident in open_.items():
        cameras, working = figures.get(facility_id, (0, 0))
        if is_blackout(cameras, working, share) or cameras == 0:
            continue
        if _site_proves(facility_id, now):
            CoverageIncident.objects.filter(pk=incident.pk, closed_at__isnull=True).update(
                closed_at=now)
            blackout_closed.send(sender=CoverageIncident, incident=incident, now=now)
            closed += 1
    return opened, closed


def escrow_reference(incident: CoverageIncident) -> str:
    return f"blackout:{incident.pk}"


def blackout_hold_q(facility: Facility, prefix: str = "") -> Q:
    """Footage (recording segments, ``prefix`` to their camera) a blackout of the site holds."""
    query = Q(pk__in=[])
    for started_at, closed_at in CoverageIncident.objects.filter(
            facility=facility, kind=CoverageIncident.Kind.BLACKOUT).values_list(
            "started_at", "closed_at"):
        end = closed_at + HOLD_AFTER if closed_at else FOREVER
        query |= Q(**{f"{prefix}camera__facility": facility, f"{prefix}started_at__lt": end,
                      f"{prefix}ended_at__gt": started_at - HOLD_BEFORE})
    return query


def blackout_holds(*, facility_id: int, started_at: dt.datetime, ended_at: dt.datetime
                   ) -> bool:
    """True when a blackout holds the site's footage of ``[started_at, ended_at)``."""
    return CoverageIncident.objects.filter(
        Q(closed_at__isnull=True) | Q(closed_at__gt=started_at - HOLD_AFTER),
        facility_id=facility_id, kind=CoverageIncident.Kind.BLACKOUT,
        started_at__lt=ended_at + HOLD_BEFORE).exists()


# --------------------------------------------------------------------------- mail


def _recipients(incident: CoverageIncident) -> list[User]:
    people = (Q(holders_q(Capability.RECEIVE_FACILITY_NOTICES), facility_id=incident.facility_id)
              | Q(holders_q(Capability.RECEIVE_REGION_NOTICES),
                  region_id=incident.facility.region_id))
    if incident.kind == CoverageIncident.Kind.BLACKOUT:
        people |= Q(holders_q(Capability.RECEIVE_COUNTRY_ESCALATIONS))
    return list(User.objects.filter(people, is_active=True))


def incidents_mail(*, now: dt.datetime) -> int:
    """E-mail each incident not yet e-mailed (a blackout to the GPO too); claimed first."""
    sent = 0
    for incident in (CoverageIncident.objects.filter(mailed_at__isnull=True)
                     .select_related("facility", "camera", "room").order_by("raised_at")):
        addresses = sorted({p.email for p in _recipients(incident) if p.email})
        subject = _("[CustodyWatch] %(kind)s: %(facility)s") % {
            "kind": incident.get_kind_display(), "facility": incident.facility.code}
        body = _("%(kind)s at %(facility)s since %(since)s (camera %(camera)s, room %(room)s). "
                 "Open CustodyWatch to see it.") % {
            "kind": incident.get_kind_display(), "facility": incident.facility.code,
            "since": timezone.localtime(incident.started_at).strftime("%Y-%m-%d %H:%M %Z"),
            "camera": incident.camera.code if incident.camera else "-",
            "room": incident.room.code if incident.room else "-"}
        with transaction.atomic():  # claimed with its e-mail queued (core/mail.py)
            if not CoverageIncident.objects.filter(
                    pk=incident.pk, mailed_at__isnull=True).update(mailed_at=now):
                continue
            queued = mail_queue(subject=subject, body=body, to=addresses)
        sent += queued
    return sent


def coverage_incidents_sweep(*, now: dt.datetime | None = None, mail: bool = True
                             ) -> IncidentSweepResult:
    """One pass: markers lost and found, blackouts begun and ended, e-mails (unless ``mail``
    is false: the demo loader leaves them to the running sweep). Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        lost = _marker_lost_open(now)
        closed = _marker_incidents_close(now)
        began, ended = _blackouts(now)
        if lost or closed or began or ended:
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                         object_type="video.coverageincident",
                         object_label="coverage_incidents_sweep",
                         detail={"marker_lost": lost, "closed": closed + ended,
                                 "blackouts": began})
    return IncidentSweepResult(opened=lost + began, closed=closed + ended,
                               mailed=incidents_mail(now=now) if mail else 0)


def open_incidents(*, facilities: Q) -> list[CoverageIncident]:
    """Open incidents of the facilities matching ``facilities`` (a filter on Facility)."""
    return list(CoverageIncident.objects.filter(
        closed_at__isnull=True, facility__in=Facility.objects.filter(facilities))
        .select_related("facility", "camera", "room").order_by("-raised_at")[:200])

