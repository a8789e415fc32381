"""Every write about complaints: one function per use case, atomic, audited.

Refusals are audited as DENIED before the transaction starts, so that the refusal stays on
record while the refused change does not. Nothing written here names the complainant in an
audit label or a ledger leaf.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    has_capability,
    holders_q,
    is_region_bound,
    user_can,
)
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.complaints import receipts, rules, terminals
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.attachments import (
    CheckedAttachment,
    check_attachments,
    sealed_content,
)
from custodywatch.complaints.models import (
    DISPOSITION_DETAIL_REQUIRED,
    OPEN_STATUSES,
    OPERATOR_CHANNELS,
    Attachment,
    Category,
    Channel,
    Complaint,
    Disposition,
    HandlingBody,
    IdentityAccess,
    LegalHold,
    Message,
    ReceiptAttempt,
    Status,
    Terminal,
    TimelineEvent,
    Urgency,
    identity_context,
)
from custodywatch.complaints.selectors import (
    COMPLAINT_POLICY,
    complaints_visible,
    may_see_identity_of,
)
from custodywatch.core import plausible, stored_files
from custodywatch.core.counters import next_number
from custodywatch.core.mail import mail_queue
from custodywatch.core.sealing import seal, unseal
from custodywatch.custody.models import CustodyRecord, EndReason
from custodywatch.escrow import services as escrow_services
from custodywatch.kernels import triage
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import ledger_append, legal_hold_fields
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Facility, Region, Room

# What the kiosk tells the server about the person at the terminal: nothing.
KIOSK_ORIGIN = Origin(ip_address=None, user_agent="kiosk")
COMPLAINANT_LABEL = "complainant"


@dataclass(frozen=True)
class Identity:
    """What a complainant tells about themselves; sealed as one JSON value."""

    full_name: str = ""
    contact: str = ""
    date_of_birth: str = ""
    relation: str = ""  # the filer's relation to the person concerned (lawyer, mother …)

    def is_empty(self) -> bool:
        return not any((self.full_name, self.contact, self.date_of_birth, self.relation))


@dataclass(frozen=True)
class FiledComplaint:
    complaint: Complaint
    receipt_code: str  # shown once; only its hash is kept
    proof_of_filing: str


class ReceiptThrottled(Exception):
    """Too many wrong codes (for this code, terminal or address): wait before trying again."""


def _deny(user: User | None, origin: Origin, message: str, obj: Complaint | None = None,
          object_label: str = "") -> PermissionDenied:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=obj,
                 object_type="complaints.complaint", object_label=object_label,
                 detail={"reason": message})
    return PermissionDenied(message)


def _require_handler(user: User, origin: Origin, complaint: Complaint) -> None:
    if not COMPLAINT_POLICY.can(user, "handle", complaint):
        raise _deny(user, origin, _("You do not handle this complaint."), complaint)


def _timeline(complaint: Complaint, kind: TimelineEvent.Kind, at: dt.datetime,
              actor: User | None = None, note: str = "",
              parts: list[words.Part] | None = None) -> None:
    """``parts``: words translated when read; ``note``: free text as typed."""
    TimelineEvent.objects.create(complaint=complaint, kind=kind, at=at,
                                 actor=actor if actor is not None and actor.pk else None,
                                 note=note[:500], parts=parts or [])


def _next_reference(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    prefix = f"C-{year}-"

    def last_existing() -> int:  # numbers given before the counter existed
        last = Complaint.objects.filter(reference__startswith=prefix).aggregate(
            last=Max("reference"))["last"]
        return int(last[len(prefix):]) if last else 0

    # A counter row locked until the filing commits: never two filings with one number.
    number = next_number(f"complaint {prefix}", last_existing=last_existing)
    return f"{prefix}{number:06d}"


def _content_sha256(text: str, attachments: list[CheckedAttachment]) -> str:
    content = {"text": text, "attachments": sorted(a.sha256 for a in attachments)}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _validate_intake(*, text: str, facility: Facility | None, region: Region | None,
                     incident_started_at: dt.datetime | None,
                     incident_ended_at: dt.datetime | None, anonymous: bool,
                     identity: Identity, now: dt.datetime) -> None:
    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = _("Describe what happened.")
    elif len(text) > rules.MAX_TEXT_CHARS:
        errors["text"] = _("At most %(count)s characters.") % {"count": rules.MAX_TEXT_CHARS}
    if facility is None and region is None:
        errors["facility"] = _("Name the facility, or at least the region.")
    for name, moment in (("incident_started_at", incident_started_at),
                         ("incident_ended_at", incident_ended_at)):
        # Aware, since 1991, not in the future (core/plausible.py): year 0001 was a 500.
        plausible.collect(errors, plausible.Kind.PAST, name, moment, now)
    if (incident_started_at and incident_ended_at and "incident_ended_at" not in errors
            and incident_ended_at <= incident_started_at):
        errors["incident_ended_at"] = _("Must be after the start.")
    if anonymous and not identity.is_empty():
        errors["anonymous"] = _("An anonymous complaint carries no name or contact.")
    if errors:
        raise ValidationError(errors)


def _store_attachments(complaint: Complaint, checked: list[CheckedAttachment],
                       written: list[str], *, from_complainant: bool,
                       at_intake: bool = False) -> None:
    for item in checked:
        attachment = Attachment(complaint=complaint, original_name=item.original_name,
                                media_type=item.media_type, size=item.size, sha256=item.sha256,
                                from_complainant=from_complainant, at_intake=at_intake)
        # Content-addressed: the same file twice is stored once; a damaged copy is replaced
        # by this genuine one (core/stored_files.py), never served again.
        name = f"complaints/{item.sha256[:2]}/{item.sha256}"
        if default_storage.exists(name):
            try:
                stored_files.verify_name(name, item.sha256, "complaints.attachment")
            except stored_files.StoredFileDamaged:
                default_storage.delete(name)
        wrote = not default_storage.exists(name)
        if wrote:
            name = default_storage.save(name, ContentFile(sealed_content(item.upload,
                                                                         item.sha256)))
            written.append(name)
        attachment.file.name = name
        attachment.save()
        if wrote:
            stored_files.resolve_repaired(name, item.sha256)


def _remove_written(written: list[str]) -> None:
    for name in written:
        default_storage.delete(name)


def complaint_file(
    *,
    acting_user: User | None,
    origin: Origin,
    channel: Channel,
    text: str,
    facility: Facility | None = None,
    region: Region | None = None,
    accused_officers: str = "",
    incident_started_at: dt.datetime | None = None,
    incident_ended_at: dt.datetime | None = None,
    still_in_custody: bool = False,
    anonymous: bool = False,
    identity: Identity | None = None,
    attachments: list | None = None,
    custody_record: CustodyRecord | None = None,
    terminal: Terminal | None = None,
    pin: str = "",
    short_code: str = "",
    now: dt.datetime | None = None,
) -> FiledComplaint:
    """Receive a complaint from any channel: triage, route, start the clocks, hold footage.

    Everything is checked before anything is written; a failure leaves no row and no file.
    A "kiosk" complaint needs the enrolled terminal it came from (complaints/terminals.py);
    a burst from that terminal is flagged on the complaint, never refused.
    """
    now = now or timezone.now()
    identity = identity or Identity()
    if channel == Channel.KIOSK and (terminal is None or not terminal.is_active):
        raise _deny(acting_user, origin, _("Only an enrolled complaint terminal files "
                                           "complaints as a kiosk."))
    # Operators take complaints by telephone, from lawyers and relatives, or on an NPM visit.
    if channel in OPERATOR_CHANNELS and not has_capability(
        acting_user, Capability.TAKE_COMPLAINT_BY_OPERATOR
    ):
        raise _deny(acting_user, origin, _("Only officials take complaints by operator."))
    _validate_intake(text=text, facility=facility, region=region,
                     incident_started_at=incident_started_at,
                     incident_ended_at=incident_ended_at, anonymous=anonymous,
                     identity=identity, now=now)
    if (pin or short_code) and not receipts.valid_pin(pin):
        raise ValidationError({"pin": _("The PIN is %(min)s to %(max)s digits.")
                               % {"min": receipts.PIN_MIN, "max": receipts.PIN_MAX}})
    # A short code drawn by an offline kiosk (complaints.js) and already shown to the person.
    drawn = receipts.split_short(short_code) if short_code else None
    if short_code and (drawn is None or Complaint.objects.filter(
            short_locator=drawn[0]).exists()):
        raise ValidationError({"code": _("This receipt code cannot be used.")})
    checked = check_attachments(list(attachments or []))
    if custody_record is not None and facility is not None and (
        custody_record.facility_id != facility.pk
    ):
        raise ValidationError({"custody_record": _("This custody record is of another facility.")})
    received_at = now
    if channel == Channel.KIOSK:
        # The batch window: staff who saw someone at the terminal cannot match the minute.
        epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        window = rules.KIOSK_BATCH
        received_at = epoch + ((now - epoch) // window) * window
        origin = KIOSK_ORIGIN
    text = text.strip()  # what is stored is what the proof of filing commits to
    result = triage.classify(text)
    category = Category(result.allegation.value)
    urgency = Urgency(triage.urgency(still_in_custody_of_accused=still_in_custody).value)
    written: list[str] = []
    try:
        with transaction.atomic():
            complaint = _create_complaint(
                channel=channel, text=text, facility=facility, region=region,
                accused_officers=accused_officers, incident_started_at=incident_started_at,
                incident_ended_at=incident_ended_at, still_in_custody=still_in_custody,
                anonymous=anonymous, custody_record=custody_record, received_at=received_at,
                result=result, category=category, urgency=urgency)
            if channel == Channel.KIOSK and terminal is not None:
                complaint.terminal = terminal
                complaint.anomaly = terminals.note_filing(terminal, now)
                complaint.save(update_fields=["terminal", "anomaly"])
            if not anonymous and not identity.is_empty():
                plain = json.dumps(identity.__dict__, ensure_ascii=False).encode()
                complaint.identity_sealed = seal(plain, context=identity_context(complaint.pk))
            if pin:  # the short code; the long code's columns keep their unusable placeholder
                code, locator, code_hash = receipts.new_short_code(pin, drawn=short_code)
                complaint.short_locator, complaint.short_hash = locator, code_hash
            else:
                code, locator, code_hash = receipts.new_code()
                complaint.receipt_locator, complaint.receipt_hash = locator, code_hash
            proof = receipts.proof_of_filing(reference=complaint.reference,
                                             received_at=received_at,
                                             content_sha256=_content_sha256(text, checked))
            complaint.receipt_sha256 = hashlib.sha256(proof.encode()).hexdigest()
            complaint.save(update_fields=["identity_sealed", "receipt_locator", "receipt_hash",
                                          "receipt_sha256", "short_locator", "short_hash"])
            _store_attachments(complaint, checked, written, from_complainant=True,
                               at_intake=True)
            _timeline(complaint, TimelineEvent.Kind.RECEIVED, received_at, acting_user,
                      parts=[words.choice(Channel, channel)])
            _timeline(complaint, TimelineEvent.Kind.ROUTED, received_at, None,
                      complaint.region.code,
                      parts=[words.choice(HandlingBody, complaint.handling_body)])
            ledger_append(kind=LeafKind.COMPLAINT_RECEIPT, fields={
                "receipt_sha256": complaint.receipt_sha256, "channel": str(channel),
                "at": iso_time(received_at)})
            if complaint.facility_id is not None:
                legal_hold_place(complaint=complaint, acting_user=acting_user, now=now,
                                 origin=origin)
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=complaint, detail={"channel": str(channel),
                                                "attachments": len(checked),
                                                **({"flag": complaint.anomaly}
                                                   if complaint.anomaly else {})})
    except BaseException:
        _remove_written(written)
        raise
    return FiledComplaint(complaint, code, proof)


def _create_complaint(*, channel: Channel, text: str, facility: Facility | None,
                      region: Region | None, accused_officers: str,
                      incident_started_at: dt.datetime | None,
                      incident_ended_at: dt.datetime | None, still_in_custody: bool,
                      anonymous: bool, custody_record: CustodyRecord | None,
                      received_at: dt.datetime, result: triage.TriageResult,
                      category: Category, urgency: Urgency) -> Complaint:
    complaint = Complaint(
        reference=_next_reference(received_at),
        channel=channel,
        received_at=received_at,
        text=text.strip(),
        language=result.language.value,
        facility=facility,
        region=facility.region if facility is not None else region,
        accused_officers=accused_officers.strip()[:500],
        incident_started_at=incident_started_at,
        incident_ended_at=incident_ended_at,
        still_in_custody=still_in_custody,
        custody_record=custody_record,
        suggested_category=category,
        triggering_words=list(result.words),
        category=category,
        urgency=urgency,
        handling_body=rules.ROUTING[category],
        status=Status.RECEIVED,
        registration_due_at=received_at + rules.COMPLAINT_TERMS.registration,
        answer_due_at=received_at + rules.answer_term(category),
        is_anonymous=anonymous,
        # Placeholders until the code is drawn: the row needs its id for the sealing context.
        receipt_locator=get_random_string(8),
        receipt_hash=receipts.UNUSABLE_HASH,
        receipt_sha256="",
    )
    complaint.full_clean(exclude=["identity_sealed", "receipt_sha256"])
    complaint.save()
    return complaint


# ---------------------------------------------------------------- legal hold


def _hold_period(complaint: Complaint, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    margin = rules.HOLD_MARGIN
    if complaint.incident_started_at is not None:
        end = complaint.incident_ended_at or complaint.incident_started_at + dt.timedelta(days=1)
        return complaint.incident_started_at - margin, min(end + margin, now + margin)
    record = complaint.custody_record
    if record is not None:
        return record.detained_at - margin, (record.ended_at or now) + margin
    return now - rules.HOLD_DEFAULT_LOOKBACK, now + margin


def _rooms_of_stays(record: CustodyRecord, start: dt.datetime, end: dt.datetime) -> list[Room]:
    """The rooms the person was in during [start, end), from the custody register's stays."""
    stays = record.stays.filter(started_at__lt=end).exclude(ended_at__lte=start)
    return list(Room.objects.filter(stays__in=stays).distinct())


