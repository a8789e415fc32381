"""Every business row that has a ledger leaf, re-derived and compared with its leaf.

A leaf proves what was logged; the row is what pages, exports and evidence packages read. An
edit made behind the application's back (SQL on the database, a restored backup) changes the
row and leaves the leaf intact, so the leaf alone would go on "verifying". Here each kind of
leaf finds its row and recomputes what the leaf says from it:

- ``evidence_registered``: the evidence item's hash and size, and the committed case, file name
  and registrar (commitments.py);
- ``custody_transfer``: the transfer's item hash, time, and the committed holders, reason, case;
- ``recording_segment``: the segment of that camera at that start: its end and hash;
- ``complaint_receipt``: the complaint whose proof of filing hashes to the leaf's, recomputed
  from its reference, time, (sealed) text and the hashes of the files sent with it;
- ``legal_hold``: the hold's committed complaint, facility, rooms and period (or release);
- ``audit_event``: checked by verification.py's own pass.

A row that is gone is a finding, except recording segments, which retention may delete (a
changed one is a finding). ``check_leaves`` takes ``(index, kind, fields)`` and returns
findings; ``ledger verify`` runs it over every leaf, ``ledger sweep`` over a random sample,
and pages run it for the row they show (``row_findings``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from custodywatch.core.sealing import SealingError
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import evidence_details, transfer_details
from custodywatch.ledger.commitments import opening
from custodywatch.ledger.models import LeafKind

CHECKED_KINDS = (LeafKind.EVIDENCE_REGISTERED, LeafKind.CUSTODY_TRANSFER,
                 LeafKind.RECORDING_SEGMENT, LeafKind.COMPLAINT_RECEIPT, LeafKind.LEGAL_HOLD)


@dataclass(frozen=True)
class Finding:
    index: int
    kind: str
    row: str  # "evidence item 7", "complaint C-2026-000001"
    message: str

    def __str__(self) -> str:
        return f"leaf {self.index} ({self.kind}): {self.row}: {self.message}"


Entry = tuple[int, str, dict[str, Any]]


def _pk(value: object, prefix: str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix):].isdigit():
        return int(value[len(prefix):])
    return None


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def _evidence(entries: list[Entry]) -> Iterable[Finding]:
    from custodywatch.cases.models import EvidenceItem

    ids = {_pk(fields.get("evidence"), "case-evidence:") for _i, _k, fields in entries}
    items = EvidenceItem.objects.select_related("case", "registered_by").in_bulk(
        [i for i in ids if i is not None])
    for index, kind, fields in entries:
        pk = _pk(fields.get("evidence"), "case-evidence:")
        if pk is None:
            continue  # a name that is no row of this application's (an external registry)
        item = items.get(pk)
        row = f"evidence item {pk}"
        if item is None:
            yield Finding(index, kind, row, "the row it records is gone")
            continue
        if item.sha256 != fields.get("sha256"):
            yield Finding(index, kind, row, f"sha256 is {item.sha256}, the ledger has "
                                            f"{fields.get('sha256')}")
        elif (item.size or 0) != fields.get("size"):
            yield Finding(index, kind, row, f"size is {item.size}, the ledger has "
                                            f"{fields.get('size')}")
        elif "details" in fields:
            details = evidence_details(case=item.case.register_number, name=item.original_name,
                                       by=_username(item.registered_by))
            if opening(fields["evidence"], details, fields["details"]) is None:
                yield Finding(index, kind, row, "its case, file name or registrar changed")
        elif fields.get("case", item.case.register_number) != item.case.register_number:
            yield Finding(index, kind, row, "its case changed")


def _transfers(entries: list[Entry]) -> Iterable[Finding]:
    from custodywatch.cases.models import EvidenceItem, EvidenceTransfer

    transfers = EvidenceTransfer.objects.select_related("item__case", "recorded_by").in_bulk(
        [f["transfer"] for _i, _k, f in entries if isinstance(f.get("transfer"), int)])
    legacy = EvidenceItem.objects.in_bulk(
        [i for i in (_pk(f.get("evidence"), "case-evidence:") for _i, _k, f in entries
                     if not isinstance(f.get("transfer"), int)) if i is not None])
    for index, kind, fields in entries:
        if not isinstance(fields.get("transfer"), int):
            # An early leaf without the transfer's number: its item must still have the hash.
            pk = _pk(fields.get("evidence"), "case-evidence:")
            if pk is None:
                continue
            item = legacy.get(pk)
            if item is None or item.sha256 != fields.get("sha256"):
                yield Finding(index, kind, f"{fields.get('evidence')}",
                              "the item it records is gone or its sha256 changed")
            continue
        transfer = transfers.get(fields["transfer"])
        row = f"evidence transfer {fields['transfer']}"
        if transfer is None:
            yield Finding(index, kind, row, "the row it records is gone")
            continue
        item = transfer.item
        if item.sha256 != fields.get("sha256") or \
                fields.get("evidence") != f"case-evidence:{item.pk}":
            yield Finding(index, kind, row, f"its item's sha256 is {item.sha256}, the ledger "
                                            f"has {fields.get('sha256')}")
        elif iso_time(transfer.transferred_at) != fields.get("at"):
            yield Finding(index, kind, row, "its time changed")
        elif "details" in fields:
            details = transfer_details(
                case=item.case.register_number,
                handed_from=f"{transfer.from_holder} @ {transfer.from_location}",
                handed_to=f"{transfer.to_holder} @ {transfer.to_location}",
                by=_username(transfer.recorded_by), reason=transfer.reason)
            if opening(f"transfer:{transfer.pk}", details, fields["details"]) is None:
                yield Finding(index, kind, row, "its holders, reason or case changed")
        elif fields.get("to") != f"{transfer.to_holder} @ {transfer.to_location}":
            yield Finding(index, kind, row, "its holders changed")


def _segments(entries: list[Entry]) -> Iterable[Finding]:
    from custodywatch.registry.models import Camera
    from custodywatch.video.models import RecordingSegment

    pairs = {(f.get("facility"), f.get("camera")) for _i, _k, f in entries}
    cameras: dict[tuple[str, str], int] = {}
    for facility in {facility for facility, _c in pairs}:
        codes = [camera for f, camera in pairs if f == facility]
        for pk, code in Camera.objects.filter(facility__code=facility, code__in=codes
                                              ).values_list("pk", "code"):
            cameras[(facility, code)] = pk
    starts: dict[int, set[dt.datetime]] = {}
    for _index, _kind, fields in entries:
        camera = cameras.get((fields.get("facility"), fields.get("camera")))
        if camera is not None:
            moment = dt.datetime.fromisoformat(str(fields.get("start")).replace("Z", "+00:00"))
            starts.setdefault(camera, set()).add(moment)
    stored: dict[tuple[int, str], tuple[str, str]] = {}
    for camera, moments in starts.items():
        for started, ended, sha256 in RecordingSegment.objects.filter(
                camera_id=camera, started_at__in=moments).values_list(
                "started_at", "ended_at", "sha256"):
            stored[(camera, iso_time(started))] = (iso_time(ended), sha256)
    for index, kind, fields in entries:
        camera = cameras.get((fields.get("facility"), fields.get("camera")))
        found = stored.get((camera, fields.get("start"))) if camera is not None else None
        if found is None:
            continue  # deleted by retention (or its camera removed): nothing to compare
        row = f"recording segment {fields.get('camera')} {fields.get('start')}"
        if found != (fields.get("end"), fields.get("sha256")):
            yield Finding(index, kind, row, f"end/sha256 are {found[0]} {found[1]}, the "
                                            f"ledger has {fields.get('end')} "
                                            f"{fields.get('sha256')}")


def complaint_receipt_sha256(complaint: Any) -> str:
    """The proof-of-filing hash recomputed from the complaint's row (complaints.receipts)."""
    from custodywatch.complaints.receipts import proof_of_filing

    attachments = sorted(complaint.attachments.filter(at_intake=True)
                         .values_list("sha256", flat=True))
    content = hashlib.sha256(json.dumps({"text": complaint.text, "attachments": attachments},
                                        sort_keys=True).encode()).hexdigest()
    proof = proof_of_filing(reference=complaint.reference, received_at=complaint.received_at,
                            content_sha256=content)
    return hashlib.sha256(proof.encode()).hexdigest()


