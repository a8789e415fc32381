"""Writes of the escrow: upload grants and acknowledgements for a facility's agent, retention
and holds, verification, and the audited opening of escrowed footage.

What a facility can read here never depends on a complaint (docs/security.md): the plan is the
registry's custody-area cameras, every grant carries the same uniform lock (upload time plus
``ESCROW_RETENTION_DAYS``), and every later extension (release plus the complaint window,
holds, blackouts) happens at the centre only, on the store, where the facility sees nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, holders_q
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.custody.models import CustodyRecord, Injury
from custodywatch.escrow import keys, s3
from custodywatch.escrow.models import (
    BodyCameraAssignment,
    EscrowHold,
    EscrowObject,
    EscrowState,
    HoldReason,
    SegmentFingerprint,
)
from custodywatch.escrow.store import configured, store
from custodywatch.kernels.escrow_envelope import EnvelopeError, open_envelope
from custodywatch.kernels.fingerprint import (
    Reference,
    hashes_from_bytes,
    hashes_from_hex,
    hashes_to_bytes,
)
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import ledger_append
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Camera, Facility, Room
from custodywatch.video.models import RecordingSegment

log = logging.getLogger("custodywatch.escrow")

INTERROGATION_KINDS = (Room.Kind.INTERROGATION, Room.Kind.TRANSPARENT_INTERROGATION)
# Who may open escrowed footage and release holds: OPEN_ESCROWED_FOOTAGE and
# RELEASE_ESCROW_HOLD (prosecutors), within their scope (facility_q): FACILITY_POLICY.

GRANT, DONE, WAIT, REFUSED = "grant", "done", "wait", "refused"
ESCROWED, MISMATCH, MISSING = "escrowed", "mismatch", "missing"


def object_key(sha256: str) -> str:
    return f"segments/{sha256}"


# --------------------------------------------------------------------------- the agent's side


def escrow_plan(facility: Facility) -> list[dict[str, object]]:
    """The facility's cameras whose every segment goes to escrow: those covering a room of
    custody use, and body-worn cameras (worn by officers: where force is used); interrogation
    rooms and body cameras first (priority 0). From the registry alone."""
    cameras = (Camera.objects.filter(Q(rooms__custody_use=True) | Q(wearers__isnull=False),
                                     facility=facility, is_active=True)
               .distinct().prefetch_related("rooms").order_by("code"))
    worn = set(BodyCameraAssignment.objects.filter(camera__facility=facility)
               .values_list("camera_id", flat=True))
    plan: list[tuple[int, str]] = []  # (priority, camera)
    for camera in cameras:
        interrogation = any(room.kind in INTERROGATION_KINDS for room in camera.rooms.all())
        first = interrogation or camera.pk in worn
        plan.append((0 if first else 1, camera.code))
    return [{"camera": code, "priority": priority} for priority, code in sorted(plan)]


def body_camera_assign(*, acting_user: User, origin: Origin, camera: Camera,
                       personnel_number: str, full_name: str, started_at: dt.datetime,
                       ended_at: dt.datetime | None = None) -> BodyCameraAssignment:
    """Hand a body-worn camera to an officer for a shift ``[started_at, ended_at)`` (no end:
    until handed on; an open assignment that began before ends when this one begins). Those
    holding ASSIGN_BODY_CAMERAS within their scope (the facility's staff, the system
    administrator), audited; a denial is audited too. A camera fixed in a room is not worn; a
    shift may not overlap another wearer's."""
    if not FACILITY_POLICY.can(acting_user, "assign_body_cameras", camera.facility_id):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=camera, detail={"escrow": "body camera"})
        raise PermissionDenied("Assigning this body-worn camera is not yours to do.")
    errors = {}
    if camera.rooms.exists():
        errors["camera"] = _("This camera is fixed in a room; a body-worn camera covers none.")
    if not personnel_number.strip():
        errors["personnel_number"] = _("Name the officer by his personnel number.")
    if not full_name.strip():
        errors["full_name"] = _("Give the officer's full name.")
    if ended_at is not None and ended_at <= started_at:
        errors["ended_at"] = _("The shift must end after it starts.")
    with transaction.atomic():
        # The camera's row locked: two hand-outs of one camera take turns.
        Camera.objects.select_for_update().filter(pk=camera.pk).first()
        current = BodyCameraAssignment.objects.filter(camera=camera,
                                                      ended_at__isnull=True).first()
        if current is not None and started_at <= current.started_at:
            errors["started_at"] = _("Starts before the current wearer's assignment.")
        overlapping = BodyCameraAssignment.objects.filter(
            camera=camera, ended_at__gt=started_at)
        if ended_at is not None:
            overlapping = overlapping.filter(started_at__lt=ended_at)
        if "started_at" not in errors and overlapping.exists():
            errors["started_at"] = _("This camera is assigned to another shift at that time.")
        if errors:
            raise ValidationError(errors)
        if current is not None and (ended_at is None or current.started_at < ended_at):
            current.ended_at = started_at
            current.save(update_fields=["ended_at"])
            audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                         obj=current, detail={"camera": camera.code, "ended": "handed on"})
        assignment = BodyCameraAssignment.objects.create(
            camera=camera, personnel_number=personnel_number.strip(),
            full_name=full_name.strip(), started_at=started_at, ended_at=ended_at)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=assignment, detail={"camera": camera.code,
                                             "personnel_number": assignment.personnel_number,
                                             "shift": [iso_time(started_at), iso_time(ended_at)
                                                       if ended_at else None]})
    return assignment


