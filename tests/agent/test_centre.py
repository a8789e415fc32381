"""End to end against the real centre (pytest-django's live_server): the agent's sender posts
state spans and segment hashes with the shapes of custodywatch/video/api.py, is killed with
SIGKILL mid-way, restarts, and the centre holds every span exactly once."""

# ruff: noqa: S603 - the tests start this project's own commands with fixed arguments

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.services import token_create
from custodywatch.agent import protocol
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.sender import Sender
from custodywatch.core.models import IdempotencyRecord
from custodywatch.registry.models import Agency, Region
from custodywatch.video.models import CameraStateSpan, RecordingSegment
from tests.agent.test_delivery import SENDER_SCRIPT, T0, _spans

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reference_data(transactional_db) -> None:
    """The regions and agency that migrations load: a transactional test's flush removed
    them for the tests after the first (serialized_rollback would serialise every app)."""
    for code in ("KZ-75", "KZ-35"):
        Region.objects.get_or_create(code=code, defaults={
            "kind": Region.Kind.REGION, "name_en": code, "name_ru": code, "name_kk": code})
    Agency.objects.get_or_create(code="MVD", defaults={
        "kind": Agency.Kind.POLICE, "name_en": "MVD", "name_ru": "MVD", "name_kk": "MVD"})


@pytest.fixture
def agent_token(reference_data, people) -> str:
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    return raw


def _queued(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT count(*) FROM item").fetchone()[0]


def _stored_spans() -> list[tuple[float, float, str]]:
    return sorted((s.started_at.timestamp(), s.ended_at.timestamp(), s.state)
                  for s in CameraStateSpan.objects.filter(camera__code="CAM1"))


def test_spans_and_segment_hashes_reach_the_centre(live_server, agent_token, tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    outbox.put(protocol.STATE_SPANS, _spans(6))
    outbox.put_segment(protocol.recording("CAM2", T0, T0 + 60, "ab" * 32), "/seg/1.mp4", 1, 1.0)
    outbox.put_heartbeat(protocol.heartbeat("CAM1", time.time(), "ok"))
    assert Sender(outbox, live_server.url, agent_token).drain() == 8
    assert outbox.counts() == {protocol.STATE_SPANS: 0, protocol.RECORDINGS: 0,
                               protocol.MARKER_SIGHTINGS: 0, protocol.HEARTBEATS: 0,
                               "rejected": 0}
    assert _stored_spans() == [(T0 + 10 * n, T0 + 10 * n + 5, s) for n, s in enumerate(
        ["ok", "black", "frozen", "covered", "blurred", "moved"])]
    segment = RecordingSegment.objects.get(camera__code="CAM2")
    assert (segment.started_at.timestamp(), segment.sha256) == (T0, "ab" * 32)


def test_sigkill_during_sending_then_restart_stores_every_span_once(
        live_server, agent_token, tmp_path):
    queue = tmp_path / "q.sqlite3"
    outbox = Outbox(queue)
    expected = _spans(120)
    outbox.put(protocol.STATE_SPANS, expected)
    outbox.close()
    command = [sys.executable, "-c", SENDER_SCRIPT, str(queue), live_server.url, agent_token, "4"]
    environment = {**os.environ, "PYTHONPATH": os.getcwd()}
    agent = subprocess.Popen(command, env=environment)
    # Watch the agent's own queue (not the centre's database, which the live server is
    # writing): kill it once a few batches are through, in the middle of the 30.
    watcher = sqlite3.connect(queue)
    deadline = time.time() + 60
    while _queued(watcher) > 100 and time.time() < deadline:
        time.sleep(0.005)
    os.kill(agent.pid, signal.SIGKILL)
    agent.wait(10)
    assert 0 < _queued(watcher) <= 100
    watcher.close()
    assert subprocess.run(command, env=environment, timeout=120, check=False).returncode == 0
    assert _stored_spans() == [(T0 + 10 * n, T0 + 10 * n + 5, item["state"])
                               for n, item in enumerate(expected)]
    assert IdempotencyRecord.objects.count() == 30  # one answer per batch, none twice