def _receipts(entries: list[Entry]) -> Iterable[Finding]:
    from custodywatch.complaints.models import Complaint

    by_receipt = {c.receipt_sha256: c for c in Complaint.objects.filter(
        receipt_sha256__in=[f.get("receipt_sha256") for _i, _k, f in entries])}
    for index, kind, fields in entries:
        complaint = by_receipt.get(fields.get("receipt_sha256"))
        if complaint is None:
            yield Finding(index, kind, "complaint", "no complaint carries this receipt any "
                                                    "more (its proof-of-filing hash changed)")
            continue
        row = f"complaint {complaint.reference}"
        try:
            recomputed = complaint_receipt_sha256(complaint)
        except SealingError as error:
            yield Finding(index, kind, row, f"its sealed text does not open: {error}")
            continue
        if recomputed != complaint.receipt_sha256:
            yield Finding(index, kind, row, "its text, time, reference or files changed since "
                                            "it was filed")


def _holds(entries: list[Entry]) -> Iterable[Finding]:
    from custodywatch.complaints.models import LegalHold
    from custodywatch.complaints.services import legal_hold_details

    holds = LegalHold.objects.select_related("complaint", "facility", "released_by").in_bulk(
        [f["hold"] for _i, _k, f in entries if isinstance(f.get("hold"), int)])
    for index, kind, fields in entries:
        if not isinstance(fields.get("hold"), int):
            continue  # an early leaf without the hold's number: nothing to find it by
        hold = holds.get(fields.get("hold"))
        row = f"legal hold {fields.get('hold')}"
        if hold is None:
            yield Finding(index, kind, row, "the row it records is gone")
            continue
        action = fields.get("action")
        if "details" in fields:
            if opening(f"hold:{hold.pk}:{action}", legal_hold_details(hold, str(action)),
                       fields["details"]) is None:
                yield Finding(index, kind, row, "its complaint, facility, rooms or period "
                                                "changed")
            continue
        if fields.get("subject") != f"complaint:{hold.complaint.reference}":
            yield Finding(index, kind, row, "its complaint changed")
        elif action == "placed" and (fields.get("from"), fields.get("until")) != (
                iso_time(hold.starts_at), iso_time(hold.ends_at)):
            yield Finding(index, kind, row, "its period changed")