def body_camera_unassign(*, acting_user: User, origin: Origin,
                         assignment: BodyCameraAssignment,
                         now: dt.datetime | None = None) -> BodyCameraAssignment | None:
    """Take a body-worn camera back now: a running shift ends now, one not begun yet is
    cancelled (None). Never in the past: what was worn stays on record (the alert of
    ``body_camera_gaps`` reads it), so a shift already over is refused."""
    now = now or timezone.now()
    if not FACILITY_POLICY.can(acting_user, "assign_body_cameras", assignment.camera.facility_id):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=assignment, detail={"escrow": "body camera unassign"})
        raise PermissionDenied("Taking back this body-worn camera is not yours to do.")
    with transaction.atomic():
        locked = BodyCameraAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.ended_at is not None and locked.ended_at <= now:
            raise ValidationError({"assignment": _("This shift is already over.")})
        detail = {"camera": assignment.camera.code,
                  "personnel_number": locked.personnel_number}
        if locked.started_at >= now:
            audit_record(actor=acting_user, action=AuditEvent.Action.DELETE, origin=origin,
                         obj=locked, detail=detail | {"ended": "cancelled before the shift"})
            locked.delete()
            return None
        locked.ended_at = now
        locked.save(update_fields=["ended_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=locked, detail=detail | {"ended": iso_time(now)})
    return locked


def worn_cameras(*, personnel_numbers: Iterable[str], started_at: dt.datetime,
                 ended_at: dt.datetime) -> list[Camera]:
    """The body-worn cameras these officers wore at some moment of ``[started_at, ended_at)``."""
    numbers = [number for number in personnel_numbers if number]
    return list(Camera.objects.filter(
        Q(wearers__ended_at__isnull=True) | Q(wearers__ended_at__gt=started_at),
        wearers__personnel_number__in=numbers, wearers__started_at__lt=ended_at
    ).distinct().order_by("pk"))


def officer_footage(*, personnel_number: str, started_at: dt.datetime,
                    ended_at: dt.datetime) -> list[EscrowObject]:
    """The escrowed segments of the body cameras an officer wore during ``[started_at,
    ended_at)``, each within the time he wore it. For the centre's readers of a case or a
    complaint that names him (their own scope checks come first)."""
    found: list[EscrowObject] = []
    for assignment in BodyCameraAssignment.objects.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=started_at),
            personnel_number=personnel_number, started_at__lt=ended_at):
        until = min(ended_at, assignment.ended_at or ended_at)
        found += EscrowObject.objects.filter(
            camera_id=assignment.camera_id, state=EscrowState.STORED,
            started_at__lt=until, ended_at__gt=max(started_at, assignment.started_at))
    return sorted(found, key=lambda obj: obj.started_at)


@dataclass(frozen=True)
class GrantRequest:
    camera: str
    sha256: str
    stored_sha256: str
    size: int


def _upload_lock(now: dt.datetime) -> dt.datetime:
    """The same for every facility and every segment: it tells the facility nothing."""
    return (now + dt.timedelta(days=settings.ESCROW_RETENTION_DAYS)).replace(microsecond=0)


