"""Every write of the live view: naming and revoking viewers, opening a link, watching,
receiving frames from agents, and the feed-gap sweep. Each change is audited.

Access rule (docs/liveview.md): a viewer's link opens only the room of its interrogation,
only from its start until its end, only until revoked, and only in the first browser that
opened it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.models import AuditEvent, MachineToken, User
from custodywatch.accounts.scoping import video_writer_facility_id
from custodywatch.core.mail import mail_queue
from custodywatch.custody.alerts import recipients
from custodywatch.custody.models import Interrogation
from custodywatch.custody.services import require_write
from custodywatch.liveview import codes, frames
from custodywatch.liveview.models import (
    FeedGap,
    LinkAttempt,
    Relationship,
    Viewer,
    ViewingSession,
    Watching,
)
from custodywatch.registry.models import Camera, Facility, Room

TRANSPARENT = Room.Kind.TRANSPARENT_INTERROGATION


def gap_seconds() -> int:
    """No frame for this long during an interrogation is a gap; read at each use so that a
    changed setting takes effect without a restart of the sweep or a re-import."""
    return settings.LIVEVIEW_GAP_SECONDS


# How often an agent sends while the room is watched, and asks while it is not.
FRAME_SECONDS = 1 / 3
PROBE_SECONDS = 5.0
# A watching whose page has fetched no frame for this long has ended.
WATCHING_STALE = dt.timedelta(seconds=30)
# A watching's last frame is written at most this often (not on every frame).
LAST_FRAME_EVERY = dt.timedelta(seconds=5)
# Guessing: this many unknown codes from one address in the window, and it must wait.
ATTEMPT_LIMIT = 10
ATTEMPT_WINDOW = dt.timedelta(minutes=15)


class Refusal:
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    OTHER_DEVICE = "other_device"
    THROTTLED = "throttled"
    # On a waiting-room screen: a code that is not a granted request's for this facility.
    NOT_HERE = "not_here"


class LinkRefused(PermissionDenied):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NamedViewer:
    viewer: Viewer
    code: str  # shown once, never stored


@dataclass(frozen=True)
class OpenedLink:
    viewer: Viewer
    browser_secret: str  # for the signed cookie


@dataclass(frozen=True)
class FrameAnswer:
    wanted: bool
    stored: bool
    next_seconds: float


@dataclass(frozen=True)
class SweepResult:
    gaps_opened: int
    gaps_closed: int
    mailed: int
    watchings_closed: int
    frames_discarded: int


# ---------------------------------------------------------------- the interrogation window


def ongoing_q(now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}started_at__lte": now}) & (
        Q(**{f"{prefix}ended_at__isnull": True}) | Q(**{f"{prefix}ended_at__gt": now}))


def window_refusal(interrogation: Interrogation, now: dt.datetime) -> str | None:
    if now < interrogation.started_at:
        return Refusal.NOT_STARTED
    if interrogation.ended_at is not None and now >= interrogation.ended_at:
        return Refusal.ENDED
    return None


def live_interrogations() -> QuerySet[Interrogation]:
    return Interrogation.objects.filter(room__kind=TRANSPARENT)


# ---------------------------------------------------------------- staff: sessions and viewers


def _require_transparent(interrogation: Interrogation) -> None:
    if interrogation.room.kind != TRANSPARENT:
        raise ValidationError({"interrogation": [_(
            "Room %(room)s is not a transparent interrogation room: it has no live view.")
            % {"room": interrogation.room.code}]})


def _session_for(interrogation: Interrogation, now: dt.datetime, acting_user: User | None,
                 origin: Origin) -> ViewingSession:
    session, created = ViewingSession.objects.get_or_create(
        interrogation=interrogation, defaults={"opened_at": now})
    if created:
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=session, detail={"interrogation": interrogation.pk,
                                          "room": interrogation.room.code})
    return session


def viewer_add(
    *, acting_user: User, origin: Origin, interrogation: Interrogation, full_name: str,
    relationship: str,
) -> NamedViewer:
    """Name a relative or lawyer who may watch; the code is returned once and never kept."""
    record = interrogation.custody_record
    require_write(user=acting_user, origin=origin, facility=record.facility, token=None,
                  what=f"live viewer {interrogation.pk}")
    _require_transparent(interrogation)
    errors: dict[str, list[str]] = {}
    full_name = (full_name or "").strip()
    if not full_name:
        errors["full_name"] = [_("Write the viewer's full name.")]
    elif len(full_name) > 200:
        errors["full_name"] = [_("At most 200 characters.")]
    if relationship not in Relationship.values:
        errors["relationship"] = [_("Choose the relationship.")]
    now = timezone.now()
    if interrogation.ended_at is not None and interrogation.ended_at <= now:
        errors["interrogation"] = [_("This interrogation has ended: nobody can watch it now.")]
    if errors:
        raise ValidationError(errors)
    code = codes.new_code()
    with transaction.atomic():
        session = _session_for(interrogation, now, acting_user, origin)
        viewer = Viewer.objects.create(session=session, full_name=full_name,
                                       relationship=relationship, code_hash=codes.digest(code),
                                       created_at=now, created_by=acting_user)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=viewer, detail={"interrogation": interrogation.pk,
                                         "record": record.pk, "relationship": relationship})
    return NamedViewer(viewer, code)


def viewer_revoke(*, acting_user: User, origin: Origin, viewer: Viewer) -> Viewer:
    interrogation = viewer.session.interrogation
    require_write(user=acting_user, origin=origin,
                  facility=interrogation.custody_record.facility, token=None,
                  what=f"live revoke {viewer.pk}")
    now = timezone.now()
    with transaction.atomic():
        revoked = Viewer.objects.filter(pk=viewer.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=acting_user)
        if not revoked:
            raise ValidationError({"viewer": [_("This link was already revoked.")]})
        for watching in viewer.watchings.filter(ended_at__isnull=True):
            _watching_close(watching, "revoked")
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=viewer, detail={"revoked": True, "interrogation": interrogation.pk})
    viewer.refresh_from_db()
    return viewer


# ---------------------------------------------------------------- viewers: link and watching


def _deny(origin: Origin, reason: str, viewer: Viewer | None = None) -> LinkRefused:
    audit_record(actor=None, action=AuditEvent.Action.DENIED, origin=origin,
                 obj=viewer, object_type="" if viewer else "liveview.viewer",
                 object_label="" if viewer else _("live view link"),
                 detail={"reason": reason})
    return LinkRefused(reason)


def _throttled(address: str, now: dt.datetime) -> bool:
    return LinkAttempt.objects.filter(address_key=address, succeeded=False,
                                      at__gte=now - ATTEMPT_WINDOW).count() >= ATTEMPT_LIMIT


def _viewer_query() -> QuerySet[Viewer]:
    return Viewer.objects.select_related("session__interrogation__room__facility",
                                         "session__interrogation__custody_record")


def _check_viewer(viewer: Viewer, now: dt.datetime) -> str | None:
    if viewer.revoked_at is not None:
        return Refusal.REVOKED
    return window_refusal(viewer.session.interrogation, now)


def link_open(*, code: str, origin: Origin,
              browser_secret_of: Callable[[int], str | None] = lambda viewer_id: None,
              now: dt.datetime | None = None) -> OpenedLink:
    """Open a viewer's link: the first opening binds it to this browser.

    Raises LinkRefused with the reason; unknown codes count towards the throttle."""
    now = now or timezone.now()
    address = codes.address_key(origin.ip_address)
    if _throttled(address, now):
        raise _deny(origin, Refusal.THROTTLED)
    raw = codes.normalise(code)
    viewer = None
    if len(raw) == codes.CODE_CHARS:
        viewer = _viewer_query().filter(code_hash=codes.digest(raw)).first()
    LinkAttempt.objects.create(address_key=address, at=now, succeeded=viewer is not None)
    if viewer is None:
        raise _deny(origin, Refusal.UNKNOWN)
    refusal = _check_viewer(viewer, now)
    if refusal is not None:
        raise _deny(origin, refusal, viewer)
    if viewer.bound_at is not None:
        browser_secret = browser_secret_of(viewer.pk)
        if browser_secret and codes.same(browser_secret, viewer.browser_hash):
            return OpenedLink(viewer, browser_secret)
        raise _deny(origin, Refusal.OTHER_DEVICE, viewer)
    secret = codes.new_browser_secret()
    with transaction.atomic():
        bound = Viewer.objects.filter(pk=viewer.pk, bound_at__isnull=True).update(
            bound_at=now, browser_hash=codes.digest(secret))
        if not bound:  # another device opened it at the same moment
            raise _deny(origin, Refusal.OTHER_DEVICE, viewer)
        audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=origin, obj=viewer,
                     detail={"bound": True, "interrogation": viewer.session.interrogation_id})
    viewer.refresh_from_db()
    return OpenedLink(viewer, secret)


def viewer_for_browser(*, viewer_id: int, browser_secret: str | None,
                       now: dt.datetime | None = None) -> Viewer:
    """The viewer this browser is bound to, still allowed to watch now; LinkRefused if not."""
    now = now or timezone.now()
    viewer = _viewer_query().filter(pk=viewer_id).first()
    if viewer is None or not browser_secret or not codes.same(browser_secret,
                                                              viewer.browser_hash):
        raise LinkRefused(Refusal.UNKNOWN)
    refusal = _check_viewer(viewer, now)
    if refusal is not None:
        raise LinkRefused(refusal)
    return viewer


def _watching_close(watching: Watching, reason: str) -> bool:
    end = watching.last_frame_at or watching.started_at
    closed = Watching.objects.filter(pk=watching.pk, ended_at__isnull=True).update(ended_at=end)
    if closed:
        watching.ended_at = end
        audit_record(actor=None, action=AuditEvent.Action.UPDATE,
                     origin=Origin(watching.ip_address, watching.user_agent), obj=watching,
                     detail={"ended": reason, "viewer": watching.viewer_id,
                             "duration_seconds": watching.duration_seconds,
                             "last_frame_at": watching.last_frame_at.isoformat()
                             if watching.last_frame_at else None})
    return bool(closed)


def watching_start(*, viewer: Viewer, origin: Origin,
                   now: dt.datetime | None = None) -> Watching:
    """The viewer's page opened: a new watching (an earlier one of this viewer ends)."""
    now = now or timezone.now()
    interrogation = viewer.session.interrogation
    with transaction.atomic():
        for earlier in viewer.watchings.filter(ended_at__isnull=True):
            _watching_close(earlier, "reopened")
        watching = Watching.objects.create(viewer=viewer, started_at=now,
                                           ip_address=origin.ip_address,
                                           user_agent=origin.user_agent)
        audit_record(actor=None, action=AuditEvent.Action.READ, origin=origin, obj=watching,
                     object_label=f"{viewer.full_name} → {interrogation.room}",
                     detail={"viewer": viewer.pk, "viewer_name": viewer.full_name,
                             "relationship": viewer.relationship,
                             "interrogation": interrogation.pk,
                             "record": interrogation.custody_record_id,
                             "room": interrogation.room.code})
    return watching