_CHECKS = {
    LeafKind.EVIDENCE_REGISTERED: _evidence,
    LeafKind.CUSTODY_TRANSFER: _transfers,
    LeafKind.RECORDING_SEGMENT: _segments,
    LeafKind.COMPLAINT_RECEIPT: _receipts,
    LeafKind.LEGAL_HOLD: _holds,
}


def check_leaves(entries: Iterable[Entry]) -> list[Finding]:
    """Findings for these leaves, in index order (a chunk at a time is the caller's job)."""
    by_kind: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry[1] in _CHECKS:
            by_kind.setdefault(entry[1], []).append(entry)
    findings = [finding for kind, group in by_kind.items() for finding in _CHECKS[kind](group)]
    return sorted(findings, key=lambda finding: finding.index)


def sweep(*, sample: int) -> tuple[int, list[Finding]]:
    """A background spot check: ``sample`` leaves drawn at random from the signed tree, their
    rows re-derived (audit leaves too). Returns (leaves checked, findings); a worker calls it
    on a schedule (``custodywatch ledger sweep``) so an edit is found without a full verify."""
    import logging
    import secrets

    from custodywatch.accounts.models import AuditEvent
    from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf
    from custodywatch.ledger.models import Leaf
    from custodywatch.ledger.selectors import tree_size
    from custodywatch.ledger.verification import _audit_matches

    size = tree_size()
    if size == 0 or sample < 1:
        return 0, []
    chosen: set[int] = set()
    while len(chosen) < min(sample, size):
        chosen.add(secrets.randbelow(size))
    entries: list[Entry] = []
    audits: list[tuple[int, dict[str, Any]]] = []
    findings: list[Finding] = []
    for index, data in Leaf.objects.filter(index__in=chosen).values_list("index", "data"):
        try:
            kind, fields = decode_leaf(bytes(data))
        except LeafError as error:
            findings.append(Finding(index, "?", "leaf", str(error)))
            continue
        if kind == LeafKind.AUDIT_EVENT:
            audits.append((index, fields))
        else:
            entries.append((index, kind, fields))
    findings.extend(check_leaves(entries))
    events = AuditEvent.objects.in_bulk([f.get("event") for _i, f in audits
                                         if isinstance(f.get("event"), int)])
    for index, fields in audits:
        event = events.get(fields.get("event"))
        if event is None or not _audit_matches(event, fields):
            findings.append(Finding(index, LeafKind.AUDIT_EVENT,
                                    f"audit event {fields.get('event')}",
                                    "gone or changed after it was logged"))
    for finding in findings:
        logging.getLogger("custodywatch.ledger").error("ledger sweep: %s", finding)
    return len(chosen), sorted(findings, key=lambda finding: finding.index)


# ------------------------------------------------------------------ the row a page shows


def _leaf_entries(leaves: Iterable[Any]) -> list[Entry]:
    from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf

    entries = []
    for leaf in leaves:
        try:
            kind, fields = decode_leaf(bytes(leaf.data))
        except LeafError:
            continue
        entries.append((leaf.index, kind, fields))
    return entries