def grant_uploads(*, acting_user: User, origin: Origin, facility: Facility,
                  items: Sequence[GrantRequest], now: dt.datetime | None = None
                  ) -> list[dict[str, object]]:
    """One answer per item: ``grant`` (a presigned PUT with its signed lock headers), ``done``
    (already escrowed), ``wait`` (the segment's hash has not reached the centre yet) or
    ``refused`` (not a custody-area camera of this facility)."""
    now = now or timezone.now()
    planned = {entry["camera"] for entry in escrow_plan(facility)}
    segments = {(segment.camera.code, segment.sha256): segment for segment in
                RecordingSegment.objects.filter(
                    camera__facility=facility, sha256__in=[item.sha256 for item in items])
                .select_related("camera")}
    existing = {obj.sha256: obj for obj in
                EscrowObject.objects.filter(sha256__in=[item.sha256 for item in items])}
    bucket = store()
    answers: list[dict[str, object]] = []
    granted = 0
    with transaction.atomic():
        for item in items:
            answer: dict[str, object] = {"sha256": item.sha256}
            obj = existing.get(item.sha256)
            segment = segments.get((item.camera, item.sha256))
            if item.camera not in planned or (obj is not None
                                              and obj.facility_id != facility.pk):
                answer["status"] = REFUSED
            elif obj is not None and obj.state == EscrowState.STORED:
                answer["status"] = DONE
            elif segment is None:
                answer["status"] = WAIT
            else:
                if obj is None:
                    obj = EscrowObject(sha256=item.sha256, segment=segment, facility=facility,
                                       camera=segment.camera, started_at=segment.started_at,
                                       ended_at=segment.ended_at)
                obj.state = EscrowState.GRANTED
                obj.stored_sha256, obj.size = item.stored_sha256, item.size
                obj.granted_at = now
                obj.retain_until = _upload_lock(now)
                obj.save()
                existing[item.sha256] = obj  # the same segment twice in one call: one row
                url, headers = s3.presign_put(bucket.presigner, bucket.bucket,
                                              object_key(item.sha256), obj.retain_until)
                answer |= {"status": GRANT, "url": url, "headers": headers}
                granted += 1
            answers.append(answer)
        if granted:
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         object_type="escrow.grant", object_label=facility.code,
                         detail={"granted": granted})
    return answers


def _check_stored(obj: EscrowObject, version_id: str) -> tuple[str, str]:
    """Re-read the stored version: (status, detail)."""
    bucket = store()
    try:
        found, size, body = s3.read_sha256(bucket.checker, bucket.bucket,
                                           object_key(obj.sha256), version_id, keep=True)
    except (s3.ClientError, s3.BotoCoreError) as error:
        return MISSING, str(error)[:200]
    if found != obj.stored_sha256 or size != obj.size:
        return MISMATCH, f"stored bytes hash to {found}"
    mode, until = s3.retention(bucket.client, bucket.bucket, object_key(obj.sha256), version_id)
    if mode != s3.COMPLIANCE or until is None or (obj.retain_until and until < obj.retain_until):
        return MISMATCH, f"lock is {mode or 'none'} until {until}"
    assert body is not None  # noqa: S101 - keep=True
    try:
        open_envelope(keys.private_key_for(body), body, obj.sha256)
    except (EnvelopeError, keys.EscrowKeyError) as error:
        return MISMATCH, f"does not open to the segment: {error}"
    return ESCROWED, ""


def acknowledge_uploads(*, acting_user: User, origin: Origin, facility: Facility,
                        items: Iterable[tuple[str, str]], now: dt.datetime | None = None
                        ) -> list[dict[str, str]]:
    """``items``: (sha256, version id) the agent PUT. Each is re-read from the store, hashed,
    its lock checked and its envelope opened against the ledger's segment hash before it counts
    as escrowed (and gets its ``escrow_object`` leaf)."""
    now = now or timezone.now()
    answers = []
    for sha256, version_id in items:
        with transaction.atomic():
            obj = (EscrowObject.objects.select_for_update()
                   .filter(sha256=sha256, facility=facility).select_related("camera").first())
            if obj is None:
                answers.append({"sha256": sha256, "status": MISSING, "detail": "no grant"})
                continue
            if obj.state == EscrowState.STORED:
                answers.append({"sha256": sha256, "status": ESCROWED, "detail": ""})
                continue
            status, detail = _check_stored(obj, version_id)
            if status == ESCROWED:
                obj.state, obj.version_id, obj.stored_at = EscrowState.STORED, version_id, now
                obj.verified_at, obj.verified_ok = now, True
                obj.save()
                ledger_append(kind=LeafKind.ESCROW_OBJECT, fields={
                    "facility": facility.code, "camera": obj.camera.code, "sha256": obj.sha256,
                    "stored_sha256": obj.stored_sha256, "size": obj.size,
                    "version": version_id, "at": iso_time(now)})
            else:
                obj.state = EscrowState.REJECTED
                obj.save(update_fields=["state"])
                audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                             obj=obj, detail={"escrow": status, "why": detail})
            answers.append({"sha256": sha256, "status": status, "detail": detail})
    return answers


