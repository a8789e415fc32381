"""A full disk at the agent (issue 18, item 2): on a real small file system (tmpfs), the queue
drops the oldest routine reports and never a segment hash, says so in its heartbeats, and
comes back by itself when there is room; a thread that dies ends the process (non-zero) so
that its supervisor restarts it."""

# ruff: noqa: S603, S607 - the tests run mount/umount and this project's own commands

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from custodywatch.agent import protocol, service
from custodywatch.agent.config import load_config
from custodywatch.agent.outbox import DRAIN_RESERVE_NAME, RESERVE_NAME, DiskFull, Outbox
from custodywatch.agent.service import EXIT_THREAD_DIED, run_agent
from tests.agent.test_service import _write_config

MiB = 1 << 20


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 16 MiB tmpfs mounted for the test (root only), unmounted after it."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs",
                           str(mount_point)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Another program's file that leaves ``leave`` bytes free on the disk (with 0: to the
    last byte, a short write and then ENOSPC)."""
    filler = disk / "filler"
    room = shutil.disk_usage(disk).free - leave
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while room > 0 and (written := os.write(descriptor, b"\0" * min(room, MiB))):
            room -= written
    except OSError:
        pass  # the agent wrote meanwhile: full all the same
    finally:
        os.close(descriptor)
    return filler


def span(camera: str, second: int) -> protocol.Item:
    return protocol.state_span(camera, "ok", 1.7e9 + second, 1.7e9 + second + 1)


def test_a_full_disk_drops_the_oldest_spans_never_a_segment_and_recovers(small_disk):
    outbox = Outbox(small_disk / "state" / "outbox.sqlite3", reserve_bytes=MiB)
    assert (small_disk / "state" / RESERVE_NAME).stat().st_size == MiB
    filler = fill(small_disk, leave=5 * MiB)
    queued, refused = [], []
    for second in range(0, 40_000, 20):
        # Before the fix the first write that found the disk full raised
        # "database or disk is full" into the caller: the camera thread died here.
        outbox.put(protocol.STATE_SPANS, [span("CAM1", second + n) for n in range(20)])
        outbox.put_heartbeat(protocol.heartbeat("CAM1", 1.7e9 + second, "ok",
                                                outbox.disk_full))
        if second % 1000 == 0:
            item = protocol.recording("CAM1", 1.7e9 + second, 1.7e9 + second + 10,
                                      f"{second:064x}")
            try:
                outbox.put_segment(item, f"/nvr/{second}.mp4", 1, 1.0)
                queued.append(item)
            except DiskFull:
                refused.append(second)
    assert outbox.disk_full and outbox.dropped > 0
    assert not (small_disk / "state" / RESERVE_NAME).exists()  # given to SQLite
    # Every segment hash is kept; one refused is not marked seen, so a later scan retries.
    assert not refused
    sealed = []
    while (batch := outbox.next_batch(5000)) is not None:
        # A batch that comes back could not even be forgotten on the full disk: a bound, so
        # that such a regression fails here instead of looping for ever.
        assert not sealed or batch.id != sealed[-1].id, "an acknowledgement found no room"
        sealed.append(batch)
        outbox.delivered(batch)
    assert [batch.kind for batch in sealed][:2] == [protocol.HEARTBEATS, protocol.RECORDINGS]
    recordings = [item for batch in sealed if batch.kind == protocol.RECORDINGS
                  for item in json.loads(batch.body)["items"]]
    assert sorted(recordings, key=lambda i: i["start"]) == queued
    heartbeat = json.loads(sealed[0].body)["items"][0]
    assert heartbeat["disk_full"] is True
    # The oldest spans went, the newest stayed.
    kept = [item["start"] for batch in sealed if batch.kind == protocol.STATE_SPANS
            for item in json.loads(batch.body)["items"]]
    assert kept and min(kept) > protocol.timestamp(1.7e9 + 1000)
    assert max(kept) == protocol.timestamp(1.7e9 + 39_999)
    # Space comes back: the reserve is restored and the condition ends by itself.
    assert outbox.check_space() is True
    filler.unlink()
    assert outbox.check_space() is False and not outbox.disk_full
    assert (small_disk / "state" / RESERVE_NAME).stat().st_size == MiB
    assert (small_disk / "state" / DRAIN_RESERVE_NAME).stat().st_size == MiB // 2
    outbox.put(protocol.STATE_SPANS, [span("CAM1", 50_000)])
    assert outbox.counts()[protocol.STATE_SPANS] == 1
    outbox.close()


def test_the_agent_runs_through_a_full_disk_and_resumes_by_itself(small_disk, tmp_path,
                                                                   clips, centre_stub):
    """The issue's run: the centre down, the queue's disk full. Before, five threads died
    and nothing was sent after space was freed; now the centre hears the condition, and
    once there is room again, fresh spans and unflagged heartbeats, without a restart."""
    path = _write_config(tmp_path, url=centre_stub.url, video=clips["clean_a"],
                         segments=tmp_path)
    text = Path(path).read_text().replace("pace = false", "loop = true").replace(
        'state_dir = "state"', f'state_dir = "{small_disk / "state"}"')
    Path(path).write_text(text)
    config = load_config(path)
    centre_stub.down = True
    stop = threading.Event()
    agent = threading.Thread(target=run_agent, args=(config, stop))
    agent.start()
    filler = None

    def heartbeats() -> list[dict]:
        with centre_stub.lock:
            return list(centre_stub.applied.get(protocol.HEARTBEATS, []))

    def wait(condition, seconds: float = 90) -> bool:  # type: ignore[no-untyped-def]
        deadline = time.time() + seconds
        while time.time() < deadline and agent.is_alive():
            if condition():
                return True
            time.sleep(0.2)
        return False

    try:
        assert wait(lambda: (small_disk / "state" / RESERVE_NAME).exists())
        filler = fill(small_disk, leave=0)
        # The centre stays down until the agent has met the full disk (it gives its reserve
        # up then): once the centre drains the queue, freed pages would let it write on
        # without ever meeting it (a fixed pause was too short on a loaded machine).
        assert wait(lambda: not (small_disk / "state" / RESERVE_NAME).exists())
        centre_stub.down = False
        assert wait(lambda: any(h.get("disk_full") for h in heartbeats())), heartbeats()
        filler.unlink()
        flagged_at = len(heartbeats())
        assert wait(lambda: any(not h.get("disk_full") for h in heartbeats()[flagged_at:]))
        recovered = time.time()
        # Fresh spans reach the centre after the recovery (their ends are real times).
        assert wait(lambda: any(
            protocol_end(s) > recovered
            for s in centre_stub.applied.get(protocol.STATE_SPANS, [])))
        assert agent.is_alive()
    finally:
        stop.set()
        agent.join(30)
        if filler is not None:
            filler.unlink(missing_ok=True)
    assert not agent.is_alive()


def protocol_end(item: dict) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(item["end"].replace("Z", "+00:00")).timestamp()


def test_a_thread_that_dies_stops_the_agent_with_a_nonzero_exit(tmp_path, monkeypatch,
                                                                 centre_stub):
    def broken(*_args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "segment_loop", broken)
    config = load_config(_write_config(tmp_path, url=centre_stub.url, video="/no/video.mp4"))
    result: list[int] = []
    agent = threading.Thread(target=lambda: result.append(run_agent(config)))
    agent.start()
    agent.join(40)
    # Before, the other threads ran on and the process never ended: no supervisor restart.
    assert not agent.is_alive()
    assert result == [EXIT_THREAD_DIED]


def test_the_command_exits_non_zero_when_a_thread_dies(tmp_path, centre_stub):
    path = _write_config(tmp_path, url=centre_stub.url, video="/no/video.mp4")
    code = ("import custodywatch.agent.service as s\n"
            "def broken(*a): raise RuntimeError('a bug')\n"
            "s.segment_loop = broken\n"
            "from custodywatch.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", code, "agent", "run", "--config", path],
                          capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == EXIT_THREAD_DIED, done.stderr[-2000:]
    assert "thread segments died" in done.stderr