def legal_hold_place(*, complaint: Complaint, acting_user: User | None,
                     now: dt.datetime | None = None, origin: Origin = SYSTEM_ORIGIN
                     ) -> LegalHold:
    """Hold the footage of the complaint: the person's rooms when known, else the facility.

    Runs inside the complaint's own transaction (the hold and the complaint commit together).
    """
    now = now or timezone.now()
    starts_at, ends_at = _hold_period(complaint, now)
    rooms: list[Room] = []
    if complaint.custody_record is not None:
        rooms = _rooms_of_stays(complaint.custody_record, starts_at, ends_at)
    with transaction.atomic(savepoint=False):
        hold = LegalHold.objects.create(
            complaint=complaint, facility_id=complaint.facility_id,
            custody_record=complaint.custody_record, starts_at=starts_at, ends_at=ends_at,
            created_at=now)
        if rooms:
            hold.rooms.set(rooms)
        room_codes = sorted(room.code for room in rooms)
        _timeline(complaint, TimelineEvent.Kind.HOLD, now, acting_user, ", ".join(room_codes),
                  parts=[] if room_codes else [words.text(gettext_noop(
                      "every room of the facility"))])
        ledger_append(kind=LeafKind.LEGAL_HOLD, fields=legal_hold_fields(
            hold=hold.pk, action="placed", at=now, details=legal_hold_details(hold, "placed")))
        # The off-site copies of the same footage are kept as long (escrow/services.py): at
        # the centre only, so nothing the facility reads changes (docs/security.md).
        escrow_services.hold_for_complaint(
            acting_user=acting_user, origin=origin, facility=complaint.facility,
            started_at=starts_at, ended_at=ends_at, reference=escrow_reference(hold),
            rooms=rooms, now=now)
    return hold


