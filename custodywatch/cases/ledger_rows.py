"""The ledger's checks of the cases' leaves (evidence registered, evidence handed over) and
their openings for a reader of the case: registered with the ledger in CasesConfig.ready."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from custodywatch.cases.models import EvidenceItem, EvidenceTransfer
from custodywatch.cases.selectors import cases_visible
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import evidence_details, transfer_details
from custodywatch.ledger.commitments import opening
from custodywatch.ledger.models import LeafKind
from custodywatch.ledger.rows import (
    Entry,
    Finding,
    pk_of,
    register_opener,
    register_row_check,
    username_of,
)


def check_evidence(entries: list[Entry]) -> Iterable[Finding]:
    ids = {pk_of(fields.get("evidence"), "case-evidence:") for _i, _k, fields in entries}
    items = EvidenceItem.objects.select_related("case", "registered_by").in_bulk(
        [i for i in ids if i is not None])
    for index, kind, fields in entries:
        pk = pk_of(fields.get("evidence"), "case-evidence:")
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
                                       by=username_of(item.registered_by))
            if opening(fields["evidence"], details, fields["details"]) is None:
                yield Finding(index, kind, row, "its case, file name or registrar changed")
        elif fields.get("case", item.case.register_number) != item.case.register_number:
            yield Finding(index, kind, row, "its case changed")


def check_transfers(entries: list[Entry]) -> Iterable[Finding]:
    transfers = EvidenceTransfer.objects.select_related("item__case", "recorded_by").in_bulk(
        [f["transfer"] for _i, _k, f in entries if isinstance(f.get("transfer"), int)])
    legacy = EvidenceItem.objects.in_bulk(
        [i for i in (pk_of(f.get("evidence"), "case-evidence:") for _i, _k, f in entries
                     if not isinstance(f.get("transfer"), int)) if i is not None])
    for index, kind, fields in entries:
        if not isinstance(fields.get("transfer"), int):
            # An early leaf without the transfer's number: its item must still have the hash.
            pk = pk_of(fields.get("evidence"), "case-evidence:")
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
                by=username_of(transfer.recorded_by), reason=transfer.reason)
            if opening(f"transfer:{transfer.pk}", details, fields["details"]) is None:
                yield Finding(index, kind, row, "its holders, reason or case changed")
        elif fields.get("to") != f"{transfer.to_holder} @ {transfer.to_location}":
            yield Finding(index, kind, row, "its holders changed")


def open_evidence(user: Any, fields: dict[str, Any]) -> tuple[str, dict[str, Any], Any] | None:
    pk = pk_of(fields.get("evidence"), "case-evidence:")
    item = None if pk is None else EvidenceItem.objects.select_related(
        "case", "registered_by").filter(pk=pk, case__in=cases_visible(user=user)).first()
    if item is None:
        return None
    return str(fields["evidence"]), evidence_details(
        case=item.case.register_number, name=item.original_name,
        by=username_of(item.registered_by)), item


def open_transfer(user: Any, fields: dict[str, Any]) -> tuple[str, dict[str, Any], Any] | None:
    if not isinstance(fields.get("transfer"), int):
        return None
    transfer = EvidenceTransfer.objects.select_related("item__case", "recorded_by").filter(
        pk=fields["transfer"], item__case__in=cases_visible(user=user)).first()
    if transfer is None:
        return None
    return f"transfer:{transfer.pk}", transfer_details(
        case=transfer.item.case.register_number,
        handed_from=f"{transfer.from_holder} @ {transfer.from_location}",
        handed_to=f"{transfer.to_holder} @ {transfer.to_location}",
        by=username_of(transfer.recorded_by), reason=transfer.reason), transfer


def register() -> None:
    register_row_check(LeafKind.EVIDENCE_REGISTERED, check_evidence)
    register_row_check(LeafKind.CUSTODY_TRANSFER, check_transfers)
    register_opener(LeafKind.EVIDENCE_REGISTERED, open_evidence)
    register_opener(LeafKind.CUSTODY_TRANSFER, open_transfer)
