"""Complaint terminals as devices: enrolment, the device credential, heartbeats, uptime, the
silence alert and the per-terminal rate (issue 23, items 1 and 3).

- An official outside the facility (MANAGE_TERMINALS, in scope) adds a terminal to a
  facility and a place in it and gets a one-time enrolment code, shown once; only a keyed
  hash of it is kept, and it expires (rules.TERMINAL_ENROLMENT_TERM).
- On the device, the code is typed once (views.terminal_enrol): the terminal is then enrolled
  and the browser holds its credential, ``<id>:<secret>`` in a signed HttpOnly cookie
  (SameSite=Strict), of which the centre keeps the SHA-256 of the secret. A new code or a
  revocation ends the old credential.
- Only an enrolled, unrevoked terminal files complaints as "kiosk" (services.complaint_file);
  anything else is refused with the reason.
- The kiosk page sends a heartbeat every minute; heartbeats close enough make spans of
  uptime (TerminalUptime). The sweep raises an alert for a terminal silent longer than the
  set time and mails it to the NPM and the region's prosecutors, never to the facility alone;
  the next heartbeat clears it.
- A burst of complaints from one terminal is flagged on each complaint for the handler, never
  dropped (note_filing).

The facility is a party: its staff neither manage terminals nor receive their alerts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import (
    DurationField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Greatest, Least
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.capabilities import Capability, holders_q, user_can
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.complaints import receipts, rules
from custodywatch.complaints.models import Anomaly, Terminal, TerminalAlert, TerminalUptime
from custodywatch.kernels import uptime
from custodywatch.registry.models import Facility

logger = logging.getLogger(__name__)

# Who adds, re-enrols and revokes terminals and sees their state: the oversight bodies, never
# the facility whose detainees use them.
ENROLMENT_CHARS = 12
DEVICE_COOKIE = "cw_device"
DEVICE_SALT = "custodywatch.complaints.device"
DEVICE_MAX_AGE = 10 * 365 * 24 * 3600


def silent_after() -> dt.timedelta:
    minutes = getattr(settings, "CUSTODYWATCH_TERMINAL_SILENCE_MINUTES",
                      rules.TERMINAL_SILENCE_MINUTES)
    return dt.timedelta(minutes=int(minutes))


def _enrolment_key(code: str) -> str:
    raw = receipts.normalise(code)
    return hmac.new(settings.SECRET_KEY.encode(), f"enrol:{raw}".encode(),
                    hashlib.sha256).hexdigest()


def _device_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_enrolment_code() -> str:
    raw = "".join(secrets.choice(receipts.ALPHABET) for _ in range(ENROLMENT_CHARS))
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


# ------------------------------------------------------------------ officials


def may_manage(user: User) -> bool:
    return user_can(user, Capability.MANAGE_TERMINALS)


def terminals_visible(*, user: User) -> QuerySet[Terminal]:
    """The terminals of the facilities in the person's scope; none for anyone else."""
    if not may_manage(user):
        return Terminal.objects.none()
    return Terminal.objects.filter(facility_q(user, "facility"))


def _require_manager(user: User, origin: Origin, facility: Facility) -> None:
    if not may_manage(user) or not Facility.objects.filter(facility_q(user),
                                                           pk=facility.pk).exists():
        audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="complaints.terminal", object_label=facility.code,
                     detail={"reason": "not a terminal manager in scope"})
        raise PermissionDenied(_("You do not manage the complaint terminals of this "
                                 "facility."))


def _give_code(terminal: Terminal, now: dt.datetime) -> str:
    code = _new_enrolment_code()
    terminal.enrolment_key = _enrolment_key(code)
    terminal.enrolment_expires_at = now + rules.TERMINAL_ENROLMENT_TERM
    terminal.device_key_hash = ""
    terminal.enrolled_at = None
    return code