# --------------------------------------------------------------------------- retention


def _hold_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=settings.ESCROW_HOLD_DAYS)


def _extend(obj: EscrowObject, until: dt.datetime) -> bool:
    until = until.replace(microsecond=0) + dt.timedelta(seconds=1)
    if obj.state != EscrowState.STORED or (obj.retain_until and obj.retain_until >= until):
        return False
    bucket = store()
    s3.extend_retention(bucket.client, bucket.bucket, object_key(obj.sha256), obj.version_id,
                        until)
    obj.retain_until = until
    obj.save(update_fields=["retain_until"])
    return True


def place_hold(*, acting_user: User | None, origin: Origin, facility: Facility,
               started_at: dt.datetime, ended_at: dt.datetime, reason: HoldReason,
               reference: str = "", rooms: Iterable[Room] = (),
               cameras: Iterable[Camera] = (), now: dt.datetime | None = None
               ) -> EscrowHold:
    """Keep the facility's footage of a period (of the cameras covering ``rooms`` and of
    ``cameras``; neither given: all) for ``ESCROW_HOLD_DAYS`` from now: a complaint, a case,
    an injury, a blackout. Call it in the transaction of the write that causes it: the hold
    commits with it or not at all.

    The locks on the store are extended once that transaction commits, at the centre, by the
    centre's own credentials; a store that cannot be reached then delays nothing (the
    periodic ``escrow retention`` catches up). Nothing the facility reads changes."""
    now = now or timezone.now()
    with transaction.atomic():
        hold = EscrowHold.objects.create(facility=facility, started_at=started_at,
                                         ended_at=ended_at, reason=reason, reference=reference,
                                         until=_hold_until(now))
        rooms, cameras = list(rooms), list(cameras)
        if rooms:
            hold.rooms.set(rooms)
        if cameras:
            hold.cameras.set(cameras)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=hold, detail={"reason": str(reason), "rooms": len(rooms),
                                       "cameras": len(cameras)})
        pending = _batched.get()
        if pending is None:
            transaction.on_commit(lambda: _apply_after_commit(facility, now))
        else:
            earlier = pending.get(facility.pk)
            pending[facility.pk] = (facility, max(now, earlier[1]) if earlier else now)
    return hold


# Facilities whose lock updates wait for the end of a bulk load (lock_updates_batched).
_batched: ContextVar[dict[int, tuple[Facility, dt.datetime]] | None] = ContextVar(
    "escrow_lock_updates_batched", default=None)


@contextmanager
def lock_updates_batched() -> Iterator[None]:
    """For a bulk load that places thousands of holds in one transaction (the demo's, about
    3,100 at national size): the lock update each hold schedules after commit is gathered
    into one per facility (with the latest hold's moment), scheduled when the block ends,
    still after the transaction commits; nothing if the block raises. Use it inside the
    transaction. Outside such a block every hold schedules its own, as before. (A hold of a
    savepoint rolled back inside the block still updates its facility's locks: harmless, the
    update recomputes every target from what is committed.)"""
    pending: dict[int, tuple[Facility, dt.datetime]] = {}
    token = _batched.set(pending)
    try:
        yield
    finally:
        _batched.reset(token)
    for facility, now in pending.values():
        transaction.on_commit(partial(_apply_after_commit, facility, now))


def _apply_after_commit(facility: Facility, now: dt.datetime) -> None:
    if not configured():
        return  # no escrow store at this centre: the hold row is the whole of it
    try:
        apply_holds(facility=facility, now=now)
    except (s3.ClientError, s3.BotoCoreError, OSError) as error:
        log.warning("escrow: holds of %s not applied yet (%s); `escrow retention` retries",
                    facility.code, error)


