"""``agent run``: config checks, and the service end to end on a clip, a recorder folder and a
loopback centre."""

# ruff: noqa: S603 - the tests start this project's own commands with fixed arguments

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from custodywatch.agent import protocol
from custodywatch.agent.config import ConfigError, load_config
from custodywatch.agent.references import ReferenceStore
from custodywatch.agent.segments import segment_span
from custodywatch.agent.service import run_agent
from tests.agent.centre_stub import TOKEN
from tests.agent.scenes import ffmpeg_path

CONFIG = """
[centre]
url = "{url}"
token_file = "token.txt"

[agent]
state_dir = "state"
report_seconds = 1
heartbeat_seconds = 1
segment_scan_seconds = 1

[[cameras]]
code = "CAM1"
url = "{video}"
pace = false
segments_dir = "{segments}"
segments_time_zone = "Asia/Almaty"
"""


def _write_config(tmp_path, **values) -> str:
    (tmp_path / "token.txt").write_text(TOKEN + "\n")
    path = tmp_path / "agent.toml"
    path.write_text(CONFIG.format(**{"url": "http://127.0.0.1:9", "video": "/v.mp4",
                                     "segments": str(tmp_path), **values}))
    return str(path)


def test_config_reads_token_and_cameras(tmp_path):
    config = load_config(_write_config(tmp_path))
    assert config.token == TOKEN
    assert config.state_dir == tmp_path / "state"
    assert [c.code for c in config.cameras] == ["CAM1"]
    assert config.report_seconds == 1.0