def terminal_add(*, acting_user: User, origin: Origin, facility: Facility, place: str,
                 now: dt.datetime | None = None, kind: str = Terminal.Kind.KIOSK
                 ) -> tuple[Terminal, str]:
    """A new terminal at a place of a facility, and its one-time enrolment code (shown
    once)."""
    _require_manager(acting_user, origin, facility)
    if not place.strip():
        raise ValidationError({"place": _("Say where in the facility the terminal stands.")})
    if kind not in Terminal.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of terminal.")})
    now = now or timezone.now()
    with transaction.atomic():
        terminal = Terminal(facility=facility, place=place.strip()[:200], created_at=now,
                            created_by=acting_user, kind=kind)
        code = _give_code(terminal, now)
        terminal.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=terminal, detail={"facility": facility.code, "place": terminal.place,
                                           "kind": kind})
    return terminal, code


def terminal_reenrol(*, acting_user: User, origin: Origin, terminal: Terminal,
                     now: dt.datetime | None = None) -> str:
    """A new enrolment code (a replaced device, a lost credential): the old credential stops
    working at once; a revoked terminal is enrolled again with it."""
    _require_manager(acting_user, origin, terminal.facility)
    now = now or timezone.now()
    with transaction.atomic():
        code = _give_code(terminal, now)
        terminal.revoked_at, terminal.revoked_by = None, None
        terminal.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=terminal, detail={"enrolment": "new code"})
    return code


def terminal_revoke(*, acting_user: User, origin: Origin, terminal: Terminal,
                    now: dt.datetime | None = None) -> Terminal:
    """The terminal files nothing more as "kiosk"; its open alert is cleared."""
    _require_manager(acting_user, origin, terminal.facility)
    now = now or timezone.now()
    with transaction.atomic():
        terminal.revoked_at, terminal.revoked_by = now, acting_user
        terminal.enrolment_key, terminal.enrolment_expires_at = "", None
        terminal.device_key_hash = ""
        terminal.save()
        TerminalAlert.objects.filter(terminal=terminal, cleared_at__isnull=True).update(
            cleared_at=now)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=terminal, detail={"revoked": True})
    return terminal


# ------------------------------------------------------------------ the device


def terminal_enrol(*, code: str, origin: Origin,
                   now: dt.datetime | None = None) -> tuple[Terminal, str]:
    """The device's side: a valid, unexpired code enrols the terminal once and gives the
    device its credential (``<id>:<secret>``, to keep in the signed cookie)."""
    now = now or timezone.now()
    key = _enrolment_key(code) if receipts.normalise(code) else ""
    with transaction.atomic():
        terminal = (Terminal.objects.select_for_update()
                    .filter(enrolment_key=key, enrolment_expires_at__gt=now).first()
                    if key else None)
        if terminal is None:
            audit_record(actor=None, action=AuditEvent.Action.DENIED, origin=origin,
                         object_type="complaints.terminal", object_label="enrolment",
                         detail={"reason": "unknown or expired enrolment code"})
            raise PermissionDenied(_("This enrolment code is unknown, already used or "
                                     "expired. Ask for a new one."))
        secret = secrets.token_urlsafe(32)
        terminal.device_key_hash = _device_hash(secret)
        terminal.enrolled_at = now
        terminal.enrolment_key, terminal.enrolment_expires_at = "", None
        terminal.save(update_fields=["device_key_hash", "enrolled_at", "enrolment_key",
                                     "enrolment_expires_at"])
        audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=origin, obj=terminal,
                     detail={"enrolled": True, "facility": terminal.facility.code})
    return terminal, f"{terminal.pk}:{secret}"


def set_credential(response: HttpResponse, request: HttpRequest, credential: str) -> None:
    response.set_signed_cookie(DEVICE_COOKIE, credential, salt=DEVICE_SALT,
                               max_age=DEVICE_MAX_AGE, httponly=True, samesite="Strict",
                               secure=request.is_secure())


