"""The demo's real edge agent: rendered footage the agent judges, a configuration it loads
with a token of the facility's agent account, and the stand-in leaving its cameras alone."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from django.utils import timezone

from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_authenticate
from custodywatch.agent.config import load_config
from custodywatch.demo import edge_agent
from custodywatch.demo.footage import ClipPlan, write_clip
from custodywatch.registry.models import Camera
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
