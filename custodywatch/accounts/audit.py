"""The one way to write the audit trail. Services call it; views never do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.http import HttpRequest

from custodywatch.accounts.models import AuditEvent, User

# Every audit event gets a ledger leaf in its own transaction. The ledger sits above accounts
# (docs/architecture.md, "Layers"), so it registers its appender here in LedgerConfig.ready
# rather than accounts importing it. There is exactly one; without it audit_record refuses.
AuditAppender = Callable[[AuditEvent], object]
_appender: AuditAppender | None = None


def register_audit_appender(appender: AuditAppender) -> None:
    """Set the function that queues an audit event's ledger leaf (the ledger's, at ready)."""
    global _appender
    if _appender is not None and _appender is not appender:
        raise ImproperlyConfigured("an audit appender is already registered")
    _appender = appender


def audit_appender() -> AuditAppender:
    if _appender is None:
        raise ImproperlyConfigured(
            "No audit appender is registered: an audit event would miss its ledger leaf. "
            "custodywatch.ledger must be in INSTALLED_APPS (LedgerConfig.ready registers it).")
    return _appender


@dataclass(frozen=True)
class Origin:
    """Where a read or a change came from."""

    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Origin:
        # Behind a proxy the operator sets REMOTE_ADDR correctly (docs/operations.md);
        # X-Forwarded-For is client-controlled and never trusted here.
        return cls(
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )


SYSTEM_ORIGIN = Origin(ip_address=None, user_agent="system")


def audit_record(
    *,
    actor: User | None,
    action: AuditEvent.Action,
    origin: Origin,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)
    append = audit_appender()  # before anything is written: no event without its leaf
    # The event and its ledger leaf commit together or not at all; without an outer
    # transaction this one is it, inside one no savepoint is spent (a failure undoes the caller).
    with transaction.atomic(savepoint=False):
        event = AuditEvent.objects.create(
            actor=actor if actor is not None and actor.pk else None,
            actor_label=actor.get_username() if actor is not None and actor.pk else "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label[:300],
            ip_address=origin.ip_address,
            user_agent=origin.user_agent,
            detail=detail or {},
        )
        append(event)
    return event
