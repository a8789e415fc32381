"""Complaints API: intake for other state systems (e-appeals), the handlers' list and detail,
and the complainant's status by receipt code (public, throttled)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.pagination import paginate

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.complaints import receipts, selectors, services
from custodywatch.complaints.models import Channel, Complaint
from custodywatch.core import plausible
from custodywatch.core.idempotency import idempotent_sealed
from custodywatch.core.pagination import BoundedPageNumberPagination
from custodywatch.core.sealing import SealingError
from custodywatch.registry.models import Facility, Region

router = Router(tags=["complaints"])


# With its offset, since 1991, not in the future (core/plausible.py); never true/false.
PastMoment = plausible.PastMoment


class ComplaintIn(Schema):
    text: str = Field(..., min_length=1, max_length=20_000)
    facility: str = Field("", max_length=40, description="Facility code, if known.")
    region: str = Field("", max_length=10, description="ISO 3166-2 code, without a facility.")
    accused_officers: str = Field("", max_length=500)
    incident_started_at: PastMoment | None = None
    incident_ended_at: PastMoment | None = None
    still_in_custody: bool = False
    anonymous: bool = False
    full_name: str = Field("", max_length=200)
    contact: str = Field("", max_length=300)
    external_reference: str = Field("", max_length=60,
                                    description="The sending system's own number.")


class FiledOut(Schema):
    reference: str
    receipt_code: str = Field(..., description="Shown once: pass it to the complainant.")
    proof_of_filing: str
    category: str
    handling_body: str
    region: str


class ComplaintOut(Schema):
    reference: str
    channel: str
    received_at: dt.datetime
    region: str = Field(..., alias="region.code")
    facility: str | None
    category: str
    suggested_category: str
    triggering_words: list[str]
    urgency: str
    handling_body: str
    status: str
    registration_due_at: dt.datetime
    answer_due_at: dt.datetime
    answered_at: dt.datetime | None
    is_anonymous: bool

    @staticmethod
    def resolve_facility(complaint: Complaint) -> str | None:
        return complaint.facility.code if complaint.facility else None


class ComplaintDetailOut(ComplaintOut):
    text: str


class CodeIn(Schema):
    code: str = Field(..., max_length=60)
    # The PIN of a short code (receipts.new_short_code); none for a long code.
    pin: str = Field("", max_length=8)


class ReplyIn(CodeIn):
    body: str = Field(..., min_length=1, max_length=20_000)


class MessageOut(Schema):
    sender: str
    body: str
    is_question: bool
    sent_at: dt.datetime


class StatusOut(Schema):
    reference: str
    status: str
    handling_body: str
    received_at: dt.datetime
    answer_due_at: dt.datetime
    messages: list[MessageOut]


def _lookup(model, field: str, code: str):
    found = model.objects.filter(code=code).first()
    if found is None:
        raise HttpError(422, f"{field}: unknown code {code!r}.")
    return found


@router.post("/intake", response={201: FiledOut})
@decorate_view(idempotent_sealed)  # the answer carries the receipt code
def complaint_intake(request: AuthedRequest, payload: ComplaintIn):
    """A complaint from another state system: the e-appeals system's own machine account
    (FILE_COMPLAINT_BY_API: role state_system) alone files here. Anyone else (an analyst's
    token, facility staff, an edge agent) is refused and the refusal
    audited: a filing is recorded as e-appeals."""
    if not has_capability(request.user, Capability.FILE_COMPLAINT_BY_API):
        services.api_intake_refused(acting_user=request.user,
                                    origin=request.origin)
        raise PermissionDenied("Only the e-appeals system's account files complaints by API.")
    facility = _lookup(Facility, "facility", payload.facility) if payload.facility else None
    region = _lookup(Region, "region", payload.region) if payload.region else None
    filed = services.complaint_file(
        acting_user=request.user, origin=request.origin,
        channel=Channel.E_APPEALS, text=payload.text, facility=facility, region=region,
        accused_officers=payload.accused_officers,
        incident_started_at=payload.incident_started_at,
        incident_ended_at=payload.incident_ended_at, still_in_custody=payload.still_in_custody,
        anonymous=payload.anonymous,
        identity=services.Identity(full_name=payload.full_name, contact=payload.contact))
    complaint = filed.complaint
    return Status(201, {"reference": complaint.reference, "receipt_code": filed.receipt_code,
                        "proof_of_filing": filed.proof_of_filing,
                        "category": complaint.category,
                        "handling_body": complaint.handling_body,
                        "region": complaint.region.code})


@router.get("/", response=list[ComplaintOut])
@paginate(BoundedPageNumberPagination, page_size=100)
def complaint_list(
    request: AuthedRequest, status: str = "", category: str = "", region: str = "",
    urgency: str = ""
):
    return selectors.complaint_inbox(
        user=request.user, origin=request.origin,
        filters=selectors.InboxFilters(status=status, category=category, region_code=region,
                                       urgency=urgency))


def _open(request: Request, code: str, pin: str = "") -> Complaint:
    try:
        return services.complainant_open(code=code, origin=request.origin,
                                         terminal=receipts.terminal_of(request), pin=pin)
    except services.ReceiptThrottled:
        raise HttpError(429, "Too many wrong receipt codes; wait 15 minutes.") from None
    except ValidationError:
        raise HttpError(422, "code: a character is mistyped (the check character does not "
                             "match).") from None
    except PermissionDenied:
        raise HttpError(403, "No complaint has this receipt code.") from None


def _status(complaint: Complaint) -> dict:
    return {"reference": complaint.reference, "status": complaint.status,
            "handling_body": complaint.handling_body, "received_at": complaint.received_at,
            "answer_due_at": complaint.answer_due_at,
            "messages": list(complaint.messages.all())}


@router.post("/status", response=StatusOut, auth=None)
def complaint_status(request: Request, payload: CodeIn):
    """The complainant's view by receipt code (in the body, never in the URL)."""
    return _status(_open(request, payload.code, payload.pin))


@router.post("/status/reply", response=StatusOut, auth=None)
def complaint_status_reply(request: Request, payload: ReplyIn):
    complaint = _open(request, payload.code, payload.pin)
    services.complainant_reply(complaint=complaint, origin=request.origin,
                               body=payload.body)
    return _status(complaint)


# Declared last: "/{reference}" would otherwise take "/status".
@router.get("/{reference}", response=ComplaintDetailOut)
def complaint_get(request: AuthedRequest, reference: str):
    origin = request.origin
    complaint = selectors.complaints_visible(user=request.user).filter(
        reference=reference).only("pk").first()
    try:
        if complaint is None:
            # The same answer and the same audit line whether the reference exists or not:
            # a guessed reference tells nobody, in the answer or his own audit trail, that a
            # complaint exists (docs/security.md).
            selectors.complaint_refused(user=request.user, origin=origin, reference=reference)
            raise Complaint.DoesNotExist
        complaint = selectors.complaint_detail(user=request.user, pk=complaint.pk,
                                               origin=origin)
        complaint.text  # noqa: B018 - opened here, so a damaged row answers 409, not 500
        return complaint
    except SealingError:
        raise HttpError(409, "This complaint's sealed text does not open: the row was "
                             "changed after it was logged (ledger verify names it).") from None
    except Complaint.DoesNotExist:
        raise HttpError(404, "No such complaint in your scope.") from None
