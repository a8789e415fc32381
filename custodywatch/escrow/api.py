"""The facility agent's side of the escrow, mounted at ``/api/escrow/``:

- ``GET /plan``: the centre's public key and the cameras whose every segment is escrowed
  (custody-area cameras from the registry, interrogation rooms first);
- ``POST /grants``: presigned PUTs for sealed segments whose hash the centre already has;
- ``POST /acks``: the versions the agent stored; each is re-read and checked before it counts;
- ``POST /fingerprints``: the perceptual fingerprints of recorded segments (kernels/
  fingerprint.py), kept with a ledger leaf for ``custodywatch evidence match``.

Only an edge-agent account's token bound to its own facility calls these. Nothing here
depends on complaints (docs/security.md, "the facility sees nothing").
"""

from __future__ import annotations

from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from custodywatch.accounts.http import AuthedRequest
from custodywatch.core.idempotency import idempotent
from custodywatch.escrow import keys, services, store
from custodywatch.registry.models import Facility
from custodywatch.video import services as video_services

router = Router(tags=["escrow"])

SHA256 = "^[0-9a-f]{64}$"


class PlanCamera(Schema):
    camera: str
    priority: int


class PlanOut(Schema):
    facility: str
    public_key: str = Field(..., description="The centre's X25519 public key, base64.")
    cameras: list[PlanCamera]


class GrantItemIn(Schema):
    camera: str = Field(..., max_length=40)
    sha256: str = Field(..., pattern=SHA256, description="Of the plaintext segment.")
    stored_sha256: str = Field(..., pattern=SHA256, description="Of the sealed bytes.")
    size: int = Field(..., ge=1, le=1 << 40)


class GrantsIn(Schema):
    items: list[GrantItemIn] = Field(..., min_length=1, max_length=100)


class GrantOut(Schema):
    sha256: str
    status: str = Field(..., description="grant, done, wait or refused")
    url: str = ""
    headers: dict[str, str] = {}


class GrantsOut(Schema):
    items: list[GrantOut]


class AckItemIn(Schema):
    sha256: str = Field(..., pattern=SHA256)
    version_id: str = Field("", max_length=200)


class AcksIn(Schema):
    items: list[AckItemIn] = Field(..., min_length=1, max_length=100)


class AckOut(Schema):
    sha256: str
    status: str = Field(..., description="escrowed, mismatch or missing")
    detail: str = ""


class AcksOut(Schema):
    items: list[AckOut]


class FingerprintItemIn(Schema):
    camera: str = Field(..., max_length=40)
    sha256: str = Field(..., pattern=SHA256, description="Of the plaintext segment.")
    step_ms: int = Field(..., ge=100, le=60_000,
                         description="Milliseconds between hashed frames, from the start.")
    hashes: str = Field(..., min_length=16, max_length=16 * services.MAX_FINGERPRINTS,
                        pattern="^([0-9a-f]{16})+$",
                        description="One 64-bit DCT hash per hashed frame, 16 hex digits each.")


class FingerprintsIn(Schema):
    items: list[FingerprintItemIn] = Field(..., min_length=1, max_length=100)


class FingerprintOut(Schema):
    sha256: str
    status: str = Field(..., description="stored, known, wait or refused")


class FingerprintsOut(Schema):
    items: list[FingerprintOut]


def _agent_facility(request: AuthedRequest) -> Facility:
    """An edge agent's own facility (the rule of every agent call,
    ``accounts.scoping.video_writer_facility_id``); PermissionDenied, audited, for anyone else."""
    facility = video_services.agent_facility(
        acting_user=request.user,
        origin=request.origin, token=getattr(request, "machine_token", None))
    if not store.configured():
        raise HttpError(404, "This centre offers no escrow store (not configured).")
    return facility


@router.get("/plan", response=PlanOut)
def escrow_plan(request: AuthedRequest):
    facility = _agent_facility(request)
    return {"facility": facility.code, "public_key": keys.public_key_b64(),
            "cameras": services.escrow_plan(facility)}


@router.post("/grants", response=GrantsOut)
def escrow_grants(request: AuthedRequest, payload: GrantsIn):
    facility = _agent_facility(request)
    items = [services.GrantRequest(camera=item.camera, sha256=item.sha256,
                                   stored_sha256=item.stored_sha256, size=item.size)
             for item in payload.items]
    return {"items": services.grant_uploads(acting_user=request.user,
                                            origin=request.origin,
                                            facility=facility, items=items)}


@router.post("/acks", response=AcksOut)
@decorate_view(idempotent)
def escrow_acks(request: AuthedRequest, payload: AcksIn):
    facility = _agent_facility(request)
    return {"items": services.acknowledge_uploads(
        acting_user=request.user, origin=request.origin, facility=facility,
        items=[(item.sha256, item.version_id) for item in payload.items])}


@router.post("/fingerprints", response=FingerprintsOut)
@decorate_view(idempotent)
def escrow_fingerprints(request: AuthedRequest, payload: FingerprintsIn):
    facility = _agent_facility(request)
    return {"items": services.record_fingerprints(
        acting_user=request.user, origin=request.origin, facility=facility,
        items=[services.FingerprintItem(camera=item.camera, sha256=item.sha256,
                                        step_ms=item.step_ms, hashes=item.hashes)
               for item in payload.items])}