def terminal_of(request: HttpRequest) -> Terminal | None:
    """The enrolled, unrevoked terminal whose credential this browser holds, or None."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_SALT) or ""
    pk, _sep, secret = value.partition(":")
    if not pk.isdigit() or not secret:
        return None
    terminal = Terminal.objects.select_related("facility").filter(
        pk=int(pk), enrolled_at__isnull=False, revoked_at__isnull=True).first()
    if terminal is None or not terminal.device_key_hash or not hmac.compare_digest(
            terminal.device_key_hash, _device_hash(secret)):
        return None
    return terminal


def kiosk_refusal(terminal: Terminal | None, facility: Facility) -> str:
    """Why this browser may not file as this facility's kiosk ("" if it may)."""
    if terminal is None:
        return _("This browser is not an enrolled complaint terminal, so it cannot file "
                 "complaints as a kiosk. Complaints can be sent on the public complaint form; "
                 "a terminal is enrolled with a one-time code from the NPM or the "
                 "prosecutor's office.")
    if terminal.facility_id != facility.pk:
        return _("This terminal is enrolled for another facility.")
    if terminal.kind != Terminal.Kind.KIOSK:
        return _("This terminal is a waiting-room screen: it files no complaints.")
    return ""


def heartbeat(*, terminal: Terminal, now: dt.datetime | None = None) -> None:
    """The terminal is on: extend its last span of uptime (or start one) and clear its open
    silence alert."""
    now = now or timezone.now()
    with transaction.atomic():
        last = (TerminalUptime.objects.select_for_update().filter(terminal=terminal)
                .order_by("-ended_at").first())
        if last is not None and now - last.ended_at <= rules.TERMINAL_HEARTBEAT_GAP:
            if now > last.ended_at:
                TerminalUptime.objects.filter(pk=last.pk).update(ended_at=now)
        else:
            TerminalUptime.objects.create(terminal=terminal, started_at=now, ended_at=now)
        Terminal.objects.filter(pk=terminal.pk).update(last_heartbeat_at=now)
        cleared = TerminalAlert.objects.filter(terminal=terminal, cleared_at__isnull=True,
                                               raised_at__lte=now).update(cleared_at=now)
        if cleared:
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                         object_type="complaints.terminalalert", object_label=str(terminal),
                         detail={"terminal": terminal.pk, "heard again": True})


def note_filing(terminal: Terminal, now: dt.datetime) -> Anomaly:
    """Count a complaint against its terminal's rate window (inside the filing's
    transaction, the terminal's row locked): past the limit, the complaint is flagged."""
    row = Terminal.objects.select_for_update().get(pk=terminal.pk)
    if row.window_started_at is None or now - row.window_started_at >= \
            rules.TERMINAL_BURST_WINDOW:
        row.window_started_at, row.window_count = now, 0
    row.window_count += 1
    row.save(update_fields=["window_started_at", "window_count"])
    if row.window_count > rules.TERMINAL_BURST_LIMIT:
        return Anomaly.TERMINAL_BURST
    return Anomaly.NONE


# ------------------------------------------------------------------ silence alerts


def silence_sweep(*, now: dt.datetime | None = None) -> int:
    """Raise an alert for every enrolled terminal silent longer than the set time (from its
    last heartbeat, or its enrolment if it never sent one); mail those not mailed."""
    now = now or timezone.now()
    cutoff = now - silent_after()
    # Complaint terminals only: a waiting-room screen (liveview) is no way to complain.
    silent = (Terminal.objects.filter(enrolled_at__isnull=False, revoked_at__isnull=True,
                                      kind=Terminal.Kind.KIOSK)
              .filter(Q(last_heartbeat_at__lt=cutoff)
                      | Q(last_heartbeat_at__isnull=True, enrolled_at__lt=cutoff))
              .exclude(Exists(TerminalAlert.objects.filter(terminal=OuterRef("pk"),
                                                           cleared_at__isnull=True))))
    raised = 0
    for terminal in silent.select_related("facility"):
        since = terminal.last_heartbeat_at or terminal.enrolled_at
        if since is None:  # never: only enrolled terminals are picked above
            continue
        try:
            with transaction.atomic():
                alert = TerminalAlert.objects.create(
                    terminal=terminal, raised_at=now,
                    silent_since=since)
        except IntegrityError:
            continue  # a concurrent sweep raised it
        audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=SYSTEM_ORIGIN,
                     obj=alert, detail={"facility": terminal.facility.code,
                                        "terminal": terminal.pk})
        raised += 1
    alerts_mail(now=now)
    return raised


