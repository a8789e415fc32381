"""The classifier on real H.264 clips: every injected fault found, boundaries within 3 s,
no false fault on clean clips with people walking and the lights changing; `unknown`
while a camera's baseline is learned."""

# ruff: noqa: S603 - the tests start this project's own commands with fixed arguments

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import pytest

from custodywatch.agent.analysis import LEARN_SAMPLES
from custodywatch.agent.analyze import BadInput, analyze_video
from tests.agent.scenes import FAULTS, ClipSpec, Fault, ffmpeg_path, write_clip
from tests.conftest import require_or_skip

TOLERANCE = 3.0
# Learning takes LEARN_SAMPLES key frames (one a second, the first at 0 s): the last of them is
# judged, and ok is taken from it on.
LEARNED_AT = float(LEARN_SAMPLES - 1)


def _assert_covers(spans, duration: float) -> None:
    assert spans[0].start == 0.0
    assert spans[-1].end == pytest.approx(duration, abs=0.01)
    for before, after in zip(spans, spans[1:], strict=False):
        assert before.end == after.start, "spans must touch: no gap, no overlap"
        assert before.state != after.state, "touching spans of one state are merged"


@pytest.mark.parametrize("name", ["clean_a", "clean_b"])
def test_clean_clips_are_unknown_while_learning_then_ok_throughout(clips, name):
    # Before, the learning seconds were judged afterwards, with what they taught, and came
    # out "ok": covered time nobody had judged.
    result = analyze_video(str(clips[name]))
    assert [(s.start, s.end, s.state) for s in result.spans] == [
        (0.0, LEARNED_AT, "unknown"), (LEARNED_AT, 30.0, "ok")]


@pytest.mark.parametrize("state", FAULTS)
def test_each_injected_fault_is_found_within_three_seconds(clips, clip_specs, state):
    truth = clip_specs[f"fault_{state}"].faults[0]
    result = analyze_video(str(clips[f"fault_{state}"]))
    _assert_covers(result.spans, 30.0)
    faults = [s for s in result.spans if s.state not in ("ok", "unknown")]
    assert [s.state for s in faults] == [state]
    assert faults[0].start == pytest.approx(truth.start, abs=TOLERANCE)
    assert faults[0].end == pytest.approx(truth.end, abs=TOLERANCE)


def _dim_still_720p(**kwargs) -> ClipSpec:
    """A recorder's main stream of a dim cell: 1280x720, x264 veryfast (CABAC, B-frames), the
    lights at half from the start, one person who walks while the camera learns and then
    stands still. Shrunk to 320x180 its sensor noise is under a level."""
    return ClipSpec(seed=1, seconds=18, fps=5, width=1280, height=720, people=1,
                    walk_until=8.0, lights_gain=0.5, lights_at=-1.0, **kwargs)


@pytest.fixture(scope="module")
def dim_still_clips(tmp_path_factory) -> dict[str, str]:
    require_or_skip(ffmpeg_path() is not None, "ffmpeg is not installed")
    directory = tmp_path_factory.mktemp("dim_still")
    specs = [_dim_still_720p(name="dim_still"),
             _dim_still_720p(name="dim_still_frozen", faults=(Fault("frozen", 10.0, 15.0),))]
    return {spec.name: str(write_clip(spec, directory, preset="veryfast")) for spec in specs}


def test_a_dim_still_720p_room_is_not_frozen(dim_still_clips):
    # A fixed change level of 4 saw only the person's motion as proof of life: once they
    # stood still the picture "froze". The level is learned from the camera's own noise.
    result = analyze_video(dim_still_clips["dim_still"])
    assert [(s.start, s.end, s.state) for s in result.spans] == [
        (0.0, LEARNED_AT, "unknown"), (LEARNED_AT, 18.0, "ok")]


def test_a_frozen_picture_in_the_same_dim_720p_room_is_found(dim_still_clips):
    result = analyze_video(dim_still_clips["dim_still_frozen"])
    _assert_covers(result.spans, 18.0)
    faults = [s for s in result.spans if s.state not in ("ok", "unknown")]
    assert [s.state for s in faults] == ["frozen"]
    assert faults[0].start == pytest.approx(10.0, abs=TOLERANCE)
    assert faults[0].end == pytest.approx(15.0, abs=TOLERANCE)


def test_a_gap_in_the_stream_is_no_signal(clips, clip_specs):
    gap_start, gap_end = clip_specs["gap"].gap
    result = analyze_video(str(clips["gap"]))
    _assert_covers(result.spans, 30.0)
    assert [s.state for s in result.spans] == ["unknown", "ok", "no_signal", "ok"]
    assert result.spans[2].start == pytest.approx(gap_start, abs=TOLERANCE)
    assert result.spans[2].end == pytest.approx(gap_end, abs=TOLERANCE)


def test_only_key_frames_are_decoded(clips):
    result = analyze_video(str(clips["clean_a"]))
    # 150 frames at 5 fps with a key frame a second: 30 decoded, not 150.
    assert result.frames_decoded == 30
    assert result.frames_analysed == 30


def test_an_approved_reference_finds_a_camera_that_starts_turned_away(clips, tmp_path):
    # The moved clip's first seconds are the right view; a clip of another room is not.
    reference = tmp_path / "reference.png"
    first = analyze_video(str(clips["fault_moved"]))
    assert [s.state for s in first.spans[:2]] == ["unknown", "ok"]
    capture = cv2.VideoCapture(str(clips["clean_b"]))
    ok, frame = capture.read()
    capture.release()
    assert ok
    cv2.imwrite(str(reference), frame)
    from custodywatch.agent.analyze import load_reference

    result = analyze_video(str(clips["fault_moved"]), load_reference(str(reference)))
    # Unknown while the noise and detail measures are learned against it, then moved.
    assert [s.state for s in result.spans] == ["unknown", "moved"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from custodywatch.cli import main; main()",
                           "agent", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_cli_json_lines_follow_the_contract(clips):
    done = _cli("analyze", str(clips["fault_covered"]), "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    spans, summary = lines[:-1], lines[-1]
    assert [set(span) for span in spans] == [{"start", "end", "state"}] * len(spans)
    assert [span["state"] for span in spans] == ["unknown", "ok", "covered", "ok"]
    assert spans[0]["start"] == 0.0 and spans[-1]["end"] == 30.0
    assert all(a["end"] == b["start"] for a, b in zip(spans, spans[1:], strict=False))
    assert summary["summary"] is True
    assert summary["frames_decoded"] == 30 and summary["frames_analysed"] == 30
    assert summary["seconds"] > 0


@pytest.mark.parametrize(("args", "named"), [
    (["analyze", "/no/such/video.mp4"], "/no/such/video.mp4"),
    (["analyze", "{pyproject}"], "pyproject.toml"),
    (["analyze", "{clip}", "--reference", "/no/such.png"], "--reference"),
    (["analyze"], "VIDEO"),
])
def test_cli_bad_input_exits_2_naming_the_file(clips, args, named):
    args = [a.format(pyproject="pyproject.toml", clip=clips["clean_a"]) for a in args]
    done = _cli(*args)
    assert done.returncode == 2
    assert named in done.stderr
    assert done.stdout == ""


def test_a_text_file_is_bad_input_not_a_crash(tmp_path):
    bogus = tmp_path / "camera.mp4"
    bogus.write_bytes(b"\x00\x01 not a video" * 100)
    with pytest.raises(BadInput, match="camera.mp4"):
        analyze_video(str(bogus))
