"""Remediation tickets: every blind custody room and broken camera tracked until footage
proves it fixed.

:func:`remediation_sweep` (``custodywatch remediation_tickets``, or ``video_sweep`` each loop):

- opens a ticket for each custody room of a unit in operation that has been blind (under the
  coverage rule in force) for ``CUSTODYWATCH_TICKET_AFTER_HOURS``, and each camera in service
  out of order (or never heard from) for as long; the owner is the head of the unit as
  appointed then, the due date ``CUSTODYWATCH_TICKET_DUE_DAYS`` later;
- escalates an open ticket past its due date to the regional prosecutor, once;
- closes a ticket only when the footage proves the fix: a room's ticket when the coverage
  engine (the same ``stay_coverage`` the records use, so under the proven rule the room's
  marker too) finds the room covered for ``CUSTODYWATCH_TICKET_PROOF_MINUTES`` in one piece
  since the ticket opened and covered now; a camera's when it recorded a working picture that
  long (and, under the proven rule, showed one of its rooms' markers meanwhile) and works
  now. There is no other way to close one: nobody ticks a box.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
from custodywatch.accounts.capabilities import Capability, holders_q
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.core.mail import mail_queue
from custodywatch.registry.models import Camera, HeadAppointment, Room
from custodywatch.video.coverage import (
    CoverageRule,
    coverage_rule,
    stay_coverage,
    working_recordings,
)
from custodywatch.video.models import (
    CameraState,
    CameraStateSpan,
    MarkerSighting,
    RemediationTicket,
)
from custodywatch.video.selectors import cameras_with_health, rooms_blind_now
from custodywatch.video.timing import from_ms, to_ms

Ticket = RemediationTicket


@dataclass(frozen=True)
class TicketSweepResult:
    opened: int
    closed: int
    escalated: int


def _hours(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, name, default)))


def ticket_after() -> dt.timedelta:
    return _hours("CUSTODYWATCH_TICKET_AFTER_HOURS", 24)


def ticket_due() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "CUSTODYWATCH_TICKET_DUE_DAYS", 14)))


def proof_length() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "CUSTODYWATCH_TICKET_PROOF_MINUTES", 30)))


def _owners(facility_ids: set[int]) -> dict[int, str]:
    owners: dict[int, str] = {}
    for facility_id, name in (HeadAppointment.objects.filter(
            facility_id__in=facility_ids, ended_on__isnull=True)
            .order_by("facility_id", "-started_on").values_list("facility_id", "full_name")):
        owners.setdefault(facility_id, name)
    for user in User.objects.filter(holders_q(Capability.RECEIVE_FACILITY_NOTICES),
                                    facility_id__in=facility_ids, is_active=True):
        if user.facility_id is not None:  # always: chosen by their facility above
            owners.setdefault(user.facility_id, user.get_full_name() or user.get_username())
    return owners


# --------------------------------------------------------------------------- opening


def _open_rooms(now: dt.datetime) -> list[Ticket]:
    after = ticket_after()
    rooms = Room.objects.filter(custody_use=True, facility__is_active=True).exclude(
        Exists(Ticket.objects.filter(room=OuterRef("pk"), status=Ticket.Status.OPEN)))
    candidates = rooms_blind_now(room_ids=rooms.values("pk"), now=now)
    if not candidates:
        return []
    # Blind since: the end of the last working picture of a camera in service covering it.
    last_ok = dict(CameraStateSpan.objects.filter(
        state=CameraState.OK, camera__is_active=True, camera__rooms__in=candidates,
        started_at__lt=now).values_list("camera__rooms").annotate(last=Max("ended_at"))
        .order_by())
    if coverage_rule() == CoverageRule.PROVEN:
        markers = dict(Room.objects.filter(pk__in=candidates).values_list("pk", "marker_id"))
        links = list(Camera.rooms.through.objects.filter(
            room_id__in=candidates, camera__is_active=True).values_list("camera_id", "room_id"))
        last_seen: dict[tuple[int, int | None], dt.datetime] = {
            (camera_id, marker): last for camera_id, marker, last in
            MarkerSighting.objects.filter(camera_id__in={c for c, _r in links},
                                          started_at__lt=now)
            .values_list("camera_id", "marker_id").annotate(last=Max("ended_at"))
            .values_list("camera_id", "marker_id", "last").order_by()}
        seen: dict[int, dt.datetime] = {}
        for camera_id, room_id in links:
            last = last_seen.get((camera_id, markers.get(room_id)))
            if last is not None and (room_id not in seen or last > seen[room_id]):
                seen[room_id] = last
        # Proven last when both a working picture and the marker were last there; a room
        # whose marker was never seen was never proven.
        last_ok = {room_id: (min(last_ok[room_id], seen[room_id])
                             if last_ok.get(room_id) and seen.get(room_id) else None)
                   for room_id in candidates}
    tickets = []
    for room_id, facility_id in Room.objects.filter(pk__in=candidates).values_list(
            "pk", "facility_id"):
        since = last_ok.get(room_id)
        if since is not None and since > now - after:
            continue  # blind, but not for long yet
        tickets.append(Ticket(facility_id=facility_id, kind=Ticket.Kind.BLIND_ROOM,
                              room_id=room_id, broken_since=since, opened_at=now,
                              due_at=now + ticket_due()))
    return tickets


def _open_cameras(now: dt.datetime) -> list[Ticket]:
    after = ticket_after()
    broken = (cameras_with_health(now=now)
              .filter(is_active=True, facility__is_active=True)
              .exclude(state_now=CameraState.OK)
              .exclude(Exists(Ticket.objects.filter(camera=OuterRef("pk"),
                                                    status=Ticket.Status.OPEN)))
              .filter(Q(state_since__isnull=True) | Q(state_since__lte=now - after))
              .values_list("pk", "facility_id", "state_since"))
    return [Ticket(facility_id=facility_id, kind=Ticket.Kind.BROKEN_CAMERA, camera_id=camera_id,
                   broken_since=since, opened_at=now, due_at=now + ticket_due())
            for camera_id, facility_id, since in broken]


# --------------------------------------------------------------------------- closing


def _longest(pieces: list[tuple[int, int]]) -> tuple[int, int] | None:
    return max(pieces, key=lambda p: p[1] - p[0], default=None)


def _room_fixed(ticket: Ticket, now: dt.datetime, blind_now: set[int]) -> dict | None:
    if ticket.room_id is None or ticket.room_id in blind_now:  # None: never, a room's ticket
        return None
    coverage = stay_coverage(stays=[(ticket.pk, ticket.room_id, ticket.opened_at, now)],
                             now=now)[0]
    covered, cursor = [], to_ms(ticket.opened_at)
    for start, end in coverage.blind:
        covered.append((cursor, to_ms(start)))
        cursor = to_ms(end)
    covered.append((cursor, to_ms(now)))
    best = _longest([p for p in covered if p[1] > p[0]])
    if best is None or best[1] - best[0] < proof_length() / dt.timedelta(milliseconds=1):
        return None
    return {"from": from_ms(best[0]).isoformat(), "until": from_ms(best[1]).isoformat(),
            "rule": str(coverage_rule())}


def _camera_fixed(ticket: Ticket, now: dt.datetime, working_now: set[int]) -> dict | None:
    if ticket.camera_id not in working_now:
        return None
    _cameras, starts, ends = working_recordings(cameras=Q(pk=ticket.camera_id),
                                                start=ticket.opened_at, end=now)
    need = proof_length() / dt.timedelta(milliseconds=1)
    for start, end in sorted(zip(starts.tolist(), ends.tolist(), strict=True),
                             key=lambda p: p[0] - p[1]):
        if end - start < need:
            break
        if coverage_rule() == CoverageRule.PROVEN:
            markers = Room.objects.filter(cameras=ticket.camera_id, marker_id__isnull=False
                                          ).values("marker_id")
            if not MarkerSighting.objects.filter(
                    camera_id=ticket.camera_id, marker_id__in=markers,
                    started_at__lt=from_ms(end), ended_at__gt=from_ms(start)).exists():
                continue
        return {"from": from_ms(start).isoformat(), "until": from_ms(end).isoformat(),
                "rule": str(coverage_rule())}
    return None


def _close(now: dt.datetime) -> int:
    open_ = list(Ticket.objects.filter(status=Ticket.Status.OPEN))
    if not open_:
        return 0
    blind_now = rooms_blind_now(room_ids=[t.room_id for t in open_ if t.room_id], now=now)
    working_now = set(cameras_with_health(now=now).filter(
        pk__in=[t.camera_id for t in open_ if t.camera_id], state_now=CameraState.OK,
        is_active=True).values_list("pk", flat=True))
    closed = 0
    for ticket in open_:
        if ticket.kind == Ticket.Kind.BLIND_ROOM:
            proof = _room_fixed(ticket, now, blind_now)
        else:
            proof = _camera_fixed(ticket, now, working_now)
        if proof is None:
            continue
        closed += Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.OPEN).update(
            status=Ticket.Status.CLOSED, closed_at=now, proof=proof)
    return closed


# --------------------------------------------------------------------------- escalation


def _escalate(now: dt.datetime) -> list[int]:
    due = list(Ticket.objects.filter(status=Ticket.Status.OPEN, due_at__lt=now,
                                     escalated_at__isnull=True).values_list("pk", flat=True))
    if due:
        Ticket.objects.filter(pk__in=due, escalated_at__isnull=True).update(escalated_at=now)
    return due


def _mail_escalations(ids: list[int]) -> None:
    by_region: dict[int, list[Ticket]] = {}
    for ticket in Ticket.objects.filter(pk__in=ids).select_related("facility", "room",
                                                                   "camera"):
        by_region.setdefault(ticket.facility.region_id, []).append(ticket)
    for region_id, tickets in by_region.items():
        addresses = sorted(set(User.objects.filter(
            holders_q(Capability.RECEIVE_REGION_NOTICES), region_id=region_id, is_active=True,
        ).exclude(email="").values_list("email", flat=True)))
        if not addresses:
            continue
        lines = "\n".join(
            f"- {t.facility.code} {t.room.code if t.room else t.camera.code if t.camera else ''}"
            f" ({t.get_kind_display()}), {t.owner_name or '-'}" for t in tickets)
        mail_queue(subject=_("[CustodyWatch] Remediation overdue: %(n)d") % {"n": len(tickets)},
                   body=_("These blind rooms and broken cameras were not fixed by their due "
                          "date:\n%(lines)s") % {"lines": lines}, to=addresses)


def remediation_sweep(*, now: dt.datetime | None = None) -> TicketSweepResult:
    """One pass: close what footage proves fixed, open what stayed broken, escalate."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = _close(now)
        new = _open_rooms(now) + _open_cameras(now)
        owners = _owners({ticket.facility_id for ticket in new})
        for ticket in new:
            ticket.owner_name = owners.get(ticket.facility_id, "")[:200]
        Ticket.objects.bulk_create(new, ignore_conflicts=True)
        escalated = _escalate(now)
        if new or closed or escalated:
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                         object_type="video.remediationticket", object_label="remediation",
                         detail={"opened": len(new), "closed": closed,
                                 "escalated": len(escalated)})
        if escalated:
            transaction.on_commit(lambda: _mail_escalations(escalated))
    return TicketSweepResult(opened=len(new), closed=closed, escalated=len(escalated))