def watching_frame(*, watching: Watching, now: dt.datetime | None = None) -> None:
    """A frame was served: the watching's last frame moves on (written every few seconds)."""
    now = now or timezone.now()
    Watching.objects.filter(pk=watching.pk, ended_at__isnull=True).filter(
        Q(last_frame_at__isnull=True) | Q(last_frame_at__lte=now - LAST_FRAME_EVERY)
    ).update(last_frame_at=now)


def watching_end(*, watching: Watching, reason: str) -> bool:
    with transaction.atomic():
        watching.refresh_from_db()
        return _watching_close(watching, reason)


# ---------------------------------------------------------------- agents: frames


def camera_for_agent(
    *, acting_user: User, origin: Origin, token: MachineToken | None, camera_code: str,
    facility_code: str = "",
) -> Camera:
    """The camera an agent may send frames of: only its own facility's."""
    # The one rule for agent writes (accounts.scoping): a staff token bound to the facility,
    # or an agent's token bound to another one, sends nothing.
    facility_id = video_writer_facility_id(acting_user, token)
    facility = Facility.objects.filter(pk=facility_id).first() if facility_id else None
    if facility is None or (facility_code and facility_code != facility.code):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="registry.facility",
                     object_label=facility_code or "live frames",
                     detail={"live_camera": camera_code})
        raise PermissionDenied(_("Only a facility's own edge agent sends its cameras' frames."))
    camera = Camera.objects.filter(facility=facility, code=camera_code).first()
    if camera is None:
        raise ValidationError({"camera": [_("No camera %(code)s in facility %(facility)s.")
                                          % {"code": camera_code, "facility": facility.code}]})
    return camera


