"""The ledger's checks of the complaints' leaves (receipts, legal holds), a complaint row's
agreement with its receipt leaf, and the opening of a hold's leaf for a reader of the
complaint: registered with the ledger in ComplaintsConfig.ready."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from custodywatch.complaints.models import Complaint, LegalHold
from custodywatch.complaints.receipts import proof_of_filing
from custodywatch.complaints.selectors import complaints_visible
from custodywatch.complaints.services import legal_hold_details
from custodywatch.core.sealing import SealingError
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.commitments import opening
from custodywatch.ledger.models import Leaf, LeafKind, PendingLeaf
from custodywatch.ledger.rows import Entry, Finding, register_opener, register_row_check


def complaint_receipt_sha256(complaint: Any) -> str:
    """The proof-of-filing hash recomputed from the complaint's row (complaints.receipts)."""
    attachments = sorted(complaint.attachments.filter(at_intake=True)
                         .values_list("sha256", flat=True))
    content = hashlib.sha256(json.dumps({"text": complaint.text, "attachments": attachments},
                                        sort_keys=True).encode()).hexdigest()
    proof = proof_of_filing(reference=complaint.reference, received_at=complaint.received_at,
                            content_sha256=content)
    return hashlib.sha256(proof.encode()).hexdigest()


def check_receipts(entries: list[Entry]) -> Iterable[Finding]:
    # Looked up with each entry's field, which may be missing (None): it finds nothing.
    by_receipt: dict[str | None, Complaint] = {
        c.receipt_sha256: c for c in Complaint.objects.filter(
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


def check_holds(entries: list[Entry]) -> Iterable[Finding]:
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


def complaint_row_findings(complaint: Any) -> list[str]:
    """What is wrong between a complaint's row and its receipt leaf (empty: nothing)."""
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


def open_hold(user: Any, fields: dict[str, Any]) -> tuple[str, dict[str, Any], Any] | None:
    if not isinstance(fields.get("hold"), int):
        return None
    hold = LegalHold.objects.select_related("complaint", "facility", "released_by").filter(
        pk=fields["hold"], complaint__in=complaints_visible(user=user)).first()
    if hold is None:
        return None
    action = str(fields.get("action"))
    return f"hold:{hold.pk}:{action}", legal_hold_details(hold, action), hold


def register() -> None:
    register_row_check(LeafKind.COMPLAINT_RECEIPT, check_receipts)
    register_row_check(LeafKind.LEGAL_HOLD, check_holds)
    register_opener(LeafKind.LEGAL_HOLD, open_hold)
