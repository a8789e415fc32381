"""The complainant's side: the receipt code (throttled) and refused intakes."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import receipts, rules
from custodywatch.complaints.models import (
    Complaint,
    ReceiptAttempt,
)
from custodywatch.complaints.services._common import COMPLAINANT_LABEL
from custodywatch.registry.models import Facility


class ReceiptThrottled(Exception):
    """Too many wrong codes (for this code, terminal or address): wait before trying again."""


def _attempt(keys: dict[str, str], now: dt.datetime, succeeded: bool) -> None:
    ReceiptAttempt.objects.create(**keys, at=now, succeeded=succeeded)


def _receipt_throttle(keys: dict[str, str], now: dt.datetime) -> str:
    """Which throttle a try meets ("" for none). Each limit counts wrong codes in the window:
    per code (its locator), per terminal (or per address for a client without one), and per
    address in all, so that one guesser at a NAT or a kiosk network locks out his own
    terminal, not the people beside him (issue 17, item 8)."""
    failures = ReceiptAttempt.objects.filter(succeeded=False,
                                             at__gte=now - rules.RECEIPT_WINDOW)
    if keys["code_key"] and failures.filter(
            code_key=keys["code_key"]).count() >= rules.RECEIPT_CODE_FAILURE_LIMIT:
        return "code"
    # A client without a terminal id is its address's cookie-less terminal.
    terminal = failures.filter(terminal_key=keys["terminal_key"])
    if not keys["terminal_key"]:
        terminal = terminal.filter(address_key=keys["address_key"])
    if terminal.count() >= rules.RECEIPT_FAILURE_LIMIT:
        return "terminal"
    address = failures.filter(address_key=keys["address_key"])
    if address.count() >= rules.RECEIPT_ADDRESS_FAILURE_LIMIT:
        return "address"
    return ""


def kiosk_refused(*, origin: Origin, facility: Facility, reason: str) -> None:
    """A browser that is not an enrolled terminal of this facility opened its kiosk form."""
    audit_record(actor=None, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type="complaints.complaint", object_label="kiosk",
                 detail={"facility": facility.code, "reason": reason})


def api_intake_refused(*, acting_user: User, origin: Origin) -> None:
    """A sign-in other than the e-appeals system's account tried to file by API."""
    audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type="complaints.complaint", object_label="api intake",
                 detail={"role": acting_user.role})


def complainant_open(*, code: str, origin: Origin, terminal: str = "", pin: str = "",
                     now: dt.datetime | None = None) -> Complaint:
    """The complaint a receipt code opens; PermissionDenied for a wrong code.

    A short code (receipts.new_short_code) opens only with its PIN; one whose check character
    does not match is a typing slip, refused as such (ValidationError) before any lookup.

    Throttled (rules.RECEIPT_*): once a code, a terminal (`terminal`, the browser's random
    id; without one, the address) or an address in all has had too many wrong codes in the
    window, every try of it (a right one too) is refused until the window has passed.
    """
    now = now or timezone.now()
    if receipts.is_short(code) and receipts.split_short(code) is None:
        raise ValidationError({"code": _("A character of this code is mistyped (its last "
                                         "character does not match). Check it and try "
                                         "again.")})
    keys = {"address_key": receipts.address_key(origin.ip_address),
            "terminal_key": receipts.terminal_key(terminal),
            "code_key": receipts.code_key(code)}
    if throttle := _receipt_throttle(keys, now):
        audit_record(actor=None, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="complaints.complaint", object_label=COMPLAINANT_LABEL,
                     detail={"reason": "receipt code throttled", "per": throttle})
        raise ReceiptThrottled
    parts = receipts.split(code)
    short = receipts.split_short(code)
    complaint = None
    if parts is not None:
        complaint = Complaint.objects.filter(receipt_locator=parts[0]).first()
    elif short is not None:
        complaint = Complaint.objects.filter(short_locator=short[0]).first()
    if complaint is None:
        receipts.burn_time()
        ok = False
    elif short is not None:
        ok = receipts.verify_short(short[1], pin, complaint.short_hash)
    else:
        assert parts is not None  # noqa: S101 - a complaint was found by one of the two
        ok = receipts.verify(parts[1], complaint.receipt_hash)
    _attempt(keys, now, ok)
    if not ok:
        audit_record(actor=None, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="complaints.complaint", object_label=COMPLAINANT_LABEL,
                     detail={"reason": "wrong receipt code"})
        raise PermissionDenied(_("No complaint has this receipt code."))
    assert complaint is not None  # noqa: S101 - narrows the type; `ok` implies a complaint
    audit_record(actor=None, action=AuditEvent.Action.READ, origin=origin, obj=complaint,
                 detail={"by": COMPLAINANT_LABEL})
    return complaint
