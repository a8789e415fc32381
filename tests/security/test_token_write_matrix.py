"""The authorization matrix for agent writes: token versus account (issue 17, item 4).

Every role's account, with a bearer token bound to facility A (the facility written to),
bound to facility B, or bound to none, calls every write an edge agent makes on facility A:
heartbeats, state spans, recordings, marker sightings, a camera's inventory and
deactivation, a reference sync, a preservation report, and the live-frame camera check.
Exactly one combination may write video: facility A's edge-agent account with a token bound
to A or to nothing. An agent of facility B is refused whatever its token says, and no
facility binding gives a person's account a write. A camera's inventory is the registry
editor's to write (a binding only narrowing him) and the facility side's (its agent, head,
duty officer) to propose, 202, for an independent approver (registry/camera_changes.py);
the binding makes nobody facility side.

Tokens bound to another facility than their account's cannot be made any more
(`token create --facility` refuses them, tests/test_cli.py); the matrix makes them in the
database, as one made before the rule would be, to show that the binding never widens.
Each request runs in a savepoint rolled back after it: every caller meets the same world.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.capabilities import Capability, bound_scope, has_capability
from custodywatch.accounts.models import AuditEvent, MachineToken, Role, Scope, User
from custodywatch.accounts.services import token_create
from custodywatch.registry.models import Camera, Facility
from custodywatch.video.models import (
    CameraHealth,
    CameraStateSpan,
    MarkerSighting,
    RecordingSegment,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

BINDINGS = ("A", "B", "none")


def _at(minutes: int) -> str:
    return (timezone.now() - dt.timedelta(minutes=minutes)).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    body: Callable[[], dict]
    # Names facility A (in the path or the body); otherwise the call is about the caller's
    # own facility, as a reference sync, a preservation report or a live-frame check is.
    names_facility_a: bool = True
    camera_inventory: bool = False


WRITES: dict[str, Write] = {
    "heartbeats": Write("post", "/api/video/heartbeats", lambda: {
        "facility": "FA-1", "items": [{"camera": "CAM1", "at": _at(1)}]}),
    "state spans": Write("post", "/api/video/state-spans", lambda: {
        "facility": "FA-1",
        "items": [{"camera": "CAM1", "state": "ok", "start": _at(10), "end": _at(5)}]}),
    "recordings": Write("post", "/api/video/recordings", lambda: {
        "facility": "FA-1",
        "items": [{"camera": "CAM1", "start": _at(10), "end": _at(5), "sha256": "ab" * 32}]}),
    "marker sightings": Write("post", "/api/video/marker-sightings", lambda: {
        "facility": "FA-1", "items": [{"camera": "CAM1", "marker": 0, "first": _at(10),
                                       "last": _at(5), "seen": 0.9}]}),
    "camera rename": Write("put", "/api/registry/facilities/FA-1/cameras/CAM1", lambda: {
        "name": "Renamed", "rooms": ["R1"]}, camera_inventory=True),
    "camera deactivation": Write("put", "/api/registry/facilities/FA-1/cameras/CAM1",
                                 lambda: {"rooms": ["R1"], "is_active": False},
                                 camera_inventory=True),
    "reference sync": Write("post", "/api/references/sync", lambda: {"cameras": []},
                            names_facility_a=False),
    "preservation report": Write("post", "/api/preservation/reports", lambda: {"items": []},
                                 names_facility_a=False),
    "live camera": Write("get", "/api/live/cameras/CAM1/wanted", lambda: {},
                         names_facility_a=False),
}


def _account(role: Role, facility_a: Facility) -> User:
    if bound_scope(role) == Scope.FACILITY:
        return make_user(f"{role}_a", role, facility=facility_a)
    if bound_scope(role) == Scope.REGION:
        return make_user(f"{role}_a", role, region=facility_a.region)
    return make_user(str(role), role)


@pytest.fixture
def accounts(facility_a, facility_b) -> dict[str, User]:
    """One account per role (facility roles in facility A), and facility B's agent."""
    found = {str(role): _account(role, facility_a) for role in Role}
    found["edge_agent of B"] = make_user("agent_b", Role.EDGE_AGENT, facility=facility_b)
    return found


