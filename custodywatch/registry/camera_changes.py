"""Camera maps need independent approval: a facility proposes, an overseer approves.

Which rooms a camera covers decides every coverage figure, and the facility is a party: a
facility's own agent remapping one working camera to all its rooms would make its blind
rooms vanish. So whatever the facility side sends (its edge agent's inventory, its head's or
duty officer's form) about a new camera, the rooms a camera covers or taking a camera out of
service is stored as a ``CameraChange`` proposal and changes nothing the figures read. It
takes effect when a prosecutor or NPM monitor in scope approves it, as reference views
already work (video/references.py).

A brand-new camera is registered at once, out of service and covering no room, so its agent
can report its health, recordings and markers (and prove its rooms) before the approval.

A proposal that would lower the facility's blind-room count while the camera does not prove
the rooms it gains by their markers is flagged and e-mailed to the regional prosecutor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, holders_q
from custodywatch.accounts.models import AuditEvent, MachineToken, User
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.accounts.scoping import facility_q
from custodywatch.core.mail import mail_queue
from custodywatch.registry.models import Camera, CameraChange, Facility, Recorder, Room
from custodywatch.registry.signals import camera_map_changed


def is_facility_side(user: User, token: MachineToken | None = None) -> bool:
    """The facility's own people and machines, by their account's role: they propose, never
    decide (PROPOSE_CAMERA_CHANGE). A token's facility binding makes nobody facility side
    (issue 17, item 4)."""
    return has_capability(user, Capability.PROPOSE_CAMERA_CHANGE)


def may_propose(user: User, facility: Facility, token: MachineToken | None = None) -> bool:
    """The account's own facility; a token's binding only narrows (one bound to another
    facility proposes nothing), never widens."""
    if token is not None and token.facility_id is not None and token.facility_id != facility.pk:
        return False
    return FACILITY_POLICY.can(user, "propose_camera_change", facility)


def may_decide(user: User, facility: Facility) -> bool:
    return FACILITY_POLICY.can(user, "approve_camera_change", facility)


# --------------------------------------------------------------------------- blind counts


# (facility, now, override) -> (blind custody room ids, per camera the rooms it proves)
BlindRooms = Callable[[Facility, dt.datetime, tuple[int, bool, set[int]] | None],
                      tuple[set[int], dict[int, set[int]]]]
_blind_rooms_of: BlindRooms | None = None


def register_blind_rooms(blind_rooms: BlindRooms) -> None:
    """Set how blind rooms are counted (video's coverage rule, in VideoConfig.ready): the
    registry sits below video and never imports it."""
    global _blind_rooms_of
    _blind_rooms_of = blind_rooms


def _blind_rooms(facility: Facility, now: dt.datetime, override: tuple[int, bool, set[int]]
                 | None = None) -> tuple[set[int], dict[int, set[int]]]:
    """Custody rooms of the facility blind now under the coverage rule, as the video
    figures count them; ``override`` = (camera id, in service, room ids) as if approved.
    Also returns, per camera, the rooms whose marker it shows now (working picture)."""
    if _blind_rooms_of is None:
        raise ImproperlyConfigured(
            "No blind-room count is registered: a camera change could not be weighed. "
            "custodywatch.video must be in INSTALLED_APPS (VideoConfig.ready registers it).")
    return _blind_rooms_of(facility, now, override)


def blind_room_count(facility: Facility, now: dt.datetime | None = None) -> int:
    return len(_blind_rooms(facility, now or timezone.now())[0])


# --------------------------------------------------------------------------- proposing


def _resolve(facility: Facility, room_codes: list[str], recorder_code: str
             ) -> tuple[list[Room], Recorder | None]:
    rooms = list(facility.rooms.filter(code__in=room_codes))
    unknown = sorted(set(room_codes) - {room.code for room in rooms})
    if unknown:
        raise ValidationError({"rooms": _("Not rooms of %(facility)s: %(codes)s.") % {
            "facility": facility.code, "codes": ", ".join(unknown)}})
    recorder = None
    if recorder_code:
        recorder = facility.recorders.filter(code=recorder_code).first()
        if recorder is None:
            raise ValidationError({"recorder": _("Not a recorder of %(facility)s: %(code)s.")
                                   % {"facility": facility.code, "code": recorder_code}})
    return rooms, recorder


def _same_as_now(camera: Camera, name: str, recorder: Recorder | None, rooms: list[Room],
                 is_active: bool) -> bool:
    return (camera.name == name and camera.recorder_id == (recorder.pk if recorder else None)
            and camera.is_active == is_active
            and set(camera.rooms.values_list("pk", flat=True)) == {room.pk for room in rooms})


def camera_change_propose(
    *,
    acting_user: User,
    origin: Origin,
    token: MachineToken | None,
    facility: Facility,
    code: str,
    name: str,
    room_codes: list[str],
    recorder_code: str = "",
    is_active: bool = True,
    now: dt.datetime | None = None,
) -> tuple[Camera, CameraChange | None]:
    """Store what the facility asks for as a pending proposal; nothing the figures read
    changes. Returns the camera and the proposal (None: it asks for what is approved now)."""
    if not may_propose(acting_user, facility, token):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=facility, detail={"camera": code, "propose": True})
        raise PermissionDenied(_("Only the own agent and staff of %(code)s propose changes "
                                 "to its cameras.") % {"code": facility.code})
    now = now or timezone.now()
    rooms, recorder = _resolve(facility, room_codes, recorder_code)
    with transaction.atomic():
        camera = Camera.objects.select_for_update().filter(facility=facility, code=code).first()
        if camera is None:
            # Registered at once, out of service and covering nothing: its agent may report
            # it (and prove its rooms by their markers) while the proposal waits.
            camera = Camera(facility=facility, code=code, name=name, recorder=recorder,
                            is_active=False)
            camera.full_clean(validate_unique=False)
            camera.save()
            kind = CameraChange.Kind.CREATE
        elif _same_as_now(camera, name, recorder, rooms, is_active):
            CameraChange.objects.filter(camera=camera, status=CameraChange.Status.PENDING
                                        ).update(status=CameraChange.Status.SUPERSEDED)
            return camera, None
        elif camera.is_active and not is_active:
            kind = CameraChange.Kind.DEACTIVATE
        elif not camera.is_active and not camera.changes.filter(
                status=CameraChange.Status.APPROVED).exists() and not camera.rooms.exists():
            kind = CameraChange.Kind.CREATE  # still waiting for its first approval
        else:
            kind = CameraChange.Kind.UPDATE
        wanted = sorted(room.code for room in rooms)
        pending = CameraChange.objects.filter(camera=camera,
                                              status=CameraChange.Status.PENDING).first()
        if pending is not None and (pending.name, pending.recorder_code, sorted(
                pending.room_codes), pending.is_active) == (name, recorder_code, wanted,
                                                            is_active):
            return camera, pending  # the agent sent its inventory again
        if pending is not None:
            pending.status = CameraChange.Status.SUPERSEDED
            pending.save(update_fields=["status"])
        before, proving = _blind_rooms(facility, now)
        after, _proving = _blind_rooms(facility, now,
                                       (camera.pk, is_active, {room.pk for room in rooms}))
        gained = before - after
        flagged = len(after) < len(before) and not gained <= proving.get(camera.pk, set())
        change = CameraChange.objects.create(
            facility=facility, camera=camera, kind=kind, name=name,
            recorder_code=recorder_code, room_codes=wanted, is_active=is_active,
            proposed_by=acting_user, proposed_at=now, blind_before=len(before),
            blind_after=len(after), flagged=flagged)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=change, detail={"camera": code, "kind": kind, "rooms": wanted,
                                         "active": is_active, "blind_before": len(before),
                                         "blind_after": len(after), "flagged": flagged})
        if flagged:  # queued with the change (core/mail.py): both commit or neither
            _mail_flag(change)
    return camera, change


def _mail_flag(change: CameraChange) -> None:
    addresses = sorted(set(User.objects.filter(
        holders_q(Capability.RECEIVE_REGION_NOTICES), region_id=change.facility.region_id,
        is_active=True,
    ).exclude(email="").values_list("email", flat=True)))
    if not addresses:
        return
    subject = _("[CustodyWatch] Camera map change to check: %(facility)s") % {
        "facility": change.facility.code}
    body = _("%(facility)s proposes a change to camera %(camera)s that would lower its blind "
             "custody rooms from %(before)d to %(after)d, but the camera does not show the "
             "markers of the rooms it would cover. Open CustodyWatch to check it before "
             "anyone approves it.") % {
        "facility": change.facility.code, "camera": change.camera.code,
        "before": change.blind_before, "after": change.blind_after}
    mail_queue(subject=subject, body=body, to=addresses)


# --------------------------------------------------------------------------- deciding


def camera_change_decide(*, acting_user: User, origin: Origin, change: CameraChange,
                         approve: bool, reason: str, now: dt.datetime | None = None
                         ) -> CameraChange:
    """A prosecutor or NPM monitor in scope approves (the change takes effect) or rejects."""
    from custodywatch.registry.services import _camera_write

    now = now or timezone.now()
    if not may_decide(acting_user, change.facility):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=change, detail={"approve": approve})
        raise PermissionDenied(_("Only a prosecutor or NPM monitor in scope decides a change "
                                 "to a facility's cameras."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why.")]})
    if approve and not camera_map_changed.has_listeners(CameraChange):
        raise ImproperlyConfigured(
            "Nothing receives registry.signals.camera_map_changed: an approved camera change "
            "would leave the coverage figures on the old map (VideoConfig.ready connects it).")
    with transaction.atomic():
        claimed = CameraChange.objects.filter(pk=change.pk, status=CameraChange.Status.PENDING
                                              ).update(
            status=CameraChange.Status.APPROVED if approve else CameraChange.Status.REJECTED,
            decided_by=acting_user, decided_at=now, reason=reason[:300])
        if not claimed:
            raise ValidationError({"change": [_("This proposal was already decided.")]})
        if approve:
            camera = change.camera
            before = set(camera.rooms.values_list("pk", flat=True))
            _camera_write(acting_user=acting_user, origin=origin, facility=change.facility,
                          code=camera.code, name=change.name, room_codes=change.room_codes,
                          recorder_code=change.recorder_code, is_active=change.is_active)
            after = set(camera.rooms.values_list("pk", flat=True))
            # In this transaction: video queues the coverage work of these rooms (the stays of
            # the last day get the new map's figures), committed with the change or not at all.
            camera_map_changed.send(sender=CameraChange, facility=change.facility,
                                    room_ids=sorted(before | after), now=now)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=change, detail={"approved": approve, "reason": reason[:300]})
    change.refresh_from_db()
    return change


def camera_changes_visible(*, user: User, facility: Facility | None = None,
                           pending_only: bool = False):
    """Proposals the reader may see (the facility's own staff see their facility's)."""
    changes = CameraChange.objects.filter(facility_q(user, "facility")).select_related(
        "facility", "camera", "proposed_by", "decided_by")
    if facility is not None:
        changes = changes.filter(facility=facility)
    if pending_only:
        changes = changes.filter(status=CameraChange.Status.PENDING)
    return changes

