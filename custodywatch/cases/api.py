"""Cases API: the scoped list and one case for other state systems and prosecutors' tools, and
the batch import of charges (idempotent with an Idempotency-Key)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.pagination import paginate

from custodywatch.accounts.http import AuthedRequest
from custodywatch.cases import batch, selectors
from custodywatch.cases.models import Case
from custodywatch.cases.rules import MAX_IMPRISONMENT_MONTHS
from custodywatch.core import plausible
from custodywatch.core.idempotency import idempotent
from custodywatch.core.pagination import BoundedPageNumberPagination

router = Router(tags=["cases"])


class CaseOut(Schema):
    register_number: str
    title: str
    status: str
    closure_ground: str
    region: str
    facility: str
    ex_officio: bool
    registered_at: dt.datetime
    first_step_at: dt.datetime | None
    examination_at: dt.datetime | None
    decision_at: dt.datetime | None
    rule_flags: list[dict]

    @staticmethod
    def resolve_region(case) -> str:
        return case["region"] if isinstance(case, dict) else case.region.code

    @staticmethod
    def resolve_facility(case) -> str:
        return case["facility"] if isinstance(case, dict) else case.facility.code


class ChargeOut(Schema):
    accused: str
    victim: str
    article: str
    article_part: str
    verdict: str
    verdict_on: dt.date | None
    rule_flags: list[dict]


class CaseDetailOut(CaseOut):
    summary: str
    charges: list[ChargeOut]


class ChargeIn(Schema):
    register_number: str = Field(..., max_length=40)
    accused: str = Field(..., min_length=1, max_length=200)
    accused_personnel_number: str = Field("", max_length=40)
    victim: str = Field(..., min_length=1, max_length=200)
    victim_iin: str = Field("", max_length=12)
    article: str = Field(..., max_length=10)
    article_part: str = Field("", max_length=10)
    verdict: str = Field("pending", max_length=10)
    verdict_on: plausible.PastDate | None = None
    imprisonment_months: int | None = Field(None, ge=0, le=MAX_IMPRISONMENT_MONTHS)
    probation: bool = False
    amnesty: bool = False
    limitation: bool = False
    reconciliation: bool = False
    active_repentance: bool = False


class BatchIn(Schema):
    charges: list[ChargeIn] = Field(..., min_length=1, max_length=5000)


class BatchOut(Schema):
    created: int
    updated: int
    flagged: int
    flagged_charges: list[int]


@router.get("/", response=list[CaseOut])
@paginate(BoundedPageNumberPagination, page_size=100)
def case_list(request: AuthedRequest, status: str = "", region: str = "",
              article: str = "", overdue: bool = False):
    return selectors.case_list(user=request.user, origin=request.origin,
                               filters=selectors.CaseFilters(status=status, region_code=region,
                                                             article=article, overdue=overdue))


@router.post("/charges/batch", response=BatchOut)
@decorate_view(idempotent)
def charges_batch(request: AuthedRequest, payload: BatchIn):
    """Charges from another system: upserts; art. 146 breaches are flagged, not refused."""
    result = batch.charges_import(acting_user=request.user, origin=request.origin,
                                  rows=[row.dict() for row in payload.charges], source="api")
    return {"created": result.created, "updated": result.updated, "flagged": result.flagged,
            "flagged_charges": result.flagged_charges}


@router.get("/{register_number}", response=CaseDetailOut)
def case_get(request: AuthedRequest, register_number: str):
    case = Case.objects.filter(register_number=register_number).only("pk").first()
    try:
        if case is None:
            raise Case.DoesNotExist
        case = selectors.case_detail(user=request.user, pk=case.pk,
                                     origin=request.origin)
    except Case.DoesNotExist:
        raise HttpError(404, "No such case in your scope.") from None
    contents = selectors.case_contents(user=request.user, case=case)
    charges = [{"accused": c.accused.officer.full_name, "victim": c.victim.person.full_name,
                "article": c.article, "article_part": c.article_part, "verdict": c.verdict,
                "verdict_on": c.verdict_on, "rule_flags": c.rule_flags}
               for c in contents.charges]
    return {**{f: getattr(case, f) for f in (
        "register_number", "title", "status", "closure_ground", "ex_officio", "registered_at",
        "first_step_at", "examination_at", "decision_at", "rule_flags")},
        "region": case.region.code, "facility": case.facility.code,
        "summary": case.summary if contents.access in ("full", "read") else "",
        "charges": charges}