def escrow_reference(hold: LegalHold) -> str:
    """The escrow hold that goes with a legal hold carries this reference."""
    return f"legal-hold:{hold.pk}"


def legal_hold_details(hold: LegalHold, action: str) -> dict[str, Any]:
    """What a hold's ledger leaf commits to, derived from the hold's row alone (so that
    ``ledger verify`` re-derives it): the complaint, the facility, the rooms and the period;
    for a release, who released it and why."""
    if action == "released":
        return {"complaint": hold.complaint.reference,
                "by": hold.released_by.get_username() if hold.released_by else "",
                "reason": hold.release_reason}
    return {"complaint": hold.complaint.reference, "facility": hold.facility.code,
            "rooms": sorted(room.code for room in hold.rooms.all()),
            "from": iso_time(hold.starts_at), "until": iso_time(hold.ends_at)}


def legal_hold_release(*, acting_user: User, origin: Origin, hold: LegalHold,
                       reason: str) -> LegalHold:
    """Only a prosecutor releases a hold, with a reason, once the complaint is closed."""
    if not has_capability(acting_user, Capability.RELEASE_LEGAL_HOLD):
        raise _deny(acting_user, origin, _("Only a prosecutor releases a legal hold."),
                    hold.complaint)
    _require_handler(acting_user, origin, hold.complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for releasing the footage.")})
    if hold.complaint.is_open:
        raise ValidationError({"reason": _("Close the complaint before releasing its footage.")})
    now = timezone.now()
    with transaction.atomic():
        hold.status, hold.released_at, hold.released_by = LegalHold.Status.RELEASED, now, \
            acting_user
        hold.release_reason = reason.strip()
        hold.save(update_fields=["status", "released_at", "released_by", "release_reason"])
        ledger_append(kind=LeafKind.LEGAL_HOLD, fields=legal_hold_fields(
            hold=hold.pk, action="released", at=now,
            details=legal_hold_details(hold, "released")))
        _timeline(hold.complaint, TimelineEvent.Kind.HOLD, now, acting_user,
                  parts=[words.text(gettext_noop("released"))])
        escrow_services.release_for(acting_user=acting_user, origin=origin,
                                    reference=escrow_reference(hold),
                                    decision=hold.release_reason, now=now)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=hold,
                     detail={"released": True})
    return hold


