"""Custody footage kept from being overwritten, end to end against the real centre.

A complaint about facility FA-1 places a legal hold (at the centre only). The agent has hashed
three real video segments of CAM1 (a camera of a custody cell) and delivered the hashes. Then
one file is changed and one deleted on the recorder. The agent's preservation cycle, following
the centre's uniform policy (keep every custody-area segment for the complaint window), copies
what it can and reports preserved / altered / missing; the complaint's page shows it for its
held footage. The policy is the same with or without the complaint.
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
from custodywatch.registry.models import Camera, Room
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


def test_the_policy_names_no_complaint_and_is_the_same_without_one(world, people, facility_b,
                                                                   client):
    agent_a = {"Authorization": f"Bearer {world['token']}"}
    policy = client.get("/api/preservation/orders", headers=agent_a).json()
    assert policy == {"facility": "FA-1", "policy": "custody-area-v1", "keep_days": 365,
                      "cameras": ["CAM1", "CAM2"]}  # CAM1 and CAM2 see cells R1 and R2
    text = json.dumps(policy)
    assert world["complaint"].reference not in text and "hold" not in text.lower()
    # Releasing the hold changes nothing the facility reads: the hold was never in it.
    for hold in world["complaint"].legal_holds.all():
        hold.status = hold.Status.RELEASED
        hold.save(update_fields=["status"])
    assert client.get("/api/preservation/orders", headers=agent_a).json() == policy

    agent_b = make_user("agent_b", Role.EDGE_AGENT, facility=facility_b)
    raw_b, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=agent_b)
    other = client.get("/api/preservation/orders", headers={"Authorization": f"Bearer {raw_b}"})
    assert other.status_code == 200
    assert other.json() == {**policy, "facility": "FB-1"}  # the same rule, its own cameras

    # Facility B's agent cannot report on facility A's segments: 422, nothing written.
    shas = [_sha256(path) for path in world["files"]]
    report = {"items": [{"sha256": shas[0], "camera": "CAM1", "status": "missing"}]}
    refused = client.post("/api/preservation/reports", report, content_type="application/json",
                          headers={"Authorization": f"Bearer {raw_b}", "Idempotency-Key": "b1"})
    assert refused.status_code == 422 and "items[0].sha256" in refused.content.decode()
    assert not SegmentPreservation.objects.exists()

    # A person's token with no facility has no orders at all.
    raw_gpo, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["gpo"])
    denied = client.get("/api/preservation/orders", headers={"Authorization": f"Bearer {raw_gpo}"})
    assert denied.status_code == 403

    # A bad status is refused with the field named, and the valid item beside it is not kept.
    bad = {"items": [{"sha256": shas[0], "camera": "CAM1", "status": "missing"},
                     {"sha256": shas[1], "camera": "CAM1", "status": "lost"}]}
    answer = client.post("/api/preservation/reports", bad, content_type="application/json",
                         headers={**agent_a, "Idempotency-Key": "a1"})
    assert answer.status_code == 422 and "items[1].status" in answer.content.decode()
    assert not SegmentPreservation.objects.exists()


def test_the_agent_keeps_only_policy_cameras_within_the_period_and_received(world, settings):
    """Segments of a camera outside the policy, older than the period, or not yet received by
    the centre are not copied (a report on them would be refused)."""
    outbox, tmp = world["outbox"], world["tmp"]
    now = time.time()
    old = tmp / "old.mp4"
    _write_video(old, 7)
    outbox.put_segment(protocol.recording("CAM1", now - 3 * 86400, now - 3 * 86400 + 60,
                                          _sha256(old)), str(old), 1, 1.0)
    facility = Camera.objects.get(code="CAM1", facility__code="FA-1").facility
    corridor_camera = Camera.objects.create(facility=facility, code="CAM3")
    corridor_camera.rooms.add(Room.objects.get(facility=facility, code="X1"))
    corridor = tmp / "corridor.mp4"
    _write_video(corridor, 8)
    outbox.put_segment(protocol.recording("CAM3", now - 60, now, _sha256(corridor)),
                       str(corridor), 1, 1.0)
    Sender(outbox, world["url"], world["token"]).drain()
    unsent = tmp / "unsent.mp4"
    _write_video(unsent, 9)
    outbox.put_segment(protocol.recording("CAM1", now - 120, now - 60, _sha256(unsent)),
                       str(unsent), 1, 1.0)
    assert RecordingSegment.objects.filter(sha256=_sha256(corridor)).exists()
    settings.PRESERVATION_KEEP_DAYS = 2
    client_ = preservation.PreservationClient(world["url"], world["token"])
    policy = client_.policy()
    assert policy == preservation.Policy(keep_days=2, cameras=frozenset({"CAM1", "CAM2"}))
    orders = preservation.policy_orders(policy, outbox, now)
    assert [order.sha256 for order in orders] == [_sha256(path) for path in world["files"]]
    assert preservation.policy_orders(policy, outbox, now, cameras={"CAM2"}) == []
    settings.PRESERVATION_KEEP_DAYS = 5
    longer = preservation.policy_orders(client_.policy(), outbox, now)
    assert [order.sha256 for order in longer][0] == _sha256(old)