def evidence_row_findings(item: Any) -> list[str]:
    """What is wrong between an evidence item's row and its ledger leaves (empty: nothing).

    Its leaves are found by the item's hash; an item whose registration was integrated
    (its queued leaf is gone) but whose hash no leaf carries was changed after it was logged.
    """
    from custodywatch.ledger.models import Leaf, PendingLeaf

    if item.ledger_pending_id is None:
        return []
    marker = f'"evidence":"case-evidence:{item.pk}"'.encode()
    leaves = [leaf for leaf in Leaf.objects.filter(
        sha256=item.sha256, kind__in=[LeafKind.EVIDENCE_REGISTERED, LeafKind.CUSTODY_TRANSFER])
        if marker in bytes(leaf.data)]
    if not leaves:
        if PendingLeaf.objects.filter(pk=item.ledger_pending_id).exists():
            return []  # queued, not yet in the log
        return [f"sha256 {item.sha256} is in no ledger entry of this item: the row was "
                "changed after it was logged"]
    return [finding.message for finding in check_leaves(_leaf_entries(leaves))]


def complaint_row_findings(complaint: Any) -> list[str]:
    """What is wrong between a complaint's row and its receipt leaf (empty: nothing)."""
    from custodywatch.ledger.models import Leaf, PendingLeaf

    if not complaint.receipt_sha256:
        return []  # never logged (generated demo data)
    try:
        recomputed = complaint_receipt_sha256(complaint)
    except SealingError as error:
        return [f"its sealed text does not open: {error}"]
    if recomputed != complaint.receipt_sha256:
        return ["its text, time, reference or files changed since it was filed"]
    logged = Leaf.objects.filter(sha256=complaint.receipt_sha256,
                                 kind=LeafKind.COMPLAINT_RECEIPT).exists() or \
        PendingLeaf.objects.filter(sha256=complaint.receipt_sha256).exists()
    return [] if logged else ["its proof-of-filing hash is in no ledger entry"]


# ------------------------------------------------------------------ opening a leaf for a reader


@dataclass(frozen=True)
class Opening:
    """A leaf's committed details, for a reader who may see the row they come from."""

    details: dict[str, Any]
    salt: str  # hex; with the details it recomputes the leaf's commitment
    opens: bool  # False: the row no longer gives the committed details (changed)


def open_leaf(*, user: Any, kind: str, fields: dict[str, Any]) -> Opening | None:
    """The clear details behind a leaf's ``details`` commitment, only for a reader allowed to
    see the complaint or case they belong to (None otherwise, and for other leaves). Each
    opening is audited as a read of that row."""
    from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
    from custodywatch.accounts.models import AuditEvent
    from custodywatch.ledger.commitments import salts

    if not isinstance(fields.get("details"), str):
        return None
    subject, details, row = _subject(user, kind, fields)
    if row is None:
        return None
    salt = opening(subject, details, fields["details"])
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=SYSTEM_ORIGIN, obj=row,
                 detail={"ledger_details": fields["details"][:16]})
    return Opening(details, (salt or salts(subject)[0]).hex(), salt is not None)


def _subject(user: Any, kind: str, fields: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    from custodywatch.cases.models import EvidenceItem, EvidenceTransfer
    from custodywatch.cases.selectors import cases_visible
    from custodywatch.complaints.models import LegalHold
    from custodywatch.complaints.selectors import complaints_visible
    from custodywatch.complaints.services import legal_hold_details

    nothing: tuple[str, dict[str, Any], Any] = ("", {}, None)
    if kind == LeafKind.LEGAL_HOLD and isinstance(fields.get("hold"), int):
        hold = LegalHold.objects.select_related("complaint", "facility", "released_by").filter(
            pk=fields["hold"], complaint__in=complaints_visible(user=user)).first()
        if hold is None:
            return nothing
        action = str(fields.get("action"))
        return f"hold:{hold.pk}:{action}", legal_hold_details(hold, action), hold
    if kind == LeafKind.EVIDENCE_REGISTERED:
        item = EvidenceItem.objects.select_related("case", "registered_by").filter(
            pk=_pk(fields.get("evidence"), "case-evidence:"),
            case__in=cases_visible(user=user)).first()
        if item is None:
            return nothing
        return str(fields["evidence"]), evidence_details(
            case=item.case.register_number, name=item.original_name,
            by=_username(item.registered_by)), item
    if kind == LeafKind.CUSTODY_TRANSFER and isinstance(fields.get("transfer"), int):
        transfer = EvidenceTransfer.objects.select_related("item__case", "recorded_by").filter(
            pk=fields["transfer"], item__case__in=cases_visible(user=user)).first()
        if transfer is None:
            return nothing
        return f"transfer:{transfer.pk}", transfer_details(
            case=transfer.item.case.register_number,
            handed_from=f"{transfer.from_holder} @ {transfer.from_location}",
            handed_to=f"{transfer.to_holder} @ {transfer.to_location}",
            by=_username(transfer.recorded_by), reason=transfer.reason), transfer
    return nothing