# ---------------------------------------------------------------- handling


def complaint_triage_confirm(*, acting_user: User, origin: Origin, complaint: Complaint,
                             category: Category, urgency: Urgency) -> Complaint:
    """A person confirms or corrects the machine's triage; a new class may mean a new body."""
    _require_handler(acting_user, origin, complaint)
    now = timezone.now()
    with transaction.atomic():
        before = (complaint.category, complaint.urgency, complaint.handling_body)
        complaint.category, complaint.urgency = Category(category), Urgency(urgency)
        complaint.triage_confirmed_at, complaint.triage_confirmed_by = now, acting_user
        complaint.handling_body = rules.ROUTING[complaint.category]
        complaint.answer_due_at = complaint.received_at + rules.answer_term(complaint.category)
        complaint.save(update_fields=["category", "urgency", "triage_confirmed_at",
                                      "triage_confirmed_by", "handling_body", "answer_due_at"])
        corrected = complaint.category != complaint.suggested_category
        category = words.choice(Category, complaint.category)
        _timeline(complaint, TimelineEvent.Kind.TRIAGED, now, acting_user, parts=[
            words.text(gettext_noop("%(category)s (corrected)"), category=category)
            if corrected else category])
        if before[2] != complaint.handling_body:
            complaint.handler = None
            complaint.save(update_fields=["handler"])
            _timeline(complaint, TimelineEvent.Kind.ROUTED, now, acting_user,
                      parts=[words.choice(HandlingBody, complaint.handling_body)])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"triage": complaint.category,
                                            "suggested": complaint.suggested_category,
                                            "urgency": complaint.urgency,
                                            "before": list(before)})
    return complaint