def _watched_interrogations(camera: Camera, now: dt.datetime) -> list[int]:
    if not camera.is_active:
        return []
    return list(live_interrogations().filter(ongoing_q(now), room__cameras=camera)
                .values_list("pk", flat=True))


def camera_wanted(*, camera: Camera, now: dt.datetime | None = None) -> FrameAnswer:
    wanted = bool(_watched_interrogations(camera, now or timezone.now()))
    return FrameAnswer(wanted, False, FRAME_SECONDS if wanted else PROBE_SECONDS)


def frame_receive(*, camera: Camera, data: bytes, now: dt.datetime | None = None
                  ) -> FrameAnswer:
    """Keep the frame as the camera's latest, but only while an interrogation in a
    transparent room it covers is going on: other pictures never leave the facility."""
    now = now or timezone.now()
    if len(data) > frames.MAX_FRAME_BYTES:
        raise ValidationError({"body": [_("A frame may be at most %(n)s bytes.")
                                        % {"n": frames.MAX_FRAME_BYTES}]})
    if not frames.looks_like_jpeg(data):
        raise ValidationError({"body": [_("The body must be one JPEG image.")]})
    interrogations = _watched_interrogations(camera, now)
    if not interrogations:
        return FrameAnswer(False, False, PROBE_SECONDS)
    frames.frame_put(camera.pk, data)
    # The picture is back: an open gap ends now.
    for gap in FeedGap.objects.filter(interrogation__in=interrogations, ended_at__isnull=True):
        with transaction.atomic():
            if FeedGap.objects.filter(pk=gap.pk, ended_at__isnull=True).update(ended_at=now):
                audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                             obj=gap, detail={"picture_back": now.isoformat(),
                                              "camera": camera.code})
    return FrameAnswer(True, True, FRAME_SECONDS)


