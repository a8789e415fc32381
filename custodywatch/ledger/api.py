"""The ledger's API (CONTRACTS.md "Evidence ledger"): checkpoint and proofs public, leaves not.

Hashes and leaf data are standard base64.
"""

from __future__ import annotations

import base64

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.ledger import selectors

router = Router(tags=["ledger"])


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class LeafOut(Schema):
    index: int
    data: str


class LeavesOut(Schema):
    leaves: list[LeafOut]


class InclusionProofOut(Schema):
    index: int
    size: int
    leaf_hash: str
    hashes: list[str]


class ConsistencyProofOut(Schema):
    first: int
    second: int
    hashes: list[str]


_TEXT_RESPONSE = {"responses": {200: {"description": "signed note",
                                     "content": {"text/plain": {"schema": {"type": "string"}}}}}}


@router.get("/checkpoint", auth=None, openapi_extra=_TEXT_RESPONSE)
def checkpoint(request: Request) -> HttpResponse:
    """The latest signed checkpoint, a C2SP tlog-checkpoint signed note."""
    latest = selectors.checkpoint_latest()
    if latest is None:
        raise HttpError(404, "No checkpoint has been issued yet.")
    response = HttpResponse(latest.note, content_type="text/plain; charset=utf-8")
    # A witness must see the newest head, never one a cache kept.
    response["Cache-Control"] = "no-store"
    return response


@router.get("/leaves", response=LeavesOut)
def leaves(request: AuthedRequest, start: int, end: int) -> dict:
    """Leaves ``[start, end)`` of the signed tree, at most 1,000 a call."""
    if not selectors.can_read_leaves(request.user):
        raise PermissionDenied("Reading ledger leaves needs the analyst role or higher.")
    try:
        rows = selectors.leaves_range(start=start, end=end)
    except selectors.ProofError as error:
        raise HttpError(400, str(error)) from None
    return {"leaves": [{"index": leaf.index, "data": _b64(bytes(leaf.data))} for leaf in rows]}


@router.get("/proof/inclusion", auth=None, response=InclusionProofOut)
def proof_inclusion(request: Request, index: int, size: int) -> dict:
    try:
        leaf_hash, hashes = selectors.inclusion_proof(index=index, size=size)
    except selectors.ProofError as error:
        raise HttpError(400, str(error)) from None
    return {"index": index, "size": size, "leaf_hash": _b64(leaf_hash),
            "hashes": [_b64(h) for h in hashes]}


@router.get("/proof/consistency", auth=None, response=ConsistencyProofOut)
def proof_consistency(request: Request, first: int, second: int) -> dict:
    try:
        hashes = selectors.consistency_proof(first=first, second=second)
    except selectors.ProofError as error:
        raise HttpError(400, str(error)) from None
    return {"first": first, "second": second, "hashes": [_b64(h) for h in hashes]}
