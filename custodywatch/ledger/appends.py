"""Queue a leaf in the caller's transaction: what business services call to log a fact.

Kept apart from services.py so accounts.audit can import it without an import cycle: this
module depends only on the ledger's models and the pure kernels.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connections, router, transaction
from django.utils import timezone

from custodywatch.kernels.ledger_leaf import encode_leaf, iso_time
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
    """Fields of an evidence item registration; the cases app (issue 7) calls this."""
    return {"evidence": evidence, "sha256": sha256, "size": size, "by": by, "at": iso_time(at),
            "case": case, "media_type": media_type, "name": name}


def _context_hash(event: AuditEvent) -> str:
    """SHA-256 of what an audit event says beyond its key fields.

    The leaf commits to names, addresses and details by hash only: a leaf reader learns who did
    what to which object, never the personal data in the label or the detail.
    """
    ip_field = type(event)._meta.get_field("ip_address")
    context = {
        "object_label": event.object_label,
        "ip_address": ip_field.get_prep_value(event.ip_address),
        "user_agent": event.user_agent,
        "detail": event.detail,
    }
    dumped = json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                        default=str)
    return hashlib.sha256(dumped.encode()).hexdigest()


def audit_event_fields(event: AuditEvent) -> dict[str, Any]:
    """The leaf fields of an audit event; ``ledger verify`` recomputes them from the stored row."""
    return {
        "event": event.pk,
        "at": iso_time(event.at),
        "actor": event.actor_label,
        "action": str(event.action),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "context": _context_hash(event),
    }


def ledger_append_audit_event(event: AuditEvent) -> PendingLeaf:
    return ledger_append(kind=LeafKind.AUDIT_EVENT, fields=audit_event_fields(event))