# ---------------------------------------------------------------- the sweep


def _room_camera_ids(interrogation: Interrogation) -> list[int]:
    return [camera.pk for camera in interrogation.room.cameras.all() if camera.is_active]


def _last_frame(camera_ids: list[int], since: dt.datetime) -> dt.datetime:
    moments = [at for at in (frames.frame_received_at(pk) for pk in camera_ids)
               if at is not None and at >= since]
    return max(moments, default=since)


def _gap_open(interrogation: Interrogation, lost_at: dt.datetime, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            gap = FeedGap.objects.create(interrogation=interrogation, started_at=lost_at,
                                         detected_at=now)
            audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                         obj=gap, detail={"interrogation": interrogation.pk,
                                          "record": interrogation.custody_record_id,
                                          "room": interrogation.room.code})
    except IntegrityError:  # another sweeper opened it first
        return False
    return True


def _gaps_detect(now: dt.datetime) -> int:
    opened = 0
    open_gaps = FeedGap.objects.filter(ended_at__isnull=True).values("interrogation_id")
    ongoing = live_interrogations().filter(ongoing_q(now)).exclude(pk__in=open_gaps).select_related(
        "room").prefetch_related("room__cameras")
    for interrogation in ongoing:
        last = _last_frame(_room_camera_ids(interrogation), interrogation.started_at)
        if (now - last).total_seconds() > gap_seconds():
            opened += _gap_open(interrogation, last, now)
    return opened