def hold_for_complaint(*, acting_user: User | None, origin: Origin, facility: Facility,
                       started_at: dt.datetime, ended_at: dt.datetime, reference: str,
                       rooms: Iterable[Room] = (), now: dt.datetime | None = None
                       ) -> EscrowHold:
    """The off-site copy's share of a complaint's legal hold (complaints/services.py)."""
    return place_hold(acting_user=acting_user, origin=origin, facility=facility,
                      started_at=started_at, ended_at=ended_at, reason=HoldReason.COMPLAINT,
                      reference=reference, rooms=rooms, now=now)


def release_for(*, acting_user: User, origin: Origin, reference: str, decision: str,
                now: dt.datetime | None = None) -> int:
    """Release the active holds placed under ``reference`` (a complaint's legal hold released
    by the prosecutor, with the same decision); how many."""
    released = 0
    for hold in EscrowHold.objects.filter(reference=reference, released_at__isnull=True):
        release_hold(acting_user=acting_user, origin=origin, hold=hold, decision=decision,
                     now=now)
        released += 1
    return released


def release_hold(*, acting_user: User, origin: Origin, hold: EscrowHold, decision: str,
                 now: dt.datetime | None = None) -> EscrowHold:
    """Only a prosecutor in scope, with a written decision. The store's lock is never shortened
    (COMPLIANCE); the footage is simply no longer extended for this hold."""
    if not FACILITY_POLICY.can(acting_user, "release_escrow_hold", hold.facility_id):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=hold, detail={"escrow": "release"})
        raise PermissionDenied("Only a prosecutor in scope releases an escrow hold.")
    if not decision.strip():
        raise ValueError("A release needs the prosecutor's written decision.")
    with transaction.atomic():
        hold.released_at, hold.released_by = now or timezone.now(), acting_user
        hold.release_decision = decision.strip()
        hold.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=hold, detail={"released": True})
    return hold


def retention_target(obj: EscrowObject, now: dt.datetime) -> dt.datetime | None:
    """How long ``obj`` must be kept now: release of everyone held in the facility during its
    span plus the complaint window (still in custody: the window from now; with an injury
    recorded: ``ESCROW_HOLD_DAYS``), and active holds covering it."""
    window = dt.timedelta(days=settings.ESCROW_RETENTION_DAYS)
    hold = dt.timedelta(days=settings.ESCROW_HOLD_DAYS)
    targets = []
    records = CustodyRecord.objects.filter(
        facility_id=obj.facility_id, detained_at__lt=obj.ended_at).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=obj.started_at)).annotate(
        injured=Exists(Injury.objects.filter(medical_check__custody_record=OuterRef("pk")))
    ).values_list("ended_at", "injured")
    for ended_at, injured in records:
        # An injury recorded during the custody keeps the footage as long as a hold would.
        targets.append((ended_at or now) + (hold if injured else window))
    for until in EscrowHold.objects.filter(
            Q(rooms__isnull=True, cameras__isnull=True) | Q(rooms__cameras=obj.camera_id)
            | Q(cameras=obj.camera_id),
            facility_id=obj.facility_id, released_at__isnull=True,
            started_at__lt=obj.ended_at, ended_at__gt=obj.started_at).values_list("until",
                                                                                 flat=True):
        targets.append(until)
    return max(targets) if targets else None


def apply_holds(*, facility: Facility | None = None, now: dt.datetime | None = None) -> int:
    """Extend every escrowed object's lock to its retention target; how many changed.
    (The worker runs it periodically; a hold runs it for its facility at once.)"""
    now = now or timezone.now()
    objects = EscrowObject.objects.filter(state=EscrowState.STORED)
    if facility is not None:
        objects = objects.filter(facility=facility)
    changed = 0
    for obj in objects.iterator(chunk_size=500):
        target = retention_target(obj, now)
        if target is not None and _extend(obj, target):
            changed += 1
    return changed


def escrow_lock_site(facility: Facility, period: tuple[dt.datetime, dt.datetime], *,
                     acting_user: User | None = None, origin: Origin | None = None,
                     reference: str = "", now: dt.datetime | None = None
                     ) -> dict[str, list[str]]:
    """A facility blackout: lock at once everything the centre holds for the site in
    ``period``; what exists off-site (``escrowed``) and what may be lost (``local_only``: the
    segments whose hash reached the centre but whose bytes did not). For the blackout incident."""
    from custodywatch.accounts.audit import SYSTEM_ORIGIN

    started_at, ended_at = period
    place_hold(acting_user=acting_user, origin=origin or SYSTEM_ORIGIN, facility=facility,
               started_at=started_at, ended_at=ended_at, reason=HoldReason.BLACKOUT,
               reference=reference, now=now)
    stored = set(EscrowObject.objects.filter(
        facility=facility, state=EscrowState.STORED, started_at__lt=ended_at,
        ended_at__gt=started_at).values_list("sha256", flat=True))
    segments = RecordingSegment.objects.filter(
        camera__facility=facility, started_at__lt=ended_at, ended_at__gt=started_at
    ).values_list("sha256", flat=True)
    return {"escrowed": sorted(stored),
            "local_only": sorted(sha for sha in segments if sha not in stored)}


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Problem:
    sha256: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.status.upper()} {self.sha256} {self.detail}".rstrip()