def complaint_register(*, acting_user: User, origin: Origin, complaint: Complaint) -> Complaint:
    _require_handler(acting_user, origin, complaint)
    if complaint.status != Status.RECEIVED:
        raise ValidationError({"status": _("Already registered.")})
    now = timezone.now()
    with transaction.atomic():
        complaint.status, complaint.registered_at = Status.REGISTERED, now
        if complaint.handler_id is None:
            complaint.handler = acting_user
        complaint.save(update_fields=["status", "registered_at", "handler"])
        _timeline(complaint, TimelineEvent.Kind.REGISTERED, now, acting_user)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"status": Status.REGISTERED})
    return complaint


def _eligible_handler(complaint: Complaint, user: User) -> bool:
    """Who may be given a complaint: a handler in scope, never anyone of the accused facility."""
    if not user_can(user, Capability.HANDLE_COMPLAINTS) or user.scope == Scope.FACILITY:
        return False
    if complaint.handling_body == HandlingBody.OMBUDSPERSON:
        eligible = has_capability(user, Capability.ACT_FOR_OMBUDSPERSON)
    elif has_capability(user, Capability.ACT_FOR_PROSECUTION):
        # A regional prosecutor, his region's; the General Prosecutor's Office, any.
        eligible = not is_region_bound(user) or user.region_id == complaint.region_id
    else:
        eligible = False
    # The one scoped rule also keeps out an officer the complaint accuses.
    return eligible and complaints_visible(user=user).filter(pk=complaint.pk).exists()


def complaint_reassign(*, acting_user: User, origin: Origin, complaint: Complaint,
                       handler: User, reason: str) -> Complaint:
    """Give the complaint to another official; every reassignment is audited with its reason."""
    _require_handler(acting_user, origin, complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the reassignment.")})
    if not _eligible_handler(complaint, handler):
        raise ValidationError({"handler": _("This person cannot handle this complaint.")})
    now = timezone.now()
    with transaction.atomic():
        previous = complaint.handler
        complaint.handler = handler
        complaint.save(update_fields=["handler"])
        _timeline(complaint, TimelineEvent.Kind.REASSIGNED, now, acting_user,
                  f"{previous.get_username() if previous else '—'} → {handler.get_username()}: "
                  f"{reason.strip()}")
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"handler": handler.get_username(),
                                            "previous": previous.get_username() if previous
                                            else None, "reason": reason.strip()})
    return complaint


