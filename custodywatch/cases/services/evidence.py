"""Evidence items, their chain of custody and the exclusion of evidence got by torture."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, user_can
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases import selectors
from custodywatch.cases.models import (
    Case,
    EvidenceExclusion,
    EvidenceItem,
    EvidenceTransfer,
    ExclusionKind,
    Person,
    evidence_file_path,
)
from custodywatch.cases.rules import (
    MAX_EVIDENCE_BYTES,
)
from custodywatch.cases.services._common import (
    _deny,
    _hash_upload,
    _not_future,
    _raise,
    _require_writer,
)
from custodywatch.complaints.attachments import sniff
from custodywatch.complaints.models import LegalHold
from custodywatch.complaints.selectors import held_footage
from custodywatch.core import stored_files
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import (
    custody_transfer_fields,
    evidence_registered_fields,
    ledger_append,
)
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Facility


def _record_hash(fields: dict[str, Any]) -> str:
    """A physical item has no file: its registration commits to the hash of its record."""
    dumped = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                        default=str)
    return hashlib.sha256(dumped.encode()).hexdigest()


def _footage_manifest(hold: LegalHold) -> tuple[str, int]:
    """The held footage as one hash: SHA-256 over the held segments' lines, in order."""
    lines = [f"{s.camera.code} {iso_time(s.started_at)} {iso_time(s.ended_at)} {s.sha256}"
             for s in held_footage(complaint=hold.complaint)
             if s.camera.facility_id == hold.facility_id]
    data = "\n".join(lines).encode()
    return hashlib.sha256(data).hexdigest(), len(lines)