def _ledger_stored_hashes(sha256s: list[str]) -> dict[str, set[str]]:
    """The stored-bytes hashes the ledger recorded, by plaintext hash (leaves and queued)."""
    import json

    from custodywatch.ledger.models import Leaf, PendingLeaf

    found: dict[str, set[str]] = {}
    for model in (Leaf, PendingLeaf):
        for data in model.objects.filter(kind=LeafKind.ESCROW_OBJECT,
                                         sha256__in=sha256s).values_list("data", flat=True):
            fields = json.loads(bytes(data).split(b"\n", 2)[2])
            found.setdefault(fields["sha256"], set()).add(fields["stored_sha256"])
    return found


def verify_objects(*, sample: int | None = None, now: dt.datetime | None = None
                   ) -> tuple[int, list[Problem]]:
    """Re-read escrowed objects (all, or a random ``sample``) and check each against the
    ledger's hash of its stored bytes, and, holding the key, its plaintext hash."""
    now = now or timezone.now()
    objects = list(EscrowObject.objects.filter(state=EscrowState.STORED).only(
        "pk", "sha256", "stored_sha256", "size", "version_id", "retain_until"))
    if sample is not None and sample < len(objects):
        objects = random.sample(objects, sample)  # noqa: S311 - a spot check, not a secret
    ledger: dict[str, set[str]] = {}
    for start in range(0, len(objects), 500):
        ledger |= _ledger_stored_hashes([obj.sha256 for obj in objects[start:start + 500]])
    problems = []
    for obj in objects:
        recorded = ledger.get(obj.sha256, set())
        if recorded != {obj.stored_sha256}:
            problem: Problem | None = Problem(obj.sha256, MISMATCH,
                                              "the row disagrees with the ledger")
        else:
            status, detail = _check_stored(obj, obj.version_id)
            problem = None if status == ESCROWED else Problem(obj.sha256, status, detail)
        if problem is not None:
            problems.append(problem)
        EscrowObject.objects.filter(pk=obj.pk).update(verified_at=now,
                                                      verified_ok=problem is None)
    return len(objects), problems


def escrow_status() -> dict[str, object]:
    from django.db.models import Count, Max, Sum

    stored = EscrowObject.objects.filter(state=EscrowState.STORED)
    figures = stored.aggregate(objects=Count("pk"), bytes=Sum("size"), verified=Max("verified_at"))
    now = timezone.now()
    return {"objects": figures["objects"], "bytes": figures["bytes"] or 0,
            "locked": stored.filter(retain_until__gt=now).count(),
            "verified_at": figures["verified"].isoformat() if figures["verified"] else "",
            "store": store().describe()}


# --------------------------------------------------------------------------- opening


def open_object(*, acting_user: User, origin: Origin, obj: EscrowObject, purpose: str) -> bytes:
    """The plaintext of an escrowed segment, for a prosecutor in scope; always audited."""
    allowed = FACILITY_POLICY.can(acting_user, "open_escrowed_footage", obj.facility_id)
    if not allowed:
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin, obj=obj,
                     detail={"escrow": "open"})
        raise PermissionDenied("Only a prosecutor in scope opens escrowed footage.")
    bucket = store()
    found, _size, body = s3.read_sha256(bucket.client, bucket.bucket, object_key(obj.sha256),
                                        obj.version_id, keep=True)
    assert body is not None  # noqa: S101 - keep=True
    if found != obj.stored_sha256:
        raise EnvelopeError(f"stored bytes of {obj.sha256} changed (now {found})")
    plaintext = open_envelope(keys.private_key_for(body), body, obj.sha256)
    audit_record(actor=acting_user, action=AuditEvent.Action.READ, origin=origin, obj=obj,
                 detail={"escrow": "opened", "purpose": purpose[:200]})
    return plaintext


