"""Relatives and lawyers ask to watch a person's interrogations (issue 23, item 7): the
writes. Audited, atomic; the facility, a party, is never asked nor told.

The way: a request made on the public site or taken by an operator (REVIEW_WATCH_REQUESTS)
-> the operator checks the requester's identity and finds the person's custody record ->
the prosecutor (DECIDE_WATCH_REQUESTS, the record in his scope) grants or refuses -> for each
interrogation in a transparent room the prosecutor's office offers the link (a Viewer tied
to the request, its code given to the requester once). An interrogation held after the grant
with no link offered to the requester is flagged (``watch_links_sweep``)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.custody.models import CustodyRecord, Interrogation
from custodywatch.liveview import codes
from custodywatch.liveview.models import (
    Relationship,
    Viewer,
    WatchLinkMissing,
    WatchRequest,
)
from custodywatch.liveview.services import NamedViewer, _require_transparent, _session_for
from custodywatch.registry.models import Facility, Room

# An interrogation this long under way with no link offered to the requester is flagged.
OFFER_GRACE = dt.timedelta(minutes=10)
Status = WatchRequest.Status


def _require(user: User | None, capability: Capability, origin: Origin, what: str) -> None:
    if has_capability(user, capability):
        return
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type="liveview.watchrequest", object_label=what,
                 detail={"capability": capability.value})
    raise PermissionDenied(_("You may not do this with requests to watch."))


def _new_reference(now: dt.datetime) -> str:
    return f"W-{now:%y%m}-{secrets.token_hex(3).upper()}"


def watch_request_submit(
    *, origin: Origin, requester_name: str, relationship: str, contact: str,
    person_name: str, facility: Facility | None, acting_user: User | None = None,
    now: dt.datetime | None = None,
) -> WatchRequest:
    """A request from the public site (no account) or taken by an operator (his channel)."""
    channel = WatchRequest.Channel.WEB
    if acting_user is not None and acting_user.is_authenticated:
        _require(acting_user, Capability.REVIEW_WATCH_REQUESTS, origin, "operator request")
        channel = WatchRequest.Channel.OPERATOR
    values = {"requester_name": (requester_name or "").strip(),
              "contact": (contact or "").strip(), "person_name": (person_name or "").strip()}
    errors: dict[str, list[str]] = {}
    for name, limit in (("requester_name", 200), ("contact", 300), ("person_name", 200)):
        if not values[name]:
            errors[name] = [_("This field is required.")]
        elif len(values[name]) > limit:
            errors[name] = [_("At most %(count)s characters.") % {"count": limit}]
    if relationship not in Relationship.values:
        errors["relationship"] = [_("Choose the relationship.")]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        request = WatchRequest.objects.create(
            reference=_new_reference(now), channel=channel, created_at=now,
            created_by=acting_user if channel == WatchRequest.Channel.OPERATOR else None,
            relationship=relationship, facility=facility, **values)
        audit_record(actor=request.created_by, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=request, detail={"channel": channel, "relationship": relationship,
                                          "facility": facility.code if facility else None})
    return request


def watch_request_check_identity(
    *, acting_user: User, origin: Origin, request: WatchRequest, custody_record_id: int,
    document: str, now: dt.datetime | None = None,
) -> WatchRequest:
    """The operator saw the requester's identity document and found the person's custody
    record (in the operator's scope): the request goes to the prosecutor."""
    _require(acting_user, Capability.REVIEW_WATCH_REQUESTS, origin, request.reference)
    errors: dict[str, list[str]] = {}
    document = (document or "").strip()
    if not document:
        errors["document"] = [_("Name the identity document you checked.")]
    record = CustodyRecord.objects.filter(facility_q(acting_user, "facility"),
                                          pk=custody_record_id).first()
    if record is None:
        errors["custody_record"] = [_("No such custody record in your scope.")]
    if request.status != Status.SUBMITTED:
        errors["status"] = [_("This request is no longer waiting for an identity check.")]
    if errors or record is None:  # no record: named in errors
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        updated = WatchRequest.objects.filter(pk=request.pk, status=Status.SUBMITTED).update(
            status=Status.CHECKED, custody_record=record, identity_document=document[:200],
            identity_checked_at=now, identity_checked_by=acting_user)
        if not updated:
            raise ValidationError({"status": [_(
                "This request is no longer waiting for an identity check.")]})
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=request, detail={"identity_checked": True, "record": record.pk})
    request.refresh_from_db()
    return request


def _in_decider_scope(user: User, request: WatchRequest) -> bool:
    return request.custody_record_id is not None and CustodyRecord.objects.filter(
        facility_q(user, "facility"), pk=request.custody_record_id).exists()


def watch_request_decide(
    *, acting_user: User, origin: Origin, request: WatchRequest, grant: bool, note: str = "",
    now: dt.datetime | None = None,
) -> WatchRequest:
    """The prosecutor grants or refuses (a refusal says why)."""
    _require(acting_user, Capability.DECIDE_WATCH_REQUESTS, origin, request.reference)
    if not _in_decider_scope(acting_user, request):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=request, detail={"decide": "out of scope"})
        raise PermissionDenied(_("This person is held outside your scope."))
    note = (note or "").strip()
    if request.status != Status.CHECKED:
        raise ValidationError({"status": [_("Only a request whose identity was checked is "
                                            "decided.")]})
    if not grant and not note:
        raise ValidationError({"note": [_("Say why the request is refused.")]})
    now = now or timezone.now()
    status = Status.GRANTED if grant else Status.REFUSED
    with transaction.atomic():
        updated = WatchRequest.objects.filter(pk=request.pk, status=Status.CHECKED).update(
            status=status, decided_at=now, decided_by=acting_user, decision_note=note[:500])
        if not updated:
            raise ValidationError({"status": [_("Only a request whose identity was checked "
                                                "is decided.")]})
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=request, detail={"decision": status})
    request.refresh_from_db()
    return request


