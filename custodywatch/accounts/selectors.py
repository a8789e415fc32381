"""Reads of people and of the audit trail, scoped to the reader."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User

# Those who oversee the system (READ_WHOLE_AUDIT_TRAIL) read the whole trail; everyone else
# reads their own actions.
AUDIT_PAGE_SIZE = 50


def audit_events_visible(*, user: User) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if has_capability(user, Capability.READ_WHOLE_AUDIT_TRAIL):
        return events
    return events.filter(actor=user)


def audit_event_page(
    *, user: User, origin: Origin, page_number: int | str, object_type: str = ""
) -> Page:
    events = audit_events_visible(user=user)
    if object_type:
        events = events.filter(object_type=object_type)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(page_number)
    audit_record(
        actor=user,
        action=AuditEvent.Action.LIST,
        origin=origin,
        object_type="accounts.auditevent",
        detail={"page": page.number, "object_type": object_type},
    )
    return page