def evidence_package_with_footage(*, acting_user: User, origin: Origin,
                                  objects: Sequence[EscrowObject], purpose: str) -> bytes:
    """An evidence package (ledger/package.py) holding the escrowed footage itself, opened
    for ``acting_user`` (each opening checked and audited as ``open_object``), with the
    recording-time ledger entry of each segment: the package's standalone verifier re-hashes
    every file against the hash the facility's agent reported when the file was finished."""
    import tempfile
    from pathlib import Path

    from custodywatch.ledger.models import Leaf
    from custodywatch.ledger.package import PackageError
    from custodywatch.ledger.services import evidence_package_export

    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for obj in objects:
            plaintext = open_object(acting_user=acting_user, origin=origin, obj=obj,
                                    purpose=purpose)
            path = Path(folder) / f"{obj.camera.code}_{obj.started_at:%Y%m%dT%H%M%S}.mp4"
            path.write_bytes(plaintext)
            files[obj.sha256] = str(path)
        indexes = list(Leaf.objects.filter(kind=LeafKind.RECORDING_SEGMENT,
                                           sha256__in=list(files)).values_list("index",
                                                                               flat=True))
        if len(indexes) < len(files):
            raise PackageError("some segments are not in the signed ledger yet; integrate first")
        return evidence_package_export(acting_user=acting_user, origin=origin,
                                       indexes=indexes, files=files)


# --------------------------------------------------------------------------- fingerprints

STORED, KNOWN = "stored", "known"
MAX_FINGERPRINTS = 7200  # per segment: two hours at one hash a second


@dataclass(frozen=True)
class FingerprintItem:
    camera: str
    sha256: str
    step_ms: int
    hashes: str  # 16 hex digits per hashed frame (kernels/fingerprint.hashes_to_hex)


def record_fingerprints(*, acting_user: User, origin: Origin, facility: Facility,
                        items: Sequence[FingerprintItem], now: dt.datetime | None = None
                        ) -> list[dict[str, str]]:
    """Keep the perceptual fingerprints the agent computed for its recorded segments, each
    with its ``segment_fingerprint`` ledger leaf. One answer per item: ``stored``, ``known``
    (already stored: the first stays), ``wait`` (the segment's hash has not reached the centre
    yet) or ``refused`` (not a camera of this facility). Any segment of the facility's cameras:
    what is fingerprinted does not depend on complaints either."""
    now = now or timezone.now()
    cameras = set(Camera.objects.filter(facility=facility).values_list("code", flat=True))
    segments = {(segment.camera.code, segment.sha256): segment for segment in
                RecordingSegment.objects.filter(
                    camera__facility=facility, sha256__in=[item.sha256 for item in items])
                .select_related("camera")}
    known = set(SegmentFingerprint.objects.filter(
        segment__in=[segment.pk for segment in segments.values()]).values_list(
        "segment_id", flat=True))
    answers: list[dict[str, str]] = []
    stored = 0
    with transaction.atomic():
        for item in items:
            segment = segments.get((item.camera, item.sha256))
            if item.camera not in cameras:
                status = REFUSED
            elif segment is None:
                status = WAIT
            elif segment.pk in known:
                status = KNOWN
            else:
                hashes = hashes_from_hex(item.hashes)
                SegmentFingerprint.objects.create(
                    segment=segment, camera=segment.camera, started_at=segment.started_at,
                    ended_at=segment.ended_at, step_ms=item.step_ms,
                    hashes=hashes_to_bytes(hashes), received_at=now)
                ledger_append(kind=LeafKind.SEGMENT_FINGERPRINT, fields={
                    "facility": facility.code, "camera": item.camera, "sha256": item.sha256,
                    "step_ms": item.step_ms, "hashes": item.hashes, "at": iso_time(now)})
                known.add(segment.pk)
                status = STORED
                stored += 1
            answers.append({"sha256": item.sha256, "status": status})
        if stored:
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         object_type="escrow.fingerprints", object_label=facility.code,
                         detail={"stored": stored})
    return answers