def watch_link_offer(
    *, acting_user: User, origin: Origin, request: WatchRequest, interrogation: Interrogation,
    now: dt.datetime | None = None,
) -> NamedViewer:
    """The prosecutor's office offers the requester the link of one interrogation of the
    person: a viewer tied to the request; its code is returned once, never kept."""
    _require(acting_user, Capability.DECIDE_WATCH_REQUESTS, origin, request.reference)
    if not _in_decider_scope(acting_user, request):
        raise PermissionDenied(_("This person is held outside your scope."))
    if request.status != Status.GRANTED:
        raise ValidationError({"status": [_("The request is not granted.")]})
    if interrogation.custody_record_id != request.custody_record_id:
        raise ValidationError({"interrogation": [_(
            "This interrogation is not of the person of the request.")]})
    _require_transparent(interrogation)
    now = now or timezone.now()
    if interrogation.ended_at is not None and interrogation.ended_at <= now:
        raise ValidationError({"interrogation": [_(
            "This interrogation has ended: nobody can watch it now.")]})
    code = codes.new_code()
    with transaction.atomic():
        session = _session_for(interrogation, now, acting_user, origin)
        viewer = Viewer.objects.create(
            session=session, full_name=request.requester_name,
            relationship=request.relationship, code_hash=codes.digest(code), created_at=now,
            created_by=acting_user, watch_request=request)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=viewer, detail={"interrogation": interrogation.pk,
                                         "watch_request": request.reference})
    return NamedViewer(viewer, code)


def interrogations_for(request: WatchRequest) -> QuerySet[Interrogation]:
    """The person's interrogations in transparent rooms since the grant."""
    if request.status != Status.GRANTED or request.decided_at is None:
        return Interrogation.objects.none()
    return Interrogation.objects.filter(
        custody_record_id=request.custody_record_id,
        room__kind=Room.Kind.TRANSPARENT_INTERROGATION,
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=request.decided_at)).select_related(
        "room").order_by("started_at")


def _offered_q(request: WatchRequest) -> Q:
    """A link counts as offered when given for the request, or when the facility itself named
    the requester (same name and relationship)."""
    return Q(watch_request=request) | Q(full_name__iexact=request.requester_name,
                                        relationship=request.relationship)


def watch_links_sweep(now: dt.datetime | None = None) -> int:
    """Flag each interrogation held under a granted request with no link offered to the
    requester within OFFER_GRACE of its start (or of the grant, if it was already going on).
    Idempotent (one flag per request and interrogation)."""
    now = now or timezone.now()
    flagged = 0
    for request in WatchRequest.objects.filter(status=Status.GRANTED,
                                               decided_at__lte=now - OFFER_GRACE):
        for interrogation in interrogations_for(request).filter(
                started_at__lte=now - OFFER_GRACE):
            started, decided = interrogation.started_at, request.decided_at
            if started is None or decided is None:  # never: both chosen by them above
                continue
            deadline = max(started, decided) + OFFER_GRACE
            offered = Viewer.objects.filter(_offered_q(request),
                                            session__interrogation=interrogation,
                                            created_at__lte=deadline).exists()
            if offered or WatchLinkMissing.objects.filter(
                    watch_request=request, interrogation=interrogation).exists():
                continue
            try:
                with transaction.atomic():
                    flag = WatchLinkMissing.objects.create(
                        watch_request=request, interrogation=interrogation, detected_at=now)
                    audit_record(actor=None, action=AuditEvent.Action.CREATE,
                                 origin=SYSTEM_ORIGIN, obj=flag,
                                 detail={"watch_request": request.reference,
                                         "interrogation": interrogation.pk,
                                         "record": request.custody_record_id})
            except IntegrityError:  # another sweeper flagged it first
                continue
            flagged += 1
    return flagged


def screen_refusal(*, code: str, facility_id: int, origin: Origin) -> str | None:
    """The on-site "designated place": a waiting-room screen of a facility opens only the
    link offered for a granted request to watch an interrogation in that facility (the rooms
    the present relative may see), nothing else. None: open it as any link (which checks
    the code, the window, the revocation and the device)."""
    raw = codes.normalise(code)
    viewer = Viewer.objects.select_related(
        "watch_request", "session__interrogation__room").filter(
        code_hash=codes.digest(raw)).first() if len(raw) == codes.CODE_CHARS else None
    if viewer is None:
        return None  # link_open refuses it and counts the try
    if (viewer.watch_request is None or viewer.watch_request.status != Status.GRANTED
            or viewer.session.interrogation.room.facility_id != facility_id):
        audit_record(actor=None, action=AuditEvent.Action.DENIED, origin=origin, obj=viewer,
                     detail={"reason": "not_here", "screen_facility": facility_id})
        return "not_here"
    return None
