"""The demo's real edge agent: rendered footage the agent judges, a configuration it loads
with a token of the facility's agent account, and the stand-in leaving its cameras alone."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_authenticate
from custodywatch.agent.config import load_config
from custodywatch.demo import edge_agent
from custodywatch.demo.footage import ClipPlan, write_clip
from custodywatch.registry.models import Camera, Room
from custodywatch.video.demo import demo_tick
from custodywatch.video.models import CameraHealth, RecordingRun, SignalStatus
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fault", ["", "covered", "black"])
def test_rendered_footage_is_judged_as_drawn(tmp_path, fault):
    clip = write_clip(ClipPlan("CAM1", seed=3, fault=fault), tmp_path / "clip.mp4", seconds=20)
    done = subprocess.run([sys.executable, "-m", "custodywatch.cli", "agent", "analyze",
                           str(clip), "--json"], capture_output=True, text=True, timeout=120,
                          check=True)
    spans = [json.loads(line) for line in done.stdout.splitlines()][:-1]
    # A working camera is unknown while its view is learned; a flat covered or black
    # picture needs no baseline to be judged.
    states = [span["state"] for span in spans]
    assert states == (["unknown", "ok"] if not fault else [fault])
    assert spans[0]["start"] == 0.0 and spans[-1]["end"] == pytest.approx(20.0, abs=0.5)


@pytest.mark.parametrize("fault", ["", "covered"])
def test_rendered_footage_shows_its_rooms_markers_unless_the_lens_is_covered(tmp_path, fault):
    clip = write_clip(ClipPlan("CAM1", seed=4, fault=fault, markers=(17, 0)),
                      tmp_path / "clip.mp4", seconds=12)
    done = subprocess.run([sys.executable, "-m", "custodywatch.cli", "agent", "analyze",
                           str(clip), "--json"], capture_output=True, text=True, timeout=120,
                          check=True)
    markers = [line for line in map(json.loads, done.stdout.splitlines()) if "marker" in line]
    if fault:
        assert markers == []  # a covered camera proves no room
    else:
        assert [(m["marker"], m["first"]) for m in markers] == [(0, 0.0), (17, 0.0)]
        # Decoded in (nearly) every key frame: the person walking below may brush a sheet.
        assert all(m["last"] >= 10.0 and m["seen"] >= 0.9 for m in markers)


def test_prepare_renders_each_cameras_room_marker(tmp_path, facility_a):
    for code, marker in (("R1", 5), ("R2", 6)):
        Room.objects.filter(facility=facility_a, code=code).update(marker_id=marker)
    make_user("agent-fa-1", Role.EDGE_AGENT, facility=facility_a)
    prepared = edge_agent.prepare(centre_url="http://127.0.0.1:9", folder=tmp_path, seconds=3)
    assert prepared is not None
    assert edge_agent.room_markers(prepared.camera_ids) == {prepared.camera_ids[0]: (5,),
                                                            prepared.camera_ids[1]: (6,)}
    clips = sorted((tmp_path / "footage").glob("*.mp4"))
    assert [clip.name for clip in clips] == ["CAM1-ok-1-m5.mp4", "CAM2-covered-2-m6.mp4"]
    # What the agent will find in them: CAM1 proves R1 by its marker, the covered CAM2 none.
    found = {}
    for clip in clips:
        done = subprocess.run([sys.executable, "-m", "custodywatch.cli", "agent", "analyze",
                               str(clip), "--json"], capture_output=True, text=True,
                              timeout=120, check=True)
        found[clip.name[:4]] = [line["marker"] for line in map(json.loads,
                                done.stdout.splitlines()) if "marker" in line]
    assert found == {"CAM1": [5], "CAM2": []}
    assert load_config(prepared.config_path).markers_every == 5


def test_prepare_writes_a_config_the_agent_loads_with_its_facility_token(tmp_path, facility_a):
    assert edge_agent.prepare(centre_url="http://127.0.0.1:9", folder=tmp_path) is None
    make_user("agent-fa-1", Role.EDGE_AGENT, facility=facility_a)
    prepared = edge_agent.prepare(centre_url="http://127.0.0.1:9", folder=tmp_path, seconds=3)
    assert prepared is not None and prepared.facility == facility_a
    assert prepared.cameras == [("CAM1", ""), ("CAM2", "covered")]
    config = load_config(prepared.config_path)
    assert config.facility == "FA-1" and all(camera.loop for camera in config.cameras)
    token = token_authenticate(config.token)
    assert token is not None and token.user.username == "agent-fa-1"  # its own account
    assert token.user.facility == facility_a
    assert prepared.config_path.stat().st_mode & 0o077 == 0  # the token is not for others


def test_the_stand_in_leaves_the_real_agents_cameras_to_it(facility_a):
    then = timezone.now() - dt.timedelta(minutes=1)
    cameras = list(Camera.objects.filter(facility=facility_a).order_by("code"))
    for camera in cameras:
        CameraHealth.objects.create(camera=camera, status=SignalStatus.LIVE,
                                    last_heartbeat_at=then, silent_after=then,
                                    state_since=then)
        RecordingRun.objects.create(camera=camera, started_at=then - dt.timedelta(hours=1),
                                    ended_at=then)
    now = timezone.now()
    assert demo_tick(now=now, real_agent_cameras=[cameras[1].pk]) == 1
    assert CameraHealth.objects.get(camera=cameras[0]).last_heartbeat_at == now
    assert CameraHealth.objects.get(camera=cameras[1]).last_heartbeat_at == then  # the agent's
    # The recorder goes on for both: the clips are not the recorder's files.
    assert set(RecordingRun.objects.values_list("ended_at", flat=True)) == {now}


PARENT = """
import sys, time
from custodywatch.core.processes import spawn_tied_to_this_process
child = spawn_tied_to_this_process(["sleep", "120"], log=open({log!r}, "ab"))
print(child.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_the_demo_agent_never_outlives_the_demo(tmp_path, how):
    """Stopping the demo, even with SIGKILL, stops the agent it started."""
    import os
    import subprocess
    import sys
    import time

    parent = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys\n"
         "signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))\n"
         + PARENT.format(log=str(tmp_path / "child.log"))],
        stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    os.kill(child_pid, 0)  # alive
    getattr(parent, how)()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return
        # a zombie still answers kill(0); it is gone once reaped by init
        stat = Path(f"/proc/{child_pid}/stat")
        if stat.exists() and stat.read_text().split()[2] == "Z":
            return
        time.sleep(0.1)
    raise AssertionError(f"the agent (pid {child_pid}) outlived the demo ({how})")