def fingerprint_references(*, camera: str = "", started_at: dt.datetime | None = None,
                           ended_at: dt.datetime | None = None) -> list[Reference]:
    """Every stored segment's fingerprints (of one camera by its code, or all; overlapping
    ``[started_at, ended_at)`` where given) as ``kernels.fingerprint.Reference``, in camera
    and time order."""
    rows = SegmentFingerprint.objects.select_related("camera", "segment").order_by(
        "camera__code", "started_at")
    if camera:
        rows = rows.filter(camera__code=camera)
    if started_at is not None:
        rows = rows.filter(ended_at__gt=started_at)
    if ended_at is not None:
        rows = rows.filter(started_at__lt=ended_at)
    return [Reference(camera=row.camera.code, segment=row.segment.sha256,
                      start=row.started_at.timestamp(), end=row.ended_at.timestamp(),
                      step=row.step_ms / 1000, hashes=hashes_from_bytes(bytes(row.hashes)))
            for row in rows.iterator(chunk_size=500)]


# --------------------------------------------------------------------------- body camera gaps

GAP_GRACE = dt.timedelta(hours=6)  # a docking station uploads at the shift's end: time for it
GAP_LOOKBACK = dt.timedelta(days=7)  # how far back each run looks


def body_camera_gaps(*, now: dt.datetime | None = None) -> int:
    """Raise a ``BodyCameraGap`` for each body-worn camera worn on duty during a custody event
    of its facility (``selectors.custody_events``) whose docking station uploaded no file
    covering the event (within the shift), once the shift's files had ``GAP_GRACE`` to
    arrive. Idempotent: once per assignment, person, event and start (a unique constraint),
    however often it runs. Each new gap is audited and mailed to the supervising prosecutors
    of the facility's region (core.mail, in the transaction); the facility is not told, and
    nothing it reads changes. Returns how many were raised. Use of force: the product records
    no use-of-force reports yet, so custody events alone are incidents."""
    from custodywatch.accounts.audit import SYSTEM_ORIGIN
    from custodywatch.core.mail import mail_queue
    from custodywatch.escrow.models import BodyCameraGap, CustodyEvent
    from custodywatch.escrow.selectors import EVENT_MARGIN, custody_events

    now = now or timezone.now()
    settled = now - GAP_GRACE
    raised = 0
    labels = dict(CustodyEvent.choices)
    for assignment in (BodyCameraAssignment.objects
                       .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now - GAP_LOOKBACK),
                               started_at__lt=settled)
                       .select_related("camera__facility__region")):
        shift_start = max(assignment.started_at, now - GAP_LOOKBACK)
        shift_end = min(assignment.ended_at or settled, settled)
        if shift_end <= shift_start:
            continue
        files = list(RecordingSegment.objects.filter(
            camera=assignment.camera, started_at__lt=shift_end + EVENT_MARGIN,
            ended_at__gt=shift_start - EVENT_MARGIN).values_list("started_at", "ended_at"))
        facility = assignment.camera.facility
        for event in custody_events(facility_id=facility.pk, started_at=shift_start,
                                    ended_at=shift_end, now=now):
            lo = max(event.started_at, assignment.started_at)
            hi = min(event.ended_at, assignment.ended_at or event.ended_at)
            if hi <= lo or any(start < hi and end > lo for start, end in files):
                continue
            with transaction.atomic():
                gap, created = BodyCameraGap.objects.get_or_create(
                    assignment=assignment, custody_record_id=event.record_id,
                    event=event.event, started_at=lo,
                    defaults={"ended_at": hi, "raised_at": now})
                if not created:
                    continue
                audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                             obj=gap, detail={"camera": assignment.camera.code,
                                              "personnel_number": assignment.personnel_number,
                                              "event": event.event})
                to = User.objects.filter(holders_q(Capability.RECEIVE_REGION_NOTICES),
                                         region_id=facility.region_id, is_active=True
                                         ).exclude(email="").values_list("email", flat=True)
                mail_queue(
                    subject=_("CustodyWatch: a body-worn camera of %(facility)s uploaded "
                              "nothing for a custody event") % {"facility": facility.code},
                    body=_("Body-worn camera %(camera)s, worn by %(officer)s (personnel number "
                           "%(number)s) on duty at %(facility)s, uploaded no footage of "
                           "%(start)s to %(end)s (%(event)s of custody record %(record)s).")
                    % {"camera": assignment.camera.code, "officer": assignment.full_name,
                       "number": assignment.personnel_number, "facility": facility.name,
                       "start": timezone.localtime(lo).strftime("%Y-%m-%d %H:%M"),
                       "end": timezone.localtime(hi).strftime("%H:%M"),
                       "event": labels[event.event], "record": event.record_id},
                    to=list(to))
                raised += 1
    return raised
