"""Custody API for other state systems: batch writes (idempotent) and scoped, audited reads."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from custodywatch.accounts.http import AuthedRequest
from custodywatch.core import plausible
from custodywatch.core.idempotency import idempotent
from custodywatch.custody import batch, record_rows, selectors
from custodywatch.custody.models import (
    Acknowledgement,
    CustodyRecord,
    EndReason,
    Interrogation,
    NotificationMeans,
    ObservationLevel,
    Regime,
    ReviewDecision,
    RightDelay,
)

router = Router(tags=["custody"])

MAX_ITEMS = 500
# ISO 8601 with an offset or Z, or epoch seconds (CONTRACTS.md, Times); never true/false.
Moment = plausible.Moment


class RecordKey(Schema):
    facility: str = Field(..., max_length=40, description="Facility code.")
    external_ref: str = Field(..., min_length=1, max_length=60,
                              description="The sending system's identifier of the detention.")


class RightDelayIn(Schema):
    """An authorised delay of a right (issue 22): who, why, from when, until when."""

    right: RightDelay.Right
    authorised_by: str = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=5000)
    authorised_at: Moment
    until: Moment = Field(..., description="May lie ahead (up to the planning window).")


class ReviewIn(Schema):
    """A review of continued detention (issue 22, item 4) by an officer not involved in the
    case (refused, naming the field, when he detained or questioned the person)."""

    reviewed_at: Moment
    reviewer: str = Field(..., min_length=1, max_length=200)
    reviewer_personnel_number: str = Field("", max_length=40)
    decision: ReviewDecision
    reasons: str = Field(..., min_length=1, max_length=5000)


class RiskAssessmentIn(Schema):
    """The booking risk assessment (issue 22, item 5); the observation level is the one the
    answers call for unless a closer one is given (a looser one is refused)."""

    assessed_at: Moment
    assessed_by: str = Field(..., min_length=1, max_length=200)
    intoxication: bool = False
    self_harm: bool = False
    mental_health: bool = False
    disability: bool = False
    pregnancy: bool = False
    language: bool = False
    appropriate_adult: bool = False
    observation_level: ObservationLevel | None = None
    notes: str = Field("", max_length=5000)


class CellCheckIn(Schema):
    """A cell check (issue 22, item 5); the room is the person's at that moment unless
    given. Whether a camera recorded it is decided from the footage, not sent."""

    checked_at: Moment
    checked_by: str = Field(..., min_length=1, max_length=200)
    room: str | None = Field(None, max_length=40)
    roused: bool = False
    note: str = Field("", max_length=500)


class RecordIn(RecordKey):
    full_name: str = Field(..., max_length=200)
    date_of_birth: plausible.BirthDate | None = None
    iin: str = Field("", max_length=12)
    identity_document: str = Field("", max_length=120)
    gender: str = Field("", max_length=40)
    citizenship: str = Field("KZ", max_length=60)
    language: str = Field("", max_length=40)
    interpreter: str = Field("", max_length=200)
    detained_at: Moment = Field(..., description="The actual moment of detention.")
    detained_place: str = Field(..., max_length=300)
    detaining_officer: str = Field(..., max_length=200)
    detaining_unit: str = Field("", max_length=200)
    grounds: str = Field(..., max_length=5000)
    erdr_number: str = Field("", max_length=40)
    arrived_at: Moment | None = None
    rights_explained_at: Moment | None = None
    personal_property: str = Field("", max_length=5000)
    lawyer_requested_at: Moment | None = None
    lawyer_name: str = Field("", max_length=200)
    lawyer_assigned_at: Moment | None = None
    lawyer_first_access_at: Moment | None = None
    room: str | None = Field(None, max_length=40,
                             description="First room (code), for a new record only.")
    ended_at: Moment | None = None
    end_reason: EndReason | None = None
    end_note: str = Field("", max_length=5000)
    # Issue 22 (all optional): the regime (omitted on a new record: the facility kind's),
    # the court's order and term, and the safeguards.
    regime: Regime | None = Field(None, description="Omit to take the facility kind's.")
    court_order_ref: str = Field("", max_length=120)
    court_order_at: Moment | None = None
    term_ends_at: Moment | None = Field(None, description=(
        "End of the court's term: remand with extensions, arrest, release date, next "
        "court control of a placement. May lie ahead."))
    extension_applied_at: Moment | None = None
    protocol_drawn_at: Moment | None = None
    prosecutor_notified_at: Moment | None = None
    prosecutor_notified_means: NotificationMeans | None = None
    consular_notified_at: Moment | None = None
    consular_declined_at: Moment | None = None
    consular_decline_acknowledgement: Acknowledgement | None = None
    state_lawyer_offered_at: Moment | None = None
    rights_language: str = Field("", max_length=40)
    rights_acknowledgement: Acknowledgement | None = None
    right_delays: list[RightDelayIn] = Field(default_factory=list, max_length=20)
    # Issue 22, items 4-6: reviews, risk assessments, cell checks (each idempotent by its
    # moment), and the person's recorded waiver of a lawyer.
    lawyer_waived_at: Moment | None = None
    reviews: list[ReviewIn] = Field(default_factory=list, max_length=100)
    risk_assessments: list[RiskAssessmentIn] = Field(default_factory=list, max_length=20)
    cell_checks: list[CellCheckIn] = Field(default_factory=list, max_length=500)


class StayIn(RecordKey):
    id: int | None = Field(None, description="A stay to update; omit to create one.")
    room: str = Field(..., max_length=40)
    started_at: Moment
    ended_at: Moment | None = None


class InterrogationIn(RecordKey):
    id: int | None = None
    kind: Interrogation.Kind = Interrogation.Kind.INTERROGATION
    room: str = Field(..., max_length=40)
    started_at: Moment
    ended_at: Moment | None = None
    investigator: str = Field(..., max_length=200)
    investigator_personnel_number: str | None = Field(None, max_length=40, description=(
        "Links the action to the officer's record (made from the name when new)."))
    lawyer_present: bool
    interpreter: str = Field("", max_length=200)
    recording_ref: str = Field("", max_length=200)


class RecordsBatch(Schema):
    items: list[RecordIn] = Field(..., min_length=1, max_length=MAX_ITEMS)


class StaysBatch(Schema):
    items: list[StayIn] = Field(..., min_length=1, max_length=MAX_ITEMS)


class InterrogationsBatch(Schema):
    items: list[InterrogationIn] = Field(..., min_length=1, max_length=MAX_ITEMS)


class ItemResult(Schema):
    index: int
    id: int
    created: bool


class CustodyBatchOut(Schema):
    items: list[ItemResult]


class StayOut(Schema):
    id: int
    room: str = Field(..., alias="room.code")
    started_at: dt.datetime
    ended_at: dt.datetime | None


class RecordOut(Schema):
    id: int
    facility: str = Field(..., alias="facility.code")
    external_ref: str
    full_name: str
    is_minor: bool
    detained_at: dt.datetime
    # Null: a sentence with no release date recorded (issue 22).
    detention_due_at: dt.datetime | None
    regime: str = ""
    term_ends_at: dt.datetime | None = None
    is_foreign: bool = False
    arrived_at: dt.datetime | None
    relatives_notified_at: dt.datetime | None
    medical_checked_at: dt.datetime | None
    lawyer_first_access_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_reason: str
    stays: list[StayOut]

    @staticmethod
    def resolve_stays(record: CustodyRecord) -> list:
        return list(record.stays.select_related("room").order_by("started_at"))


def _items(payload: Schema) -> list[dict]:
    # Only what the sender sent: an update never blanks a field it did not mention.
    return [item.model_dump(exclude_unset=True) | {"facility": item.facility,
                                                   "external_ref": item.external_ref}
            for item in payload.items]  # type: ignore[attr-defined]  # batches' items


def _call(request: AuthedRequest, run, payload: Schema) -> dict:
    results = run(acting_user=request.user, origin=request.origin,
                  token=getattr(request, "machine_token", None), items=_items(payload))
    return {"items": results}


@router.post("/records/batch", response=CustodyBatchOut)
@decorate_view(idempotent)
def records_batch(request: AuthedRequest, payload: RecordsBatch):
    """Create or update detentions by (facility, external_ref). All items or none."""
    return _call(request, record_rows.records_batch, payload)


@router.post("/stays/batch", response=CustodyBatchOut)
@decorate_view(idempotent)
def stays_batch(request: AuthedRequest, payload: StaysBatch):
    """Room stays; a stay that overlaps another or is in a wrong room rejects the batch."""
    return _call(request, batch.stays_batch, payload)


@router.post("/interrogations/batch", response=CustodyBatchOut)
@decorate_view(idempotent)
def interrogations_batch(
    request: AuthedRequest, payload: InterrogationsBatch
):
    return _call(request, batch.interrogations_batch, payload)


@router.get("/records/{record_id}", response=RecordOut)
def record_get(request: AuthedRequest, record_id: int):
    """One custody record in the caller's scope; the read is audited."""
    try:
        return selectors.custody_record_detail(user=request.user, pk=record_id,
                                               origin=request.origin)
    except CustodyRecord.DoesNotExist:
        raise HttpError(404, "No such custody record in your scope.") from None
