"""The live relay against the real centre (live_server): an ffmpeg live source (a TCP
stream that ffmpeg produces at the speed of time) is relayed only while an interrogation in
the camera's transparent room is going on, frames advance, and an agent's frames land only
in its own facility's cameras."""

# ruff: noqa: S603 - the tests start ffmpeg with fixed arguments

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_create
from custodywatch.agent.relay import CameraRelay, RelayClient, RelayError, RelaySettings
from custodywatch.custody.models import Interrogation
from custodywatch.liveview import frames
from tests.conftest import make_user, require_or_skip
from tests.liveview.conftest import interrogation_in, transparent_room

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def live_source(seconds: int = 60) -> Iterator[str]:
    """A camera stand-in: ffmpeg's test pattern (a moving picture with a frame counter),
    H.264 in MPEG-TS, served at real-time pace on a local TCP port."""
    ffmpeg = shutil.which("ffmpeg")
    require_or_skip(ffmpeg is not None, "ffmpeg is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
         f"testsrc=size=320x240:rate=10:duration={seconds}", "-c:v", "libx264",
         "-preset", "ultrafast", "-tune", "zerolatency", "-g", "10", "-pix_fmt", "yuv420p",
         "-f", "mpegts", f"tcp://127.0.0.1:{port}?listen=1"],
        stdin=subprocess.DEVNULL)
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


@contextlib.contextmanager
def relaying(relay: CameraRelay) -> Iterator[threading.Thread]:
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        relay.stop.set()
        thread.join(timeout=20)


def wait_for(condition, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


def _frame_hash(camera_id: int) -> str | None:
    frame = frames.frame_latest([camera_id])
    return hashlib.sha256(frame.data).hexdigest() if frame else None


@pytest.fixture
def frames_dir(settings, tmp_path):
    settings.LIVEVIEW_FRAMES_DIR = tmp_path / "live"


def test_relay_sends_only_while_wanted_and_frames_advance(live_server, people, facility_a,
                                                          facility_b, frames_dir):
    room, camera = transparent_room(facility_a)
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    client = RelayClient(live_server.url, raw)
    assert client.wanted("CAMT1").wanted is False  # no interrogation: no picture leaves

    interrogation = interrogation_in(room, people["duty_a"])
    with live_source() as url:
        relay = CameraRelay("CAMT1", url, client, threading.Event(),
                            RelaySettings(width=160, probe_seconds=0.5))
        with relaying(relay):
            first = wait_for(lambda: _frame_hash(camera.pk))
            assert first is not None, "no frame reached the centre"
            second = wait_for(lambda: (h := _frame_hash(camera.pk)) != first and h)
            assert second and second != first  # the picture advances
            assert frames.frame_latest([camera.pk]).data[:2] == b"\xff\xd8"
            # The interrogation ends: the centre says stop, the relay stops sending.
            Interrogation.objects.filter(pk=interrogation.pk).update(
                ended_at=timezone.now() - dt.timedelta(seconds=1))
            sent = wait_for(lambda: (n := relay.sent, time.sleep(1.5), relay.sent == n)[2])
            assert sent, "the relay kept sending after the end"


def test_an_agent_cannot_send_another_facilitys_camera(live_server, people, facility_a,
                                                       facility_b, frames_dir):
    room, camera = transparent_room(facility_a)
    transparent_room(facility_b)
    interrogation_in(room, people["duty_a"])
    agent_b = make_user("agent_b", Role.EDGE_AGENT, facility=facility_b)
    raw_b, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=agent_b)
    client_b = RelayClient(live_server.url, raw_b)
    jpeg = b"\xff\xd8" + b"\0" * 64 + b"\xff\xd9"
    # B's CAMT1 is B's own camera, with no interrogation: nothing is kept.
    assert client_b.send("CAMT1", jpeg).stored is False
    # Naming facility A explicitly is refused.
    with pytest.raises(RelayError, match="HTTP 403"):
        client_b._call(urllib.request.Request(client_b._url("CAMT1", "wanted")  # noqa: S310
                                              + "?facility=FA-1"))
    # A wrong token is refused (401, or 403 where the API then looks for a session).
    with pytest.raises(RelayError, match="HTTP 40[13]"):
        RelayClient(live_server.url, "cw_wrong").send("CAMT1", jpeg)
    assert frames.frame_latest([camera.pk]) is None