def complaint_link_custody_record(*, acting_user: User, origin: Origin, complaint: Complaint,
                                  custody_record: CustodyRecord) -> Complaint:
    """Link the complainant's custody record; the footage of their rooms is held at once.

    Only a record the handler may see (his scope, accounts/scoping.py); a complaint that
    named no facility takes the record's facility and that facility's region, so that it is
    routed and counted where the person was held.
    """
    _require_handler(acting_user, origin, complaint)
    if not CustodyRecord.objects.filter(facility_q(acting_user, "facility"),
                                        pk=custody_record.pk).exists():
        raise _deny(acting_user, origin, _("This custody record is outside your scope."),
                    complaint)
    if complaint.facility_id and custody_record.facility_id != complaint.facility_id:
        raise ValidationError({"custody_record": _("This custody record is of another facility.")})
    now = timezone.now()
    with transaction.atomic():
        previous_region = complaint.region_id
        complaint.custody_record = custody_record
        if complaint.facility_id is None:
            complaint.facility = custody_record.facility
            complaint.region_id = custody_record.facility.region_id
        if custody_record.ended_at is None:
            # Still held by the unit he complains about: urgent (kernels/triage.urgency).
            complaint.still_in_custody = True
            complaint.urgency = Urgency(triage.urgency(still_in_custody_of_accused=True).value)
        complaint.save(update_fields=["custody_record", "facility", "region",
                                      "still_in_custody", "urgency"])
        if (complaint.region_id != previous_region and complaint.handler is not None
                and not complaints_visible(user=complaint.handler).filter(
                    pk=complaint.pk).exists()):
            complaint.handler = None  # of the former region: it waits for the new region's
            complaint.save(update_fields=["handler"])
        _timeline(complaint, TimelineEvent.Kind.LINKED, now, acting_user)
        legal_hold_place(complaint=complaint, acting_user=acting_user, now=now, origin=origin)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"custody_record": custody_record.pk,
                                            "urgency": complaint.urgency,
                                            "facility": complaint.facility.code,
                                            "region_before": previous_region,
                                            "region": complaint.region_id})
    return complaint


def message_send_official(*, acting_user: User, origin: Origin, complaint: Complaint, body: str,
                          is_question: bool = False, answer: bool = False) -> Message:
    """A message to the complainant; a question waits for them, an answer ends the clock."""
    _require_handler(acting_user, origin, complaint)
    if not body.strip():
        raise ValidationError({"body": _("Write the message.")})
    if not complaint.is_open and not answer:
        raise ValidationError({"body": _("This complaint is closed.")})
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(complaint=complaint, sender=Message.Sender.OFFICIAL,
                                         author=acting_user, body=body.strip(),
                                         is_question=is_question, sent_at=now)
        fields = ["status"]
        if complaint.handler_id is None:
            complaint.handler = acting_user
            fields.append("handler")
        if complaint.registered_at is None:
            complaint.registered_at = now
            fields.append("registered_at")
        if answer:
            complaint.status, complaint.answered_at = Status.ANSWERED, now
            fields.append("answered_at")
            _timeline(complaint, TimelineEvent.Kind.ANSWERED, now, acting_user)
        else:
            complaint.status = (Status.AWAITING_COMPLAINANT if is_question
                                else Status.REGISTERED)
            _timeline(complaint, TimelineEvent.Kind.MESSAGE, now, acting_user,
                      parts=[words.text(gettext_noop("question"))] if is_question else [])
        complaint.save(update_fields=fields)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=message, object_label=complaint.reference,
                     detail={"question": is_question, "answer": answer})
    return message


def complaint_close(*, acting_user: User, origin: Origin, complaint: Complaint,
                    disposition: str, detail: str = "", note: str = "") -> Complaint:
    """Close with how it ended (Disposition), and for a referral, a case, a refusal or a
    remedy the words that go with it; the complainant reads it in plain words."""
    _require_handler(acting_user, origin, complaint)
    if complaint.status == Status.CLOSED:
        raise ValidationError({"disposition": _("This complaint is closed.")})
    if disposition not in Disposition.values:
        raise ValidationError({"disposition": _("Choose how the complaint ended.")})
    detail = detail.strip()
    if disposition in DISPOSITION_DETAIL_REQUIRED and not detail:
        raise ValidationError({"detail": _("Give the register or case number, the legal "
                                           "ground of the refusal, or the remedy given.")})
    now = timezone.now()
    with transaction.atomic():
        complaint.status, complaint.closed_at = Status.CLOSED, now
        complaint.disposition, complaint.disposition_detail = disposition, detail[:300]
        complaint.save(update_fields=["status", "closed_at", "disposition",
                                      "disposition_detail"])
        _timeline(complaint, TimelineEvent.Kind.CLOSED, now, acting_user,
                  " · ".join(part for part in (detail, note) if part),
                  parts=[words.choice(Disposition, disposition)])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=complaint, detail={"status": Status.CLOSED,
                                            "disposition": disposition})
    return complaint


