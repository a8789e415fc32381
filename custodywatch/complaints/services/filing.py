"""Filing a complaint (web, kiosk, hotline, operators): checks, reference, attachments."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import (
    Capability,
    has_capability,
)
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import receipts, rules, terminals
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.attachments import (
    CheckedAttachment,
    check_attachments,
    sealed_content,
)
from custodywatch.complaints.models import (
    OPERATOR_CHANNELS,
    Attachment,
    Category,
    Channel,
    Complaint,
    HandlingBody,
    Status,
    Terminal,
    TimelineEvent,
    Urgency,
    identity_context,
)
from custodywatch.complaints.services._common import KIOSK_ORIGIN, _deny, _timeline
from custodywatch.complaints.services.holds import legal_hold_place
from custodywatch.core import plausible, stored_files
from custodywatch.core.counters import next_number
from custodywatch.core.sealing import seal
from custodywatch.custody.models import CustodyRecord
from custodywatch.kernels import triage
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import ledger_append
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Facility, Region


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
    attachments: list[UploadedFile[bytes]] | None = None,
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
        language=result.language.value,
        facility=facility,
        region=facility.region if facility is not None else region,
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
    complaint.text = text.strip()
    complaint.accused_officers = accused_officers.strip()[:500]
    complaint.full_clean(exclude=["identity_sealed", "receipt_sha256"])
    complaint.save()
    return complaint
