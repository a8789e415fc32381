"""Store and forward against real HTTP servers on loopback: the centre down, the agent
killed (SIGKILL) while a batch is on the wire, restarted: every item applied exactly once."""

# ruff: noqa: S603 - the tests start this project's own commands with fixed arguments

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from custodywatch.agent import protocol
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.sender import DeliveryError, Sender
from tests.agent.centre_stub import TOKEN

T0 = 1_704_067_200.0  # 2024-01-01T00:00:00Z


def _spans(count: int, camera: str = "CAM1") -> list[dict]:
    """Separate (non-touching) spans, so the centre keeps each one as a row."""
    states = ["ok", "black", "frozen", "covered", "blurred", "moved"]
    return [protocol.state_span(camera, states[n % len(states)], T0 + 10 * n, T0 + 10 * n + 5)
            for n in range(count)]


def test_outbox_keeps_a_sealed_batch_and_its_key_across_a_restart(tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    outbox.put(protocol.STATE_SPANS, _spans(3))
    first = outbox.next_batch(2)
    outbox.close()
    reopened = Outbox(tmp_path / "q.sqlite3")
    again = reopened.next_batch(2)
    assert again == first and first.size == 2
    reopened.delivered(again)
    rest = reopened.next_batch(2)
    assert rest.size == 1 and rest.idempotency_key != first.idempotency_key
    assert json.loads(rest.body)["items"] == _spans(3)[2:]


def test_unsent_heartbeats_keep_only_the_newest_per_camera(tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    for n in range(100):
        outbox.put_heartbeat(protocol.heartbeat("CAM1", T0 + n, "ok"))
    outbox.put_heartbeat(protocol.heartbeat("CAM2", T0, "black"))
    batch = outbox.next_batch()
    items = json.loads(batch.body)["items"]
    assert sorted((i["camera"], i["at"]) for i in items) == [
        ("CAM1", protocol.timestamp(T0 + 99)), ("CAM2", protocol.timestamp(T0))]
    # A heartbeat queued while that batch is in flight is kept, not merged into it.
    outbox.put_heartbeat(protocol.heartbeat("CAM1", T0 + 200, "ok"))
    assert outbox.counts()[protocol.HEARTBEATS] == 3


def test_centre_down_for_a_while_loses_nothing_and_sends_nothing_twice(tmp_path, centre_stub):
    outbox = Outbox(tmp_path / "q.sqlite3")
    sender = Sender(outbox, centre_stub.url, TOKEN, batch_size=7)
    outbox.put(protocol.STATE_SPANS, _spans(20))
    centre_stub.down = True
    for _attempt in range(3):
        with pytest.raises(DeliveryError):
            sender.drain()
    outbox.put(protocol.STATE_SPANS, _spans(25)[20:])
    centre_stub.down = False
    assert sender.drain() == 25
    assert centre_stub.applied[protocol.STATE_SPANS] == _spans(25)
    # The batch that failed three times went out with the same key every time.
    keys = [r["key"] for r in centre_stub.requests]
    assert keys[:4] == [keys[0]] * 4
    assert outbox.counts()[protocol.STATE_SPANS] == 0


def test_a_batch_the_centre_rejects_is_set_aside_not_lost(tmp_path, centre_stub):
    outbox = Outbox(tmp_path / "q.sqlite3")
    sender = Sender(outbox, centre_stub.url, "wrong-token")
    outbox.put(protocol.STATE_SPANS, _spans(2))
    with pytest.raises(DeliveryError):  # 401: a token being fixed is not a bad batch
        sender.drain()
    assert outbox.counts()[protocol.STATE_SPANS] == 2


SENDER_SCRIPT = textwrap.dedent("""
    import sys
    from custodywatch.agent.outbox import Outbox
    from custodywatch.agent.sender import Sender
    outbox = Outbox(sys.argv[1])
    Sender(outbox, sys.argv[2], sys.argv[3], batch_size=int(sys.argv[4]), timeout=120).drain()
""")


def _start_sender(queue, url: str, token: str, batch_size: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SENDER_SCRIPT, str(queue), url, token,
                             str(batch_size)], env={**os.environ, "PYTHONPATH": os.getcwd()})


def test_sigkill_while_an_answer_is_on_the_wire_then_restart_applies_each_span_once(
        tmp_path, centre_stub):
    queue = tmp_path / "q.sqlite3"
    outbox = Outbox(queue)
    outbox.put(protocol.STATE_SPANS, _spans(50))
    outbox.close()
    centre_stub.hang_after_apply = 2  # the third batch is written, its answer never comes
    agent = _start_sender(queue, centre_stub.url, TOKEN, 10)
    assert centre_stub.hanging.wait(60)
    os.kill(agent.pid, signal.SIGKILL)
    agent.wait(10)
    assert len(centre_stub.applied[protocol.STATE_SPANS]) == 30
    centre_stub.hang_after_apply = None
    restarted = _start_sender(queue, centre_stub.url, TOKEN, 10)
    assert restarted.wait(60) == 0
    assert centre_stub.applied[protocol.STATE_SPANS] == _spans(50)
    keys = [r["key"] for r in centre_stub.requests]
    assert keys[3] == keys[2], "the batch in flight was resent under its own key"
    assert len(set(keys)) == 5
    assert Outbox(queue).counts()[protocol.STATE_SPANS] == 0


def test_sigkill_at_random_moments_never_loses_or_doubles(tmp_path, centre_stub):
    queue = tmp_path / "q.sqlite3"
    outbox = Outbox(queue)
    outbox.put(protocol.STATE_SPANS, _spans(300))
    outbox.close()
    for delay in (0.05, 0.15, 0.3):
        agent = _start_sender(queue, centre_stub.url, TOKEN, 3)
        time.sleep(delay)
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait(10)
    assert _start_sender(queue, centre_stub.url, TOKEN, 3).wait(120) == 0
    assert centre_stub.applied[protocol.STATE_SPANS] == _spans(300)