# ---------------------------------------------------------------- the complainant


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


def complainant_reply(*, complaint: Complaint, origin: Origin, body: str,
                      attachments: list | None = None) -> Message:
    """The complainant answers or adds information (the caller opened it with the code)."""
    if not body.strip():
        raise ValidationError({"body": _("Write the message.")})
    if len(body) > rules.MAX_TEXT_CHARS:
        raise ValidationError({"body": _("At most %(count)s characters.")
                               % {"count": rules.MAX_TEXT_CHARS}})
    if complaint.status == Status.CLOSED:
        raise ValidationError({"body": _("This complaint is closed.")})
    checked = check_attachments(list(attachments or []))
    now = timezone.now()
    written: list[str] = []
    try:
        with transaction.atomic():
            message = Message.objects.create(complaint=complaint,
                                             sender=Message.Sender.COMPLAINANT,
                                             body=body.strip(), sent_at=now)
            _store_attachments(complaint, checked, written, from_complainant=True)
            if complaint.status == Status.AWAITING_COMPLAINANT:
                complaint.status = Status.REGISTERED
                complaint.save(update_fields=["status"])
            _timeline(complaint, TimelineEvent.Kind.MESSAGE, now, None,
                      parts=[words.text(gettext_noop("from the complainant"))])
            audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=message, object_label=complaint.reference,
                         detail={"by": COMPLAINANT_LABEL, "attachments": len(checked)})
    except BaseException:
        _remove_written(written)
        raise
    return message


# ---------------------------------------------------------------- sealed identity


def identity_access_request(*, acting_user: User, origin: Origin, complaint: Complaint,
                            reason: str, break_glass: bool = False) -> IdentityAccess:
    """Ask to see who filed; break-the-glass opens at once for an urgent complaint."""
    if not may_see_identity_of(user=acting_user, complaint=complaint):
        raise _deny(acting_user, origin, _("You may not see this complainant's identity."),
                    complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("State why you need the identity.")})
    if complaint.identity_sealed is None:
        raise ValidationError({"reason": _("This complaint is anonymous.")})
    if break_glass and complaint.urgency != Urgency.HIGH:
        raise ValidationError({"reason": _("Break the glass only for an urgent complaint.")})
    now = timezone.now()
    with transaction.atomic():
        access = IdentityAccess.objects.create(
            complaint=complaint, requested_by=acting_user, requested_at=now,
            kind=IdentityAccess.Kind.BREAK_GLASS if break_glass else IdentityAccess.Kind.REQUEST,
            reason=reason.strip(),
            decision=IdentityAccess.Decision.APPROVED if break_glass
            else IdentityAccess.Decision.PENDING,
            decided_at=now if break_glass else None,
            expires_at=now + rules.IDENTITY_ACCESS_TERM if break_glass else None)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=access, object_label=complaint.reference,
                     detail={"kind": access.kind, "reason": access.reason})
    return access


def _require_custodian(user: User, origin: Origin, access: IdentityAccess,
                       message: str) -> None:
    """Another custodian than the requester, who may see the complaint: complaints_visible
    keeps out an officer the complaint accuses and a complaint outside his scope."""
    if not has_capability(user, Capability.DECIDE_IDENTITY_ACCESS) \
            or user.pk == access.requested_by_id:
        raise _deny(user, origin, message, access.complaint)
    if not complaints_visible(user=user).filter(pk=access.complaint_id).exists():
        raise _deny(user, origin, _("This complaint is not yours to decide on."),
                    access.complaint)


