"""Perceptual fingerprints and ``custodywatch evidence match`` (issue 20 item 6), on real
footage rendered with OpenCV and encoded, re-encoded, rescaled, cropped and cut by ffmpeg.

The kernel tests match copies against fingerprints the agent's code computed from the
recorded segments; the end-to-end test runs the agent against the live centre (and the real
SeaweedFS, which the escrow API needs), then the command on the centre's database."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.accounts.services import token_create
from custodywatch.agent import segments
from custodywatch.agent.config import EscrowConfig
from custodywatch.agent.escrow_upload import CentreClient, EscrowQueue, Uploader
from custodywatch.agent.fingerprints import clip_fingerprints, video_fingerprints
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.sender import Sender
from custodywatch.escrow.models import SegmentFingerprint
from custodywatch.kernels.fingerprint import (
    CLIP_STEP,
    REFERENCE_STEP,
    Reference,
    hashes_from_hex,
    hashes_to_hex,
    match_clip,
)
from custodywatch.ledger import db_guards
from custodywatch.ledger.models import LeafKind, PendingLeaf
from custodywatch.registry.models import Camera, Room
from tests.conftest import ensure_reference_data, make_user
from tests.escrow.footage import render, transcode

BASE = 1_780_000_000.0  # the recorded segments' start, epoch seconds
SEGMENT = 20  # seconds per recorded segment


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, object]:
    """Camera A: three consecutive 20 s segments of one room; camera B: another room."""
    folder = tmp_path_factory.mktemp("footage")
    parts = [render(folder / f"a{k}.mp4", seed=11, start=SEGMENT * k, seconds=SEGMENT)
             for k in range(3)]
    other = render(folder / "b0.mp4", seed=23, start=0, seconds=2 * SEGMENT)
    (folder / "list.txt").write_text("".join(f"file '{part.name}'\n" for part in parts))
    whole = folder / "whole.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",  # noqa: S603, S607
                    "-i", str(folder / "list.txt"), "-c", "copy", str(whole)], check=True)
    references = []
    for k, part in enumerate(parts):
        _times, hashes, duration = video_fingerprints(part, REFERENCE_STEP)
        start = BASE + SEGMENT * k
        references.append(Reference("CAM-A", f"a{k}", start, start + duration,
                                    REFERENCE_STEP, hashes))
    _times, hashes, duration = video_fingerprints(other, REFERENCE_STEP)
    references.append(Reference("CAM-B", "b0", BASE, BASE + duration, REFERENCE_STEP, hashes))
    return {"folder": folder, "parts": parts, "whole": whole, "references": references}


def _match(path: Path, references):
    times, hashes, _duration, spacing = clip_fingerprints(path, CLIP_STEP)
    return match_clip(times, hashes, references, clip_step=spacing)


def test_fingerprints_travel_as_hex_and_come_back_unchanged(footage):
    hashes = footage["references"][0].hashes
    assert len(hashes) == SEGMENT  # one per second
    assert (hashes_from_hex(hashes_to_hex(hashes)) == hashes).all()
    with pytest.raises(ValueError, match="16 lowercase hex"):
        hashes_from_hex("0123")


def test_a_reencoded_rescaled_slightly_cropped_copy_matches_its_camera_and_minutes(footage):
    copy = transcode(footage["whole"], footage["folder"] / "copy.mp4", width=426,
                     bitrate="150k", crop=0.02)
    result = _match(copy, footage["references"])
    assert [m.segment for m in result.matches] == ["a0", "a1", "a2"]
    assert {m.camera for m in result.matches} == {"CAM-A"}
    for k, found in enumerate(result.matches):
        # Each segment's recorded seconds, to within a second, at the same place in the copy.
        assert found.recorded_start - BASE == pytest.approx(SEGMENT * k, abs=1.0)
        assert found.recorded_end - BASE == pytest.approx(SEGMENT * (k + 1), abs=1.0)
        assert found.clip_start == pytest.approx(SEGMENT * k, abs=1.0)
        assert found.similarity > 0.8
    assert not result.cuts
    assert not result.unmatched
    assert result.matched_samples > 0.8 * result.samples


def test_a_partial_copy_of_one_segment_matches_that_segment_only(footage):
    copy = transcode(footage["parts"][1], footage["folder"] / "part.mp4", width=320,
                     bitrate="100k", crop=0.01)
    result = _match(copy, footage["references"])
    assert [m.segment for m in result.matches] == ["a1"]
    assert result.matches[0].recorded_start - BASE == pytest.approx(SEGMENT, abs=1.0)


def test_a_different_scene_matches_nothing(footage):
    stranger = render(footage["folder"] / "stranger.mp4", seed=37, start=0, seconds=30)
    result = _match(stranger, footage["references"])
    assert result.matches == []
    assert result.matched_samples == 0
    assert result.unmatched == [(0.0, pytest.approx(30.0, abs=0.5))]


def test_a_copy_with_minutes_cut_out_reports_the_gap(footage):
    cut = transcode(footage["whole"], footage["folder"] / "cut.mp4", width=480,
                    bitrate="200k", cut=(25.0, 40.0))
    result = _match(cut, footage["references"])
    assert len(result.cuts) == 1
    gap = result.cuts[0]
    assert gap.camera == "CAM-A"
    assert gap.clip_at == pytest.approx(25.0, abs=1.0)
    assert gap.missing_start - BASE == pytest.approx(25.0, abs=1.0)
    assert gap.missing_end - BASE == pytest.approx(40.0, abs=1.0)
    # What remains still matches, segment by segment: a0, the start of a1, all of a2.
    assert [m.segment for m in result.matches] == ["a0", "a1", "a2"]
    assert result.matches[2].clip_start == pytest.approx(25.0, abs=1.0)


def test_a_partially_corrupted_copy_still_matches_what_survives(footage):
    copy = transcode(footage["whole"], footage["folder"] / "damaged.mp4", width=426,
                     bitrate="300k")
    data = bytearray(copy.read_bytes())
    middle = len(data) // 2
    data[middle:middle + len(data) // 8] = bytes(len(data) // 8)  # an eighth zeroed
    damaged = footage["folder"] / "damaged-bytes.mp4"
    damaged.write_bytes(bytes(data))
    result = _match(damaged, footage["references"])
    assert {m.camera for m in result.matches} == {"CAM-A"}
    assert result.matches[0].segment == "a0"
    assert result.matched_samples > 0.4 * result.samples


# ------------------------------------------------------------- key frames only (recorder GOP)


@pytest.fixture(scope="module")
def recorder_footage(tmp_path_factory) -> dict[str, object]:
    """Camera A as a recorder writes it: a key frame every 2 s (16 frames at 8 fps)."""
    folder = tmp_path_factory.mktemp("recorder")
    parts = [render(folder / f"k{k}.mp4", seed=11, start=SEGMENT * k, seconds=SEGMENT, gop=16)
             for k in range(3)]
    (folder / "list.txt").write_text("".join(f"file '{part.name}'\n" for part in parts))
    whole = folder / "whole.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",  # noqa: S603, S607
                    "-i", str(folder / "list.txt"), "-c", "copy", str(whole)], check=True)
    references = []
    for k, part in enumerate(parts):
        _times, hashes, duration = video_fingerprints(part, REFERENCE_STEP)
        start = BASE + SEGMENT * k
        references.append(Reference("CAM-A", f"a{k}", start, start + duration,
                                    REFERENCE_STEP, hashes))
    return {"folder": folder, "whole": whole, "references": references}


def test_a_copied_recorder_stream_is_hashed_at_its_key_frames_which_the_agent_hashed_too(
        recorder_footage):
    times, hashes, duration, spacing = clip_fingerprints(recorder_footage["whole"], CLIP_STEP)
    # Key frames only: one each 2 s, not one each 0.25 s.
    assert times.tolist() == [float(t) for t in range(0, 3 * SEGMENT, 2)]
    assert spacing == 2.0 and duration == pytest.approx(3 * SEGMENT)
    # The same frames as the recorded side's (the first frame at or after each second),
    # decoded alike: the hashes are the recorded ones, bit for bit.
    recorded = [int(h) for ref in recorder_footage["references"] for h in ref.hashes]
    assert [int(h) for h in hashes] == [recorded[int(t)] for t in times]


@pytest.mark.parametrize("copy", ["reencoded", "trimmed", "cut", "corrupted"])
def test_key_frame_matching_of_reencoded_trimmed_cut_and_corrupted_copies(recorder_footage,
                                                                          copy):
    folder, whole = recorder_footage["folder"], recorder_footage["whole"]
    if copy == "reencoded":
        clip = transcode(whole, folder / "re.mp4", width=426, bitrate="150k", crop=0.02, gop=24)
    elif copy == "trimmed":
        clip = transcode(whole, folder / "trim.mp4", width=480, bitrate="200k",
                         trim=(13.0, 47.0), gop=24)
    elif copy == "cut":
        clip = transcode(whole, folder / "cut.mp4", width=480, bitrate="200k",
                         cut=(25.0, 40.0), gop=24)
    else:
        source = transcode(whole, folder / "dmg.mp4", width=426, bitrate="300k", gop=24)
        data = bytearray(source.read_bytes())
        middle = len(data) // 2
        data[middle:middle + len(data) // 8] = bytes(len(data) // 8)
        clip = folder / "dmg-bytes.mp4"
        clip.write_bytes(bytes(data))
    times, _hashes, _duration, spacing = clip_fingerprints(clip, CLIP_STEP)
    assert spacing == pytest.approx(2.0)  # sampled at the copy's own key frames (24 at 12 fps)
    result = _match(clip, recorder_footage["references"])
    segments = [m.segment for m in result.matches]
    if copy == "reencoded":
        assert segments == ["a0", "a1", "a2"] and not result.cuts and not result.unmatched
        for k, found in enumerate(result.matches):
            assert found.recorded_start - BASE == pytest.approx(SEGMENT * k, abs=1.0)
            assert found.recorded_end - BASE == pytest.approx(SEGMENT * (k + 1), abs=1.0)
            assert found.similarity > 0.8
    elif copy == "trimmed":  # recorded 13..47 s: the end of a0, all of a1, the start of a2
        assert segments == ["a0", "a1", "a2"] and not result.cuts
        assert result.matches[0].recorded_start - BASE == pytest.approx(13.0, abs=1.0)
        assert result.matches[0].clip_start == pytest.approx(0.0, abs=0.5)
        assert result.matches[-1].recorded_end - BASE == pytest.approx(47.0, abs=1.0)
    elif copy == "cut":  # recorded 25..40 s removed: found within a key-frame spacing
        assert len(result.cuts) == 1
        gap = result.cuts[0]
        assert gap.missing_start - BASE == pytest.approx(25.0, abs=spacing)
        assert gap.missing_end - BASE == pytest.approx(40.0, abs=spacing)
        assert segments == ["a0", "a1", "a2"]
    else:
        assert {m.camera for m in result.matches} == {"CAM-A"}
        assert segments[0] == "a0" and segments[-1] == "a2"
        assert result.matched_samples > 0.6 * result.samples
    assert result.samples == len(times)


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def empty_ledger_after():
    yield
    db_guards.reset_ledger_tables(connection)


@pytest.fixture
def agent_world(escrow, live_server, people, facility_a, facility_b, tmp_path, footage,
                empty_ledger_after):
    ensure_reference_data()
    room = Room.objects.create(facility=facility_a, code="I1", name="Interrogation 1",
                               kind=Room.Kind.INTERROGATION, custody_use=True)
    camera = Camera.objects.create(facility=facility_a, recorder=facility_a.recorders.first(),
                                   code="CAMI")
    camera.rooms.add(room)
    recorder = tmp_path / "recorder" / "CAMI"
    recorder.mkdir(parents=True)
    start = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    for k, part in enumerate(footage["parts"]):
        at = start + dt.timedelta(seconds=SEGMENT * k)
        (recorder / f"CAMI_{at:%Y%m%dT%H%M%S}.mp4").write_bytes(part.read_bytes())
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    return {"url": live_server.url, "token": raw, "recorder": recorder, "start": start,
            "state": tmp_path / "state"}


def _agent(world, token: str | None = None) -> Uploader:
    outbox = Outbox(world["state"] / "outbox.sqlite3")
    segments.scan(segments.SegmentWatch("CAMI", world["recorder"], "*.mp4", "UTC",
                                        settle_seconds=0), outbox, now=9e9)
    Sender(outbox, world["url"], world["token"]).drain()
    return Uploader(outbox, EscrowQueue(world["state"] / "escrow.sqlite3"),
                    CentreClient(world["url"], token or world["token"]), EscrowConfig(),
                    {world["recorder"]: "CAMI"})


def _evidence_match(*args: str) -> list[dict]:
    out = StringIO()
    call_command("evidence", "match", *args, "--json", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_agent_fingerprints_its_segments_and_evidence_match_finds_a_copy(
        agent_world, footage):
    uploader = _agent(agent_world)
    assert uploader.fingerprint_round() == {"fingerprinted": 3, "waiting": 0}
    assert uploader.fingerprint_round() == {"fingerprinted": 0, "waiting": 0}  # all done
    stored = SegmentFingerprint.objects.filter(camera__code="CAMI").order_by("started_at")
    assert stored.count() == 3
    assert {row.step_ms for row in stored} == {1000}
    assert len(bytes(stored[0].hashes)) == 8 * SEGMENT
    leaves = PendingLeaf.objects.filter(kind=LeafKind.SEGMENT_FINGERPRINT)
    assert sorted(leaves.values_list("sha256", flat=True)) == sorted(
        stored.values_list("segment__sha256", flat=True))

    copy = transcode(footage["whole"], footage["folder"] / "e2e-copy.mp4", width=426,
                     bitrate="150k", crop=0.02)
    lines = _evidence_match(str(copy))
    matches = [line for line in lines if "segment" in line]
    summary = lines[-1]
    assert summary["summary"] is True and summary["segments"] == 3
    assert [m["camera"] for m in matches] == ["CAMI"] * 3
    start = agent_world["start"]
    first = dt.datetime.fromisoformat(matches[0]["recorded_start"])
    last = dt.datetime.fromisoformat(matches[-1]["recorded_end"])
    assert abs((first - start).total_seconds()) <= 1.0
    assert abs((last - start).total_seconds() - 3 * SEGMENT) <= 1.0
    assert AuditEvent.objects.filter(object_type="evidence.match").exists()

    # Restricted to another camera: no match, exit 1. An unknown camera or file: exit 2.
    with pytest.raises(CommandError) as none:
        _evidence_match(str(copy), "--camera", "CAM1")
    assert none.value.returncode == 1
    with pytest.raises(CommandError) as bad:
        _evidence_match(str(copy), "--camera", "NOPE")
    assert bad.value.returncode == 2
    with pytest.raises(CommandError) as missing:
        _evidence_match(str(footage["folder"] / "absent.mp4"))
    assert missing.value.returncode == 2
    # Limited to recorded time after the footage: nothing to match (1); a bad time: 2.
    later = (start + dt.timedelta(hours=1)).isoformat()
    with pytest.raises(CommandError) as after:
        _evidence_match(str(copy), "--from", later)
    assert after.value.returncode == 1
    assert len(_evidence_match(str(copy), "--until", later)) == len(lines)
    with pytest.raises(CommandError) as bad_time:
        _evidence_match(str(copy), "--from", "yesterday")
    assert bad_time.value.returncode == 2 and "--from" in str(bad_time.value)


def test_fingerprints_of_another_facility_or_bad_hashes_are_refused(agent_world, facility_b):
    _agent(agent_world).queue.close()
    other = make_user("agent_b", Role.EDGE_AGENT, facility=facility_b)
    raw_b, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=other)
    segment_sha = Camera.objects.get(code="CAMI").recording_segments.first().sha256
    item = {"camera": "CAMI", "sha256": segment_sha, "step_ms": 1000, "hashes": "0" * 32}
    answer = CentreClient(agent_world["url"], raw_b).call(
        "/api/escrow/fingerprints", {"items": [item]})
    assert answer["items"] == [{"sha256": segment_sha, "status": "refused"}]
    from custodywatch.agent.sender import DeliveryError

    with pytest.raises(DeliveryError, match="HTTP 422"):
        CentreClient(agent_world["url"], agent_world["token"]).call(
            "/api/escrow/fingerprints", {"items": [item | {"hashes": "xyz"}]})
    assert not SegmentFingerprint.objects.exists()
