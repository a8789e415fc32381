"""Held footage kept from being overwritten, end to end against the real centre.

A complaint about facility FA-1 places a legal hold. The agent has hashed three real video
segments of CAM1 and delivered the hashes. Then one file is changed and one deleted on the
recorder. The agent's preservation cycle copies what it can and reports preserved / altered /
missing; the complaint's page shows it. The orders never name the complaint or the hold.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_create
from custodywatch.agent import preservation, protocol
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.sender import Sender
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel, SegmentPreservation
from custodywatch.video.models import RecordingSegment
from tests.conftest import ensure_reference_data, make_user, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

TORTURE_TEXT = "They beat me in the cell at night and threatened me."


def _write_video(path: Path, seed: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5, (64, 48))
    rng = np.random.default_rng(seed)
    for _ in range(10):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def world(live_server, people, facility_a, facility_b, tmp_path, settings):
    ensure_reference_data()
    settings.MEDIA_ROOT = tmp_path / "media"
    filed = complaints.complaint_file(acting_user=None, origin=SYSTEM_ORIGIN,
                                      channel=Channel.WEB, text=TORTURE_TEXT,
                                      facility=facility_a, region=None)
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    recorder = tmp_path / "recorder"
    recorder.mkdir()
    outbox = Outbox(tmp_path / "state" / "outbox.sqlite3")
    start = time.time() - 3600
    files = []
    for number in range(3):
        path = recorder / f"CAM1_{number}.mp4"
        _write_video(path, number)
        outbox.put_segment(protocol.recording("CAM1", start + 60 * number,
                                              start + 60 * (number + 1), _sha256(path)),
                           str(path), path.stat().st_size, path.stat().st_mtime)
        files.append(path)
    Sender(outbox, live_server.url, raw).drain()
    assert RecordingSegment.objects.filter(camera__code="CAM1").count() == 3
    return {"complaint": filed.complaint, "token": raw, "outbox": outbox, "files": files,
            "url": live_server.url, "tmp": tmp_path}


def test_the_agent_keeps_held_footage_and_reports_changes(world, people, client):
    files = world["files"]
    originals = [_sha256(path) for path in files]
    files[1].write_bytes(files[1].read_bytes() + b"tampered")
    files[2].unlink()

    client_ = preservation.PreservationClient(world["url"], world["token"])
    store = preservation.PreservationStore(world["tmp"] / "state" / "preserved")
    counts = preservation.preservation_cycle(client_, world["outbox"], store)
    assert (counts["preserved"], counts["altered"], counts["missing"]) == (1, 1, 1)
    assert counts["reported"] == 3

    stored = {p.segment.sha256: p for p in SegmentPreservation.objects.select_related("segment")}
    assert stored[originals[0]].status == SegmentPreservation.Status.PRESERVED
    assert stored[originals[1]].status == SegmentPreservation.Status.ALTERED
    assert stored[originals[1]].reported_sha256 == _sha256(files[1])
    assert stored[originals[2]].status == SegmentPreservation.Status.MISSING
    kept = world["tmp"] / "state" / "preserved" / "CAM1" / f"{originals[0]}.mp4"
    assert _sha256(kept) == originals[0]
    altered_copy = list(kept.parent.glob(f"{originals[1]}.altered-*"))
    assert len(altered_copy) == 1 and _sha256(altered_copy[0]) == _sha256(files[1])

    # The recorder overwrites the preserved file: the copy is untouched, nothing is re-sent.
    files[0].write_bytes(b"overwritten by retention")
    again = preservation.preservation_cycle(client_, world["outbox"], store)
    assert (again["already"], again["reported"]) == (2, 0)
    assert _sha256(kept) == originals[0]

    page = sign_in(client, people["prosecutor_a"]).get(f"/complaints/{world['complaint'].pk}/")
    summary = page.content.decode()
    assert "altered since recorded" in summary and "missing" in summary
    store.close()


def test_orders_name_no_complaint_and_only_the_tokens_own_facility(world, people, facility_b,
                                                                  client):
    orders = client.get("/api/preservation/orders",
                        headers={"Authorization": f"Bearer {world['token']}"}).json()
    assert {order["camera"] for order in orders["orders"]} == {"CAM1"}
    assert len(orders["orders"]) == 3
    text = json.dumps(orders)
    assert world["complaint"].reference not in text and "hold" not in text.lower()

    agent_b = make_user("agent_b", Role.EDGE_AGENT, facility=facility_b)
    raw_b, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=agent_b)
    other = client.get("/api/preservation/orders", headers={"Authorization": f"Bearer {raw_b}"})
    assert other.status_code == 200 and other.json()["orders"] == []

    # Facility B's agent cannot report on facility A's segments: 422, nothing written.
    report = {"items": [{"sha256": orders["orders"][0]["sha256"], "camera": "CAM1",
                         "status": "missing"}]}
    refused = client.post("/api/preservation/reports", report, content_type="application/json",
                          headers={"Authorization": f"Bearer {raw_b}", "Idempotency-Key": "b1"})
    assert refused.status_code == 422 and "items[0].sha256" in refused.content.decode()
    assert not SegmentPreservation.objects.exists()

    # A person's token with no facility has no orders at all.
    raw_gpo, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["gpo"])
    denied = client.get("/api/preservation/orders", headers={"Authorization": f"Bearer {raw_gpo}"})
    assert denied.status_code == 403

    # A bad status is refused with the field named, and the valid item beside it is not kept.
    bad = {"items": [{"sha256": orders["orders"][0]["sha256"], "camera": "CAM1",
                      "status": "missing"},
                     {"sha256": orders["orders"][1]["sha256"], "camera": "CAM1",
                      "status": "lost"}]}
    answer = client.post("/api/preservation/reports", bad, content_type="application/json",
                         headers={"Authorization": f"Bearer {world['token']}",
                                  "Idempotency-Key": "a1"})
    assert answer.status_code == 422 and "items[1].status" in answer.content.decode()
    assert not SegmentPreservation.objects.exists()


def test_a_released_hold_leaves_only_the_routine_sample(world, settings):
    settings.PRESERVATION_SAMPLE_PERCENT = 0
    client_ = preservation.PreservationClient(world["url"], world["token"])
    assert len(client_.orders()) == 3
    for hold in world["complaint"].legal_holds.all():
        hold.status = hold.Status.RELEASED
        hold.save(update_fields=["status"])
    assert client_.orders() == []
    settings.PRESERVATION_SAMPLE_PERCENT = 100
    assert len(client_.orders()) == 3  # the sample alone still asks for recent footage
