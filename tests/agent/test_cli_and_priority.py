"""Issue 18, item 7: the agent's command on a config it cannot use (a clear message naming
the file and field, exit 2, no traceback), and heartbeats sent before a backlog."""

# ruff: noqa: S603 - the tests start this project's own command with fixed arguments

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from custodywatch.agent import protocol
from custodywatch.agent.config import ConfigError, load_config
from custodywatch.agent.outbox import Outbox
from custodywatch.agent.sender import DeliveryError, Sender
from tests.agent.centre_stub import TOKEN
from tests.agent.test_service import _write_config


def _run(config: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from custodywatch.cli import main; main()",
                           "agent", "run", "--config", config], capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_cp1251_config_is_a_message_naming_the_file_and_line(tmp_path):
    path = Path(_write_config(tmp_path))
    text = path.read_text().replace('code = "CAM1"', 'code = "CAM1"\n# Камера в коридоре')
    path.write_bytes(text.encode("cp1251"))
    with pytest.raises(ConfigError, match=rf"^{path}: line 14: not UTF-8"):
        load_config(path)
    done = _run(str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{path}: line 14: not UTF-8 text" in done.stderr


def test_a_cp1251_token_file_names_the_field(tmp_path):
    path = _write_config(tmp_path)
    (tmp_path / "token.txt").write_bytes("токен".encode("cp1251"))
    with pytest.raises(ConfigError, match=r"centre\.token_file: .* is not UTF-8"):
        load_config(path)


@pytest.mark.parametrize("state_dir", ["token.txt/state", "/proc/custodywatch-state"])
def test_an_uncreatable_state_dir_is_a_message_naming_the_field(tmp_path, state_dir):
    path = Path(_write_config(tmp_path))
    path.write_text(path.read_text().replace('state_dir = "state"', f'state_dir = "{state_dir}"'))
    done = _run(str(path))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert f"{path}: agent.state_dir: cannot create" in done.stderr


def test_heartbeats_go_before_a_backlog_of_spans(tmp_path, centre_stub):
    """Through a slow link the agent sent every state span before any heartbeat (3.3
    minutes without one from live cameras); a heartbeat now goes next, whatever waits."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    for batch in range(30):
        outbox.put(protocol.STATE_SPANS, [
            protocol.state_span("CAM1", "ok", 1.7e9 + 10 * batch + n, 1.7e9 + 10 * batch + n + 1)
            for n in range(10)])
    outbox.put(protocol.RECORDINGS, [protocol.recording("CAM1", 1.7e9, 1.7e9 + 60, "a" * 64)])
    outbox.put_heartbeat(protocol.heartbeat("CAM1", 1.7e9 + 300, "ok"))
    sender = Sender(outbox, centre_stub.url, TOKEN, batch_size=10)
    for _ in range(5):
        sender.send_one()
    # A live agent's next heartbeat, while the backlog drains.
    outbox.put_heartbeat(protocol.heartbeat("CAM1", 1.7e9 + 360, "ok"))
    sender.drain()
    kinds = [request["path"].rsplit("/", 1)[-1] for request in centre_stub.requests]
    assert kinds[:2] == [protocol.HEARTBEATS, protocol.RECORDINGS]
    assert kinds[5] == protocol.HEARTBEATS
    assert kinds.count(protocol.STATE_SPANS) == 30
    beats = [json.loads(r["body"])["items"][0]["at"] for r in centre_stub.requests
             if r["path"].endswith(protocol.HEARTBEATS)]
    assert beats == [protocol.timestamp(1.7e9 + 300), protocol.timestamp(1.7e9 + 360)]
    outbox.close()


def test_a_kind_the_centre_lacks_holds_back_only_itself(tmp_path, centre_stub):
    """An older centre without the marker-sightings endpoint (404, transient: it may be being
    upgraded): the sightings wait, sealed, while heartbeats and spans go on."""
    centre_stub.missing = {protocol.MARKER_SIGHTINGS}
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put(protocol.MARKER_SIGHTINGS, [
        protocol.marker_sighting("CAM1", 17, 1.7e9, 1.7e9 + 30, 0.9)])
    outbox.put(protocol.STATE_SPANS, [protocol.state_span("CAM1", "ok", 1.7e9, 1.7e9 + 60)])
    outbox.put_heartbeat(protocol.heartbeat("CAM1", 1.7e9 + 60, "ok"))
    sender = Sender(outbox, centre_stub.url, TOKEN)
    with pytest.raises(DeliveryError, match="marker-sightings: HTTP 404"):
        sender.drain()
    assert set(centre_stub.applied) == {protocol.HEARTBEATS, protocol.STATE_SPANS}
    assert outbox.counts()[protocol.MARKER_SIGHTINGS] == 1  # kept, sealed, for later
    centre_stub.missing = set()
    assert sender.drain() == 1
    assert len(centre_stub.applied[protocol.MARKER_SIGHTINGS]) == 1
    outbox.close()
