"""Medical's API for another state system (a health information system): independent
medical examinations in one batch (medical/batch.py).

Served under the custody API's path (``/api/custody/examinations/batch``), with the same
operation id and tag as when custody served it (CONTRACTS.md keeps outside clients' paths):
custodywatch/api.py mounts this router at ``/custody/`` beside custody's own, which does not
import medical (the layers forbid it).
"""

from __future__ import annotations

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from custodywatch.accounts.http import AuthedRequest
from custodywatch.core.idempotency import idempotent
from custodywatch.custody.api import MAX_ITEMS, CustodyBatchOut, Moment, RecordKey, _call
from custodywatch.medical import batch

router = Router(tags=["custody"])


class InjuryIn(Schema):
    view: str = Field(..., max_length=5, description="front or back")
    body_region: str = Field(..., max_length=40, description="A region of cases/body.py.")
    x: float | None = Field(None, description="0..1 on the view; omit for the region's centre.")
    y: float | None = None
    kind: str = Field(..., max_length=20)
    description: str = Field(..., max_length=5000)


class ExaminationIn(RecordKey):
    """An independent medical examination (medical/): only a medical examiner's token."""

    examination_ref: str = Field("", max_length=60,
                                 description="The sender's identifier of the examination.")
    occasion: str = Field(..., max_length=10, description="intake, transfer, release, other")
    examined_at: Moment
    in_private: bool
    consent: str = Field(..., max_length=10, description="given or refused")
    no_injuries: bool = False
    declared_ill_treatment: bool = False
    person_account: str = Field("", max_length=20000)
    doctor_allegation: bool = False
    consistency: str = Field("", max_length=20)
    opinion: str = Field("", max_length=20000)
    injuries: list[InjuryIn] = Field(default_factory=list, max_length=200)


class ExaminationsBatch(Schema):
    items: list[ExaminationIn] = Field(..., min_length=1, max_length=MAX_ITEMS)


@router.post("/examinations/batch", response=CustodyBatchOut,
             operation_id="custodywatch_custody_api_examinations_batch")
@decorate_view(idempotent)
def examinations_batch(request: AuthedRequest, payload: ExaminationsBatch) -> dict[str, object]:
    """Independent medical examinations (issue 21). An injury, a declared or recorded
    allegation, or a new injury opens its referral in the same transaction. All or none."""
    return _call(request, batch.examinations_batch, payload)
