"""A person re-approves a camera's reference in the centre's UI; the agent applies it.

End to end against the real centre (live_server): the agent sends a learned reference and a
current view (a scene render of the test clips' kind, the camera re-aimed), a regional
prosecutor looks at both and adopts the current view; the agent's next cycle replaces its
reference with exactly that image and acknowledges it. Facility staff can look but not decide.
"""

from __future__ import annotations

import base64
import hashlib

import cv2
import numpy as np
import pytest

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.accounts.services import token_create
from custodywatch.agent.reference_sync import ViewSync
from custodywatch.agent.references import APPROVED, LEARNED, ReferenceStore
from custodywatch.kernels.frames import Baseline, to_analysis_gray
from custodywatch.registry.models import CameraView, ReferenceDecision
from tests.agent.scenes import make_background
from tests.conftest import ensure_reference_data, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

VIEWS = "/video/facilities/FA-1/cameras/CAM1/views/"
BASELINE = Baseline(brightness=100, contrast=40, detail=10, sharpness=5, noise_change=1,
                    agreement=0.9)


def _png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


@pytest.fixture
def agent(live_server, people, facility_a, tmp_path):
    ensure_reference_data()
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    store = ReferenceStore(tmp_path / "references")
    scene = make_background(np.random.default_rng(7), 180, 320)
    store.save_learned("CAM1", scene, BASELINE)
    moved = np.roll(scene, 90, axis=1)  # the camera re-aimed: the same room, another angle
    store.save_current("CAM1", moved)
    return {"sync": ViewSync(live_server.url, raw, store, ["CAM1", "CAM2"]), "store": store,
            "moved": to_analysis_gray(moved)}


def test_a_prosecutor_adopts_the_current_view_and_the_agent_applies_it(agent, people, client):
    sync, store = agent["sync"], agent["store"]
    assert sync.cycle() == []
    view = CameraView.objects.get(camera__code="CAM1")
    assert view.reference_status == LEARNED
    assert bytes(view.reference_png) == store.png("CAM1")
    assert bytes(view.current_png) == store.current_png("CAM1")

    # The facility head sees both pictures but may not decide for his own camera.
    head = sign_in(client, people["head_a"])
    page = head.get(VIEWS)
    assert page.status_code == 200 and b'name="reason"' not in page.content
    assert head.get("/video/facilities/FA-1/cameras/CAM1/current.png").content == bytes(
        view.current_png)
    refused = head.post(VIEWS, {"kind": "adopt_current", "reason": "re-aimed"})
    assert refused.status_code == 403
    assert not ReferenceDecision.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_type="registry.camera").exists()
    client.logout()

    # Another facility's head finds no such camera.
    assert sign_in(client, people["head_b"]).get(VIEWS).status_code == 404
    client.logout()

    prosecutor = sign_in(client, people["prosecutor_a"])
    assert prosecutor.post(VIEWS, {"kind": "adopt_current", "reason": ""}).status_code == 400
    done = prosecutor.post(VIEWS, {"kind": "adopt_current",
                                   "reason": "Camera re-aimed on purpose, work order 17"})
    assert done.status_code == 302
    decision = ReferenceDecision.objects.get()
    assert decision.image_sha256 == hashlib.sha256(bytes(view.current_png)).hexdigest()

    applied = sync.cycle()
    assert applied == [decision.pk]
    reference = store.load("CAM1")
    assert reference.status == APPROVED and reference.meta["approved_by"] == "prosecutor_a"
    assert np.array_equal(reference.image, agent["moved"])
    decision.refresh_from_db()
    assert decision.applied_at is not None
    view.refresh_from_db()
    assert view.reference_status == APPROVED
    assert bytes(view.reference_png) == store.png("CAM1")
    assert sync.cycle() == []  # applied once, never again


def test_relearn_drops_the_reference_and_bad_images_are_refused(agent, people, client):
    sync, store = agent["sync"], agent["store"]
    sync.cycle()
    sign_in(client, people["gpo"]).post(VIEWS, {"kind": "relearn", "reason": "new lens"})
    assert sync.cycle() == [ReferenceDecision.objects.get().pk]
    assert store.load("CAM1") is None  # the worker learns a new one from the stream

    answer = client.post("/api/references/sync", {"cameras": [
        {"camera": "CAM1", "current_png": base64.b64encode(b"not a png").decode()},
        {"camera": "NOPE", "current_png": None}]}, content_type="application/json",
        headers={"Authorization": f"Bearer {sync.token}"})
    assert answer.status_code == 422
    body = answer.content.decode()
    assert "cameras[0].current_png" in body and "cameras[1].camera" in body