def _token(user: User, binding: str, facilities: dict[str, Facility]) -> str:
    raw, token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=user)
    MachineToken.objects.filter(pk=token.pk).update(
        facility=facilities.get(binding))  # as a token made before the rule might be
    return raw


def _state(facility: Facility) -> tuple:
    camera = Camera.objects.get(facility=facility, code="CAM1")
    return (CameraHealth.objects.count(), CameraStateSpan.objects.count(),
            RecordingSegment.objects.count(), MarkerSighting.objects.count(), camera.name,
            camera.is_active)


def _call(write: Write, token: str):  # type: ignore[no-untyped-def]
    savepoint = transaction.savepoint()
    try:
        method = getattr(Client(), write.method)
        if write.method == "get":
            return method(write.path, HTTP_AUTHORIZATION=f"Bearer {token}"), None
        response = method(write.path, write.body(), content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}")
        return response, _state(Facility.objects.get(code="FA-1"))
    finally:
        transaction.savepoint_rollback(savepoint)


def _expected(user: User, binding: str, write: Write, facilities: dict[str, Facility]) -> str:
    """The rule: an edge-agent account, on its own facility, with a token bound to it or to
    nothing. Camera inventory: the registry editor writes, the facility side proposes."""
    own = next((label for label, facility in facilities.items()
                if facility.pk == user.facility_id), None)
    if write.camera_inventory:
        if has_capability(user, Capability.PROPOSE_CAMERA_CHANGE):
            return "propose" if own == "A" and binding in ("A", "none") else "deny"
        return "allow" if has_capability(user, Capability.EDIT_REGISTRY) \
            and binding in ("A", "none") else "deny"
    if not has_capability(user, Capability.WRITE_VIDEO):
        return "deny"
    if write.names_facility_a and own != "A":
        return "deny"
    return "allow" if binding in (own, "none") else "deny"


@pytest.mark.parametrize("key", sorted(WRITES))
def test_each_account_and_token_binding_writes_only_as_the_rule_says(accounts, facility_a,
                                                                     facility_b, key):
    write = WRITES[key]
    facilities = {"A": facility_a, "B": facility_b}
    before = _state(facility_a)
    failures = []
    for name, user in accounts.items():
        for binding in BINDINGS:
            response, after = _call(write, _token(user, binding, facilities))
            outcome = ("allow" if response.status_code in (200, 201) else
                       "propose" if response.status_code == 202 else
                       "deny" if response.status_code == 403 else
                       f"status {response.status_code}: {response.content[:200]!r}")
            if outcome in ("deny", "propose") and after is not None and after != before:
                outcome = f"{outcome}, but it wrote"
            expected = _expected(user, binding, write, facilities)
            if outcome != expected:
                failures.append(f"{name} with a token bound to {binding}: expected "
                                f"{expected}, got {outcome}")
    assert failures == [], key


def test_the_allowed_write_really_writes(accounts, facility_a):
    """The oracle for `after`: the agent's heartbeat is stored, outside a savepoint."""
    raw = _token(accounts["edge_agent"], "A", {"A": facility_a})
    response = Client().post("/api/video/heartbeats", WRITES["heartbeats"].body(),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert CameraHealth.objects.filter(camera__facility=facility_a).count() == 1


def test_a_refusal_is_audited(accounts, facility_a, facility_b):
    """The review's case: a prosecutor's token bound to a facility takes a camera out."""
    raw = _token(accounts["general_prosecutor"], "A", {"A": facility_a})
    response = Client().put("/api/registry/facilities/FA-1/cameras/CAM1",
                            {"rooms": ["R1"], "is_active": False},
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert Camera.objects.get(facility=facility_a, code="CAM1").is_active
    assert AuditEvent.objects.filter(actor=accounts["general_prosecutor"],
                                     action=AuditEvent.Action.DENIED).exists()