@pytest.mark.parametrize(("change", "field"), [
    (("url = \"http://127.0.0.1:9\"", "url = \"ftp://x\""), "centre.url"),
    (("code = \"CAM1\"", "code = \"CAM 1\""), "cameras[0].code"),
    (("report_seconds = 1", "report_seconds = -5"), "agent.report_seconds"),
    (("segments_time_zone = \"Asia/Almaty\"", "segments_time_zone = \"Mars/Olympus\""),
     "cameras[0].segments_time_zone"),
    (("token_file = \"token.txt\"", "token_file = \"missing.txt\""), "centre.token_file"),
])
def test_bad_config_names_the_file_and_field(tmp_path, change, field):
    path = _write_config(tmp_path)
    with open(path) as stream:
        text = stream.read().replace(*change)
    with open(path, "w") as stream:
        stream.write(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: {field}")
    if field != "centre.url":
        return  # one run of the real command is enough to check the exit status
    done = subprocess.run([sys.executable, "-c", "from custodywatch.cli import main; main()",
                           "agent", "run", "--config", path], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2 and field in done.stderr


def run_until(config, centre_stub, done, seconds: float = 40):  # type: ignore[no-untyped-def]
    """Run the agent until ``done(spans, recordings)`` holds at the centre (or time is up);
    stop it; what the centre applied."""
    stop = threading.Event()
    agent = threading.Thread(target=run_agent, args=(config, stop))
    agent.start()
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            with centre_stub.lock:
                spans = list(centre_stub.applied.get(protocol.STATE_SPANS, []))
                recordings = list(centre_stub.applied.get(protocol.RECORDINGS, []))
            if done(spans, recordings):
                break
            time.sleep(0.2)
    finally:
        stop.set()
        agent.join(30)
    assert not agent.is_alive()
    return spans, recordings


def test_service_reports_spans_heartbeats_and_segment_hashes(tmp_path, clips, centre_stub):
    segments = tmp_path / "nvr"
    segments.mkdir()
    segment = segments / "CAM1_20240105T100000.mp4"
    shutil.copy(clips["clean_a"], segment)
    os.utime(segment, (time.time() - 60, time.time() - 60))
    config = load_config(_write_config(tmp_path, url=centre_stub.url,
                                       video=clips["fault_moved"], segments=segments))
    spans, recordings = run_until(config, centre_stub, lambda spans, recordings: any(
        s["state"] == "moved" for s in spans) and recordings)
    moved = [s for s in spans if s["state"] == "moved"]
    assert moved and all(s["camera"] == "CAM1" for s in spans)
    assert recordings == [{
        "camera": "CAM1", "sha256": hashlib.sha256(segment.read_bytes()).hexdigest(),
        # 10:00 in Almaty, which was UTC+6 until March 2024.
        "start": "2024-01-05T04:00:00.000Z", "end": "2024-01-05T04:00:30.000Z"}]
    assert centre_stub.applied[protocol.HEARTBEATS][0]["camera"] == "CAM1"
    learned = ReferenceStore(config.references_dir).load("CAM1")
    assert learned is not None and learned.status == "learned" and learned.baseline is not None


def test_a_person_can_approve_or_replace_a_reference(tmp_path, clips):
    path = _write_config(tmp_path)
    store = ReferenceStore(load_config(path).references_dir)
    image = tmp_path / "view.png"
    subprocess.run([ffmpeg_path() or "ffmpeg", "-loglevel", "error", "-i", str(clips["clean_b"]),
                    "-frames:v", "1", str(image)], check=True)
    command = [sys.executable, "-c", "from custodywatch.cli import main; main()", "agent",
               "reference", "--config", path, "--camera", "CAM1"]
    done = subprocess.run([*command, "--set", str(image), "--by", "duty_a"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    stored = store.load("CAM1")
    assert stored.status == "approved" and stored.meta["approved_by"] == "duty_a"
    assert stored.image.shape == (180, 320)
    done = subprocess.run([*command, "--set", str(tmp_path / "token.txt"), "--by", "x"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "CAM1" in done.stderr


def test_segment_name_times_are_read_in_the_recorders_zone():
    start, _end = segment_span(Path("/nope/x_20240605-100000.mp4"), "Asia/Almaty", 0.0)
    assert dt.datetime.fromtimestamp(start, dt.UTC).hour == 5  # UTC+5 since March 2024


def test_the_agent_never_imports_django():
    done = subprocess.run([sys.executable, "-c",
                           "import sys, custodywatch.agent.cli, custodywatch.agent.service;"
                           "print(sorted(m for m in sys.modules if m.startswith('django')))"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_a_looped_file_plays_on_without_a_gap(tmp_path, centre_stub):
    """`loop = true`: a file standing in for a camera is read again from its start, its time
    going on from the last frame (even when read faster than time): no no_signal between
    rounds, spans end to end and in time order."""
    from custodywatch.demo.footage import ClipPlan, write_clip

    clip = write_clip(ClipPlan("CAM1", seed=5), tmp_path / "clip.mp4", seconds=12)
    path = _write_config(tmp_path, url=centre_stub.url, video=clip, segments=tmp_path)
    text = Path(path).read_text().replace('segments_dir = "', 'loop = true\n# "')
    Path(path).write_text(text)
    config = load_config(path)
    assert config.cameras[0].loop and config.cameras[0].segments_dir is None
    spans, _recordings = run_until(  # three rounds of the 12 s clip
        config, centre_stub, lambda spans, _r: sum(map(protocol_seconds, spans)) > 36)
    reported = sum(map(protocol_seconds, spans))
    assert reported > 36, reported
    ordered = sorted(spans, key=lambda s: s["start"])
    # Unknown while the first view is learned, then ok: never no_signal between rounds.
    assert {s["state"] for s in spans} == {"unknown", "ok"}
    assert [s["state"] for s in ordered].index("ok") > max(
        i for i, s in enumerate(ordered) if s["state"] == "unknown")
    assert all(a["end"] <= b["start"] for a, b in zip(ordered, ordered[1:], strict=False))


def protocol_seconds(span: dict) -> float:
    def parse(value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parse(span["end"]) - parse(span["start"])).total_seconds()


def test_the_loop_flag_must_be_true_or_false(tmp_path):
    path = _write_config(tmp_path)
    Path(path).write_text(Path(path).read_text().replace("pace = false", "loop = 3"))
    with pytest.raises(ConfigError, match=r"cameras\[0\]\.loop"):
        load_config(path)