def evidence_register(*, acting_user: User, origin: Origin, case: Case, label: str, kind: str,
                      description: str, found_at: str, collected_by: str,
                      collected_at: dt.datetime, holder: str, location: str,
                      upload: UploadedFile[bytes] | None = None,
                      legal_hold: LegalHold | None = None) -> EvidenceItem:
    """An evidence item, hashed (file streamed, footage manifest, or the record itself) and
    logged in the evidence ledger in the same transaction."""
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    required = {"label": label, "description": description, "found_at": found_at,
                "collected_by": collected_by, "holder": holder, "location": location}
    for field, value in required.items():
        if not (value or "").strip():
            errors[field] = _("This field is required.")
    if kind not in EvidenceItem.Kind.values:
        errors["kind"] = _("Unknown type.")
    if label and case.evidence.filter(label=label.strip()).exists():
        errors["label"] = _("Another item of this case has this label.")
    _not_future(errors, "collected_at", collected_at, timezone.now())
    if legal_hold is not None and not case.complaints.filter(pk=legal_hold.complaint_id).exists():
        errors["legal_hold"] = _("Choose held footage of a complaint of this case.")
    if upload is not None and upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
        errors["file"] = _("The file is larger than %(limit)s.") % {
            "limit": filesizeformat(MAX_EVIDENCE_BYTES)}
    _raise(errors)
    now = timezone.now()
    item = EvidenceItem(case=case, label=label.strip(), kind=kind, description=description,
                        found_at=found_at, collected_by=collected_by, collected_at=collected_at,
                        holder=holder.strip(), location=location.strip(),
                        legal_hold=legal_hold, registered_by=acting_user)
    media_type = ""
    if upload is not None:
        item.sha256, item.size = _hash_upload(upload)
        media = sniff(upload.read(16))
        upload.seek(0)
        media_type = media.name if media else "application/octet-stream"
        item.original_name = (upload.name or "file")[-200:]
        # Content-addressed; a damaged copy of the same content is replaced by this genuine
        # upload, which repairs the store (core/stored_files.py).
        item.file.name, repaired = stored_files.store_content_addressed(
            evidence_file_path(item, item.original_name), upload, item.sha256)
    elif legal_hold is not None:
        item.sha256, item.size = _footage_manifest(legal_hold)
        media_type = "text/x-footage-manifest"
    else:
        item.sha256 = _record_hash({"case": case.register_number, **required, "kind": kind,
                                    "collected_at": iso_time(collected_at)})
        item.size = 0
    with transaction.atomic():
        item.save()
        fields = evidence_registered_fields(
            evidence=selectors.evidence_ledger_name(item), sha256=item.sha256,
            size=item.size or 0, by=acting_user.get_username(), at=now,
            case=case.register_number, media_type=media_type, name=item.original_name)
        pending = ledger_append(kind=LeafKind.EVIDENCE_REGISTERED, fields=fields)
        item.ledger_pending_id = pending.pk
        item.save(update_fields=["ledger_pending_id"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=item,
                     detail={"case": case.register_number, "sha256": item.sha256})
    if upload is not None and repaired and item.file.name:
        stored_files.resolve_repaired(item.file.name, item.sha256)
    return item


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def evidence_transfer(*, acting_user: User, origin: Origin, item: EvidenceItem,
                      from_holder: str, from_location: str, to_holder: str, to_location: str,
                      transferred_at: dt.datetime, reason: str) -> EvidenceTransfer:
    """One hand-over. It must start where the chain last ended, else it is refused."""
    _require_writer(acting_user, origin, item.case)
    with transaction.atomic():
        item = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
        errors: dict[str, Any] = {}
        if not _same(from_holder, item.holder) or not _same(from_location, item.location):
            errors["from_holder"] = _(
                "The chain of custody would break: the item is with %(holder)s at "
                "%(location)s, and a transfer starts there.") % {
                "holder": item.holder, "location": item.location}
        if not to_holder.strip() or not to_location.strip():
            errors["to_holder"] = _("Say to whom and where the item goes.")
        elif _same(to_holder, from_holder) and _same(to_location, from_location):
            errors["to_holder"] = _("A transfer changes the holder or the place.")
        if not reason.strip():
            errors["reason"] = _("Give the reason for the transfer.")
        last = item.transfers.order_by("-transferred_at").first()
        since = last.transferred_at if last is not None else item.collected_at
        if transferred_at < since:
            errors["transferred_at"] = _("A transfer cannot precede the last step of the chain.")
        _not_future(errors, "transferred_at", transferred_at, timezone.now())
        if errors:
            audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                         obj=item, detail={"reason": "chain of custody"})
            _raise(errors)
        transfer = EvidenceTransfer.objects.create(
            item=item, from_holder=item.holder, from_location=item.location,
            to_holder=to_holder.strip(), to_location=to_location.strip(),
            transferred_at=transferred_at, reason=reason.strip(), recorded_by=acting_user)
        pending = ledger_append(kind=LeafKind.CUSTODY_TRANSFER, fields=custody_transfer_fields(
            evidence=selectors.evidence_ledger_name(item), sha256=item.sha256,
            transfer=transfer.pk, at=transferred_at, case=item.case.register_number,
            handed_from=f"{transfer.from_holder} @ {transfer.from_location}",
            handed_to=f"{transfer.to_holder} @ {transfer.to_location}",
            by=acting_user.get_username(), reason=transfer.reason))
        transfer.ledger_pending_id = pending.pk
        transfer.save(update_fields=["ledger_pending_id"])
        item.holder, item.location = transfer.to_holder, transfer.to_location
        item.save(update_fields=["holder", "location"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=item,
                     detail={"transfer": transfer.pk})
    return transfer


def evidence_exclusion_record(*, acting_user: User, origin: Origin, facility: Facility,
                              court: str, ruling_reference: str, ruled_on: dt.date, kind: str,
                              person_sex: str = Person.Sex.UNKNOWN,
                              person_age: int | None = None, person_citizenship: str = "",
                              criminal_case_number: str = "",
                              case: Case | None = None) -> EvidenceExclusion:
    """Record a court's exclusion of evidence obtained by torture (prosecutors, in scope)."""
    if not user_can(acting_user, Capability.RUN_CASES) or not Facility.objects.filter(
            facility_q(acting_user), pk=facility.pk).exists():
        raise _deny(acting_user, origin, _("You may not record this ruling."),
                    object_type="cases.evidenceexclusion")
    errors: dict[str, Any] = {}
    if not court.strip():
        errors["court"] = _("Name the court.")
    if not ruling_reference.strip():
        errors["ruling_reference"] = _("Give the ruling's reference.")
    if ruled_on > timezone.localdate():
        errors["ruled_on"] = _("A ruling is not in the future.")
    if kind not in ExclusionKind.values:
        errors["kind"] = _("Unknown kind of evidence.")
    if person_sex not in Person.Sex.values:
        errors["person_sex"] = _("Unknown sex.")
    if person_age is not None and not 10 <= person_age <= 120:
        errors["person_age"] = _("An age between 10 and 120.")
    citizenship = person_citizenship.strip().upper()
    if citizenship and not (len(citizenship) == 2 and citizenship.isalpha()):
        errors["person_citizenship"] = _("A two-letter country code (ISO 3166-1).")
    if EvidenceExclusion.objects.filter(court=court.strip(),
                                        ruling_reference=ruling_reference.strip()).exists():
        errors["ruling_reference"] = _("This ruling is recorded already.")
    _raise(errors)
    with transaction.atomic():
        exclusion = EvidenceExclusion.objects.create(
            facility=facility, court=court.strip(), ruling_reference=ruling_reference.strip(),
            ruled_on=ruled_on, kind=kind, person_sex=person_sex, person_age=person_age,
            person_citizenship=citizenship, criminal_case_number=criminal_case_number.strip(),
            case=case, recorded_by=acting_user)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=exclusion, detail={"facility": facility.code, "kind": kind})
    return exclusion