def identity_access_decide(*, acting_user: User, origin: Origin, access: IdentityAccess,
                           approve: bool) -> IdentityAccess:
    """A custodian, never the requester, approves or refuses a request of a complaint he may
    see (never one that accuses him, nor one outside his scope)."""
    _require_custodian(acting_user, origin, access,
                       _("Only another custodian decides this request."))
    if access.decision != IdentityAccess.Decision.PENDING:
        raise ValidationError({"decision": _("Already decided.")})
    now = timezone.now()
    with transaction.atomic():
        access.decision = (IdentityAccess.Decision.APPROVED if approve
                           else IdentityAccess.Decision.REFUSED)
        access.decided_by, access.decided_at = acting_user, now
        access.expires_at = now + rules.IDENTITY_ACCESS_TERM if approve else None
        access.save(update_fields=["decision", "decided_by", "decided_at", "expires_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=access, object_label=access.complaint.reference,
                     detail={"decision": access.decision})
    return access


def identity_access_review(*, acting_user: User, origin: Origin,
                           access: IdentityAccess) -> IdentityAccess:
    """The custodian's after-the-fact review of a break-the-glass opening."""
    _require_custodian(acting_user, origin, access,
                       _("Only another custodian reviews this opening."))
    with transaction.atomic():
        access.reviewed_by, access.reviewed_at = acting_user, timezone.now()
        access.save(update_fields=["reviewed_by", "reviewed_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=access, object_label=access.complaint.reference,
                     detail={"reviewed": True})
    return access


def identity_unseal(*, acting_user: User, origin: Origin, complaint: Complaint) -> dict[str, Any]:
    """The complainant's identity, for a person with an approved, unexpired access.

    Every unsealing is audited with the reason of the access it relies on.
    """
    now = timezone.now()
    access = (IdentityAccess.objects.filter(
        complaint=complaint, requested_by=acting_user,
        decision=IdentityAccess.Decision.APPROVED, expires_at__gt=now).first()
        if may_see_identity_of(user=acting_user, complaint=complaint) else None)
    if access is None or complaint.identity_sealed is None:
        raise _deny(acting_user, origin, _("No approved access to this identity."), complaint)
    identity = json.loads(unseal(bytes(complaint.identity_sealed),
                                 context=identity_context(complaint.pk)))
    with transaction.atomic():
        _timeline(complaint, TimelineEvent.Kind.IDENTITY, now, acting_user, access.reason)
        audit_record(actor=acting_user, action=AuditEvent.Action.READ, origin=origin,
                     obj=complaint, detail={"identity": True, "access": access.pk,
                                            "kind": access.kind, "reason": access.reason})
    return identity


def _transfer_alert_recipients(complaint: Complaint) -> list[User]:
    """The handler; else whoever handles such complaints in the region; else the country."""
    def sees(user: User) -> bool:  # never an officer the complaint accuses
        return complaints_visible(user=user).filter(pk=complaint.pk).exists()

    if complaint.handler is not None and complaint.handler.is_active and sees(complaint.handler):
        return [complaint.handler]
    # The Ombudsperson's people of the region for his; the region's prosecutors for the
    # prosecutor's office; else the General Prosecutor's Office.
    regional_cap = (Capability.ACT_FOR_OMBUDSPERSON
                    if complaint.handling_body == HandlingBody.OMBUDSPERSON
                    else Capability.RECEIVE_REGION_NOTICES)
    regional = [user for user in User.objects.filter(
        holders_q(regional_cap), region=complaint.region, is_active=True) if sees(user)]
    return regional or [user for user in User.objects.filter(
        holders_q(Capability.RECEIVE_COUNTRY_ESCALATIONS), is_active=True) if sees(user)]


def complaint_transfer_alerts_send(*, now: dt.datetime | None = None) -> int:
    """Tell the handling official once when an open complaint's complainant was transferred.

    A person moved away from the accused unit may now be held by its colleagues. Each
    complaint is claimed with a conditional UPDATE, so two sweeps never alert twice, in the
    transaction that queues its e-mail (retried until the mail server takes it). The mail
    names the complaint, never the complainant.
    """
    now = now or timezone.now()
    candidates = (Complaint.objects.filter(status__in=OPEN_STATUSES,
                                           transfer_alerted_at__isnull=True,
                                           custody_record__end_reason=EndReason.TRANSFERRED)
                  .select_related("custody_record__facility", "handler", "region"))
    sent = 0
    for complaint in candidates:
        recipients = _transfer_alert_recipients(complaint)
        record = complaint.custody_record
        with transaction.atomic():  # claimed with its e-mail queued (core/mail.py)
            claimed = Complaint.objects.filter(pk=complaint.pk, transfer_alerted_at__isnull=True)
            if not claimed.update(transfer_alerted_at=now):
                continue
            mail_queue(
                subject=_("Complaint %(reference)s: the complainant was transferred")
                % {"reference": complaint.reference},
                body=_("The custody record linked to complaint %(reference)s ended in a "
                       "transfer from %(facility)s at %(moment)s. Check where the person is "
                       "held now and that they are safe from the officers complained about.")
                % {"reference": complaint.reference, "facility": record.facility.code,
                   "moment": timezone.localtime(record.ended_at).strftime("%Y-%m-%d %H:%M")},
                to=[user.email for user in recipients])
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                         obj=complaint,
                         detail={"transfer_alert": [u.username for u in recipients]})
        sent += 1
    return sent