def _gaps_close_ended(now: dt.datetime) -> int:
    closed = 0
    for gap in FeedGap.objects.filter(ended_at__isnull=True, interrogation__ended_at__lte=now
                                      ).select_related("interrogation"):
        # The query took ended interrogations only.
        end = max(gap.interrogation.ended_at or gap.started_at, gap.started_at)
        with transaction.atomic():
            if FeedGap.objects.filter(pk=gap.pk, ended_at__isnull=True).update(ended_at=end):
                audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                             obj=gap, detail={"interrogation_ended": end.isoformat()})
                closed += 1
    return closed


def _mail(gap: FeedGap) -> None:
    record = gap.interrogation.custody_record
    addresses = sorted({person.email for person in recipients(record) if person.email})
    if not addresses:
        return
    lost = timezone.localtime(gap.started_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    subject = _("[CustodyWatch] Live view lost: %(room)s, %(facility)s") % {
        "room": gap.interrogation.room.code, "facility": record.facility.code}
    body = _("The live picture of the interrogation in room %(room)s (custody record "
             "%(record)s, %(facility)s) stopped at %(lost)s while the interrogation was "
             "going on. Open CustodyWatch to see the gap.") % {
        "room": gap.interrogation.room.code, "record": record.pk,
        "facility": record.facility.code, "lost": lost}
    mail_queue(subject=subject, body=body, to=addresses)


def gaps_mail(*, now: dt.datetime) -> int:
    """E-mail each new gap to the facility head and the region's prosecutors, once."""
    sent = 0
    for gap in FeedGap.objects.filter(mailed_at__isnull=True).select_related(
            "interrogation__room", "interrogation__custody_record__facility"):
        with transaction.atomic():  # claimed with its e-mail queued (core/mail.py)
            if not FeedGap.objects.filter(pk=gap.pk, mailed_at__isnull=True).update(
                    mailed_at=now):
                continue
            _mail(gap)
        sent += 1
    return sent


def _watchings_close_stale(now: dt.datetime) -> int:
    stale = Watching.objects.filter(ended_at__isnull=True).filter(
        Q(last_frame_at__lte=now - WATCHING_STALE)
        | Q(last_frame_at__isnull=True, started_at__lte=now - WATCHING_STALE))
    return sum(_watching_close(watching, "left") for watching in stale)


def _frames_discard(now: dt.datetime) -> int:
    """Pictures of rooms nobody may watch any more leave the centre."""
    wanted = set(Camera.objects.filter(
        rooms__interrogations__in=live_interrogations().filter(ongoing_q(now))
    ).values_list("pk", flat=True))
    discarded = 0
    directory = frames.frames_dir()
    if not directory.is_dir():
        return 0
    for path in directory.glob("camera-*.jpg"):
        camera_id = int(path.stem.removeprefix("camera-") or 0)
        if camera_id not in wanted:
            frames.frame_discard(camera_id)
            discarded += 1
    return discarded


def liveview_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """One pass: open and close feed gaps, e-mail them, end idle watchings, drop frames."""
    now = now or timezone.now()
    opened = _gaps_detect(now)
    closed = _gaps_close_ended(now)
    return SweepResult(gaps_opened=opened, gaps_closed=closed, mailed=gaps_mail(now=now),
                       watchings_closed=_watchings_close_stale(now),
                       frames_discarded=_frames_discard(now))
