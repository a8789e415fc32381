"""Queue a leaf in the caller's transaction: what business services call to log a fact.

Kept apart from services.py: this module depends only on the ledger's models and the pure
kernels. ``ledger_append_audit_event`` is the audit trail's appender: LedgerConfig.ready
registers it with accounts.audit, below the ledger, which never imports it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connections, router, transaction
from django.utils import timezone

from custodywatch.kernels.ledger_leaf import encode_leaf, iso_time
from custodywatch.ledger.commitments import commit
from custodywatch.ledger.models import LeafKind, PendingLeaf

if TYPE_CHECKING:
    from custodywatch.accounts.models import AuditEvent

_COPY_PENDING = "COPY ledger_pendingleaf (kind, data, sha256, queued_at) FROM STDIN"
_INSERT_PENDING = ("INSERT INTO ledger_pendingleaf (kind, data, sha256, queued_at) "
                   "VALUES (%s, %s, %s, %s)")


def ledger_append(*, kind: LeafKind, fields: dict[str, Any]) -> PendingLeaf:
    """Queue one leaf. Call it inside the transaction of the write it records: both or neither.

    The next integration batch (``ledger integrate``, ``ledger run``) gives it its index, in
    queue order.
    """
    data = encode_leaf(kind, fields)
    committed = fields.get("sha256") or fields.get("receipt_sha256") or ""
    with transaction.atomic(savepoint=False):
        return PendingLeaf.objects.create(kind=kind, data=data, sha256=committed)


def ledger_append_many(*, entries: list[tuple[LeafKind, dict[str, Any]]]) -> int:
    """Queue many leaves in one statement per 500, in order; for a batch of facts (an agent's
    recording segments) written by one business transaction."""
    connection = connections[router.db_for_write(PendingLeaf)]
    queued_at = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = []
    for kind, fields in entries:
        committed = fields.get("sha256") or fields.get("receipt_sha256") or ""
        rows.append((str(kind), encode_leaf(kind, fields), committed, queued_at))
    if not rows:
        return 0
    # Plain tuples, not model instances: the ORM's per-field preparation cost more than the
    # encoding (bench/README.md, ledger). COPY on PostgreSQL, one executemany elsewhere.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(_COPY_PENDING) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(_INSERT_PENDING, rows)
    return len(rows)


def evidence_registered_fields(
    *, evidence: str, sha256: str, size: int, by: str, at: datetime, case: str = "",
    media_type: str = "", name: str = "",
) -> dict[str, Any]:
    """Fields of an evidence item registration; the cases app (issue 7) calls this.

    The case number, the file's name and who registered it are committed (commitments.py):
    ledger readers who may not read the case learn only that an item with this hash exists.
    """
    return {"evidence": evidence, "sha256": sha256, "size": size, "by": "", "at": iso_time(at),
            "media_type": media_type,
            "details": commit(evidence, evidence_details(case=case, name=name, by=by))}


def evidence_details(*, case: str, name: str, by: str) -> dict[str, Any]:
    return {"case": case, "name": name, "by": by}


def custody_transfer_fields(*, evidence: str, sha256: str, transfer: int, at: datetime,
                            case: str, handed_from: str, handed_to: str, by: str,
                            reason: str) -> dict[str, Any]:
    """Fields of a chain-of-custody step: who, where, why and the case are committed."""
    details = transfer_details(case=case, handed_from=handed_from, handed_to=handed_to, by=by,
                               reason=reason)
    return {"evidence": evidence, "sha256": sha256, "from": "", "to": "", "by": "",
            "at": iso_time(at), "transfer": transfer,
            "details": commit(f"transfer:{transfer}", details)}


def transfer_details(*, case: str, handed_from: str, handed_to: str, by: str,
                     reason: str) -> dict[str, Any]:
    return {"case": case, "from": handed_from, "to": handed_to, "by": by, "reason": reason}


def legal_hold_fields(*, hold: int, action: str, at: datetime,
                      details: dict[str, Any]) -> dict[str, Any]:
    """Fields of a legal hold's placement or release: the complaint, the facility, the rooms
    and the period are committed, so the log does not tell its readers whom a complaint
    accuses (complaints.services.legal_hold_details builds ``details`` from the hold)."""
    return {"subject": f"hold:{hold}", "action": action, "by": "", "at": iso_time(at),
            "hold": hold, "details": commit(f"hold:{hold}:{action}", details)}


def _context(event: AuditEvent) -> dict[str, Any]:
    ip_field = type(event)._meta.get_field("ip_address")
    return {
        "object_label": event.object_label,
        "ip_address": ip_field.get_prep_value(event.ip_address),
        "user_agent": event.user_agent,
        "detail": event.detail,
    }


def _legacy_context_hash(event: AuditEvent) -> str:
    """The unsalted context of audit leaves written before commitments (still verified)."""
    dumped = json.dumps(_context(event), sort_keys=True, separators=(",", ":"),
                        ensure_ascii=False, default=str)
    return hashlib.sha256(dumped.encode()).hexdigest()


def audit_context_details(event: AuditEvent) -> dict[str, Any]:
    """What an audit leaf commits to: who, which object, and the hash of the context (label,
    address, detail: any JSON, floats included)."""
    return {"actor": event.actor_label, "object_id": event.object_id,
            "context": _legacy_context_hash(event)}


def audit_event_fields(event: AuditEvent, *, legacy: bool = False) -> dict[str, Any]:
    """The leaf fields of an audit event; ``ledger verify`` recomputes them from the stored row.

    The leaf says when, what kind of action on what kind of object; who acted, on which object
    and with what detail are committed (a reader of the log could otherwise learn that a
    regional prosecutor read complaint 12, so where it was filed). ``legacy``: the form of
    leaves written before commitments, with the actor and object in the clear.
    """
    if legacy:
        return {"event": event.pk, "at": iso_time(event.at), "actor": event.actor_label,
                "action": str(event.action), "object_type": event.object_type,
                "object_id": event.object_id, "context": _legacy_context_hash(event)}
    return {
        "event": event.pk,
        "at": iso_time(event.at),
        "actor": "",
        "action": str(event.action),
        "object_type": event.object_type,
        "object_id": "",
        "context": commit(f"audit:{event.pk}", audit_context_details(event)),
    }


def ledger_append_audit_event(event: AuditEvent) -> PendingLeaf:
    return ledger_append(kind=LeafKind.AUDIT_EVENT, fields=audit_event_fields(event))