def recipients(facility: Facility) -> list[User]:
    """The NPM monitors and Ombudsperson's staff whose scope holds the facility, and the
    prosecutors of its region: never its own staff."""
    scoped = Q(scope=Scope.COUNTRY) | Q(scope=Scope.REGION, region_id=facility.region_id)
    return list(User.objects.filter(
        Q(holders_q(Capability.PLAN_VISITS)) & scoped
        | Q(holders_q(Capability.RECEIVE_REGION_NOTICES), region_id=facility.region_id),
        is_active=True).exclude(email=""))


def alerts_mail(*, now: dt.datetime) -> int:
    """E-mail each open terminal alert not yet e-mailed; a conditional UPDATE claims it."""
    sent = 0
    for alert in (TerminalAlert.objects.filter(mailed_at__isnull=True, cleared_at__isnull=True)
                  .select_related("terminal__facility").order_by("raised_at")):
        if not TerminalAlert.objects.filter(pk=alert.pk, mailed_at__isnull=True).update(
                mailed_at=now):
            continue
        facility = alert.terminal.facility
        addresses = [user.email for user in recipients(facility)]
        if not addresses:
            sent += 1
            continue
        try:
            send_mail(
                _("CustodyWatch: a complaint terminal of %(facility)s is silent")
                % {"facility": facility.code},
                _("The complaint terminal at “%(place)s” in %(facility)s has not been heard "
                  "since %(since)s. Detainees there may be unable to file complaints. Check "
                  "that it is switched on and connected; a terminal often off is a risk "
                  "factor of the facility.")
                % {"place": alert.terminal.place, "facility": facility.name,
                   "since": timezone.localtime(alert.silent_since).strftime("%Y-%m-%d %H:%M")},
                settings.DEFAULT_FROM_EMAIL, addresses)
        except OSError:
            logger.exception("terminal alert %s: e-mail failed, will retry", alert.pk)
            TerminalAlert.objects.filter(pk=alert.pk, mailed_at=now).update(mailed_at=None)
            continue
        sent += 1
    return sent


# ------------------------------------------------------------------ uptime


def off_percent(facility_ids: Sequence[int], start: dt.datetime,
                end: dt.datetime) -> dict[int, int]:
    """Per facility with enrolled terminals: the share (in whole per cent) of its terminals'
    time in [start, end) in which they were not heard (counted from each one's enrolment
    until its revocation)."""
    end = min(end, timezone.now())
    if end <= start:
        return {}
    terminals = list(Terminal.objects.filter(
        facility_id__in=facility_ids, enrolled_at__isnull=False, enrolled_at__lt=end,
        kind=Terminal.Kind.KIOSK).filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=start)).values_list(
        "pk", "facility_id", "enrolled_at", "revoked_at"))
    span = ExpressionWrapper(Least("ended_at", Value(end)) - Greatest("started_at", Value(start)),
                             output_field=DurationField())
    heard = dict(TerminalUptime.objects.filter(
        terminal_id__in=[t[0] for t in terminals], ended_at__gt=start, started_at__lt=end)
        .values("terminal_id").annotate(total=Sum(span)).order_by()
        .values_list("terminal_id", "total"))
    by_facility: dict[int, list] = {}
    for pk, facility_id, enrolled_at, revoked_at in terminals:
        by_facility.setdefault(facility_id, []).append(
            (enrolled_at, revoked_at, heard.get(pk) or dt.timedelta(0)))
    result = {}
    for facility_id, devices in by_facility.items():
        share = uptime.off_share(devices, start, end)
        if share is not None:
            result[facility_id] = round(100 * share)
    return result
