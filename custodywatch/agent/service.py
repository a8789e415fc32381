"""``custodywatch agent run --config FILE``: the agent as a service.

One thread per camera (decoding, classifying, queueing spans and heartbeats; reconnecting
with back-off), one for recorder segments, one sending the queue to the centre. Everything
the centre must hear goes through the on-disk outbox first, so a crash, a reboot or days
without the centre lose nothing that was queued. Spans are cut every ``report_seconds``
(the centre joins touching spans of one state), so a hard kill loses at most the running
minute of one camera, which the centre then sees as silence (no_signal), never as ok.

A full disk is a condition the agent lives through (outbox.py: routine reports dropped,
evidence kept, ``disk_full`` in every heartbeat, back by itself when there is room again).
Any other error that ends a worker thread ends the process with EXIT_THREAD_DIED, so that
its supervisor (systemd ``Restart=``) starts it afresh: an agent that keeps running with a
dead camera or sender thread would look alive and report nothing.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from custodywatch.agent import escrow_upload, preservation, protocol, segments
from custodywatch.agent.analysis import CameraAnalyser
from custodywatch.agent.config import AgentConfig, CameraConfig
from custodywatch.agent.decode import SourceError, VideoSource
from custodywatch.agent.outbox import DiskFull, Outbox, is_disk_full
from custodywatch.agent.reference_sync import ViewSync
from custodywatch.agent.references import ReferenceStore
from custodywatch.agent.relay import CameraRelay, RelayClient
from custodywatch.agent.sender import Backoff, DeliveryError, Sender
from custodywatch.kernels.frames import Span
from custodywatch.kernels.markers import MarkerDetector, MarkerSeen, SightingTracker

log = logging.getLogger("custodywatch.agent")

EXIT_THREAD_DIED = 70  # EX_SOFTWARE: a worker thread died; the supervisor restarts us
DISK_CHECK_SECONDS = 5.0
STOP_GRACE_SECONDS = 30.0  # after a thread died, how long the others get to stop


@dataclass
class CameraWorker:
    config: CameraConfig
    agent: AgentConfig
    outbox: Outbox
    references: ReferenceStore
    stop: threading.Event
    analyser: CameraAnalyser = field(init=False)
    reference_stamp: float | None = None
    next_report: float = 0.0
    next_heartbeat: float = 0.0
    last_gray: np.ndarray | None = None
    resume_after: float | None = None  # a looped file's last frame, to go on from
    # Room markers: which ids this camera's picture shows, and since when.
    markers: SightingTracker = field(init=False)
    marker_detector: MarkerDetector | None = field(init=False, default=None)
    samples_seen: int = 0

    def __post_init__(self) -> None:
        self.analyser = self._new_analyser(time.time())
        # A marker is gone after three searches in a row without it, over more than 30 s.
        self.markers = SightingTracker()
        if self.agent.markers_every > 0:
            self.marker_detector = MarkerDetector()

    def _new_analyser(self, start: float) -> CameraAnalyser:
        stored = self.references.load(self.config.code)
        self.reference_stamp = self.references.stamp(self.config.code)
        if stored is None:
            return CameraAnalyser(start=start)
        return CameraAnalyser(reference=stored.image, baseline=stored.baseline, start=start)

    def _queue(self, spans: list[Span]) -> None:
        self.outbox.put(protocol.STATE_SPANS, [
            protocol.state_span(self.config.code, span.state, span.start, span.end)
            for span in spans])

    def _heartbeat(self, now: float) -> None:
        self.outbox.put_heartbeat(protocol.heartbeat(
            self.config.code, now, self.analyser.tracker.state, self.outbox.disk_full))
        self.next_heartbeat = now + self.agent.heartbeat_seconds

    def _feed(self, at: float, gray: np.ndarray, previous: float | None) -> None:
        """One sample; a change of state is queued at once, with a heartbeat saying it, so
        the centre hears of a fault within seconds, not at the next report."""
        before = self.analyser.tracker.state
        self._queue(self.analyser.feed(at, gray, previous))
        if self.analyser.tracker.state != before:
            self._queue(self.analyser.cut(at))
            self._heartbeat(time.time())

    def _queue_sightings(self, sightings: list[MarkerSeen]) -> None:
        try:
            self.outbox.put(protocol.MARKER_SIGHTINGS, [
                protocol.marker_sighting(self.config.code, seen.marker, seen.first, seen.last,
                                         seen.seen) for seen in sightings])
        except DiskFull as error:
            # Nothing routine left to drop: the room goes unproven (blind), never faked.
            log.warning("camera %s: marker sightings not queued: %s", self.config.code, error)

    def _search_markers(self, at: float, picture: np.ndarray) -> None:
        """One sampled frame in ``markers_every``: the room markers it shows."""
        self.samples_seen += 1
        if self.marker_detector is None or (self.samples_seen - 1) % self.agent.markers_every:
            return
        self._queue_sightings(self.markers.observe(at, self.marker_detector.detect(picture)))

    def _housekeeping(self, now: float) -> None:
        """Periodic reports, heartbeats, first-learned reference, replaced reference."""
        if now >= self.next_report:
            self._queue(self.analyser.cut(now))
            self._queue_sightings(self.markers.cut())  # the markers still in view
            self.next_report = now + self.agent.report_seconds
            if (gray := self.last_gray) is not None:
                # What the camera shows now, for a person comparing it with the reference.
                self._keep(lambda: self.references.save_current(self.config.code, gray))
            if self.references.stamp(self.config.code) != self.reference_stamp:
                # A person replaced the reference: judge against it from now on.
                log.info("camera %s: reference replaced; reloading", self.config.code)
                state = self.analyser.tracker.state
                self.analyser = self._new_analyser(now)
                self.analyser.tracker.state = state
        if self.reference_stamp is None and self.analyser.learned:
            # First view learned: kept for a person to approve, and for the next start.
            # noqa below: narrows the type; `learned` implies both are set
            assert self.analyser.reference is not None and self.analyser.baseline  # noqa: S101
            reference, baseline = self.analyser.reference, self.analyser.baseline
            if self._keep(lambda: self.references.save_learned(self.config.code, reference,
                                                               baseline)):
                self.reference_stamp = self.references.stamp(self.config.code)
        if now >= self.next_heartbeat:
            self._heartbeat(now)

    def _keep(self, write: Callable[[], None]) -> bool:
        """A reference file written; on a full disk, skipped (tried again later)."""
        try:
            write()
        except OSError as error:
            if not is_disk_full(error):
                raise
            log.warning("camera %s: reference views not saved: %s", self.config.code, error)
            return False
        return True

    def _read_stream(self, backoff: Backoff) -> float | None:
        """Read until the stream ends or breaks; the epoch of its last sign of life."""
        source = VideoSource(self.config.url, sample_seconds=self.agent.sample_seconds)
        anchor: float | None = None
        last_seen: float | None = None
        for sample in source.samples():
            if anchor is None:
                # A looped file goes on after its last frame, even when read faster than
                # time: the analyser's clock never runs backwards.
                begin = time.time() if self.resume_after is None else max(
                    time.time(), self.resume_after + self.agent.sample_seconds)
                anchor = begin - sample.at
                backoff.reset()
            at = anchor + sample.at
            # A file stands in for a camera: deliver its frames when they happen.
            pacing = self.config.pace and not source.is_live() and at > time.time()
            if pacing and self.stop.wait(at - time.time()):
                break
            previous = None if sample.previous_packet_at is None else (
                anchor + sample.previous_packet_at)
            self._feed(at, sample.gray, previous)
            self._search_markers(at, sample.luma if sample.luma is not None else sample.gray)
            self.last_gray = sample.gray
            last_seen = at
            self._housekeeping(time.time())
            if self.stop.is_set():
                break
        return last_seen

    def _is_stream(self) -> bool:
        return VideoSource(self.config.url).is_live()

    def run(self) -> None:
        backoff = Backoff(first=1.0, cap=60.0)
        while not self.stop.is_set():
            try:
                last_seen = self._read_stream(backoff)
                reason = "stream ended"
            except (SourceError, FileNotFoundError) as error:
                last_seen, reason = None, str(error)
            if self.stop.is_set():
                break
            looping = self.config.loop and last_seen is not None and not self._is_stream()
            self.resume_after = last_seen if looping else None
            if looping:
                continue  # a file that stands in for a camera: on from its start, no gap
            now = time.time()
            self._queue(self.analyser.signal_lost(last_seen if last_seen is not None else now))
            self._queue_sightings(self.markers.lost())  # no picture: no marker in view
            delay = backoff.next_delay()
            log.warning("camera %s: %s; reconnecting in %.0f s", self.config.code, reason, delay)
            deadline = now + delay
            while not self.stop.is_set() and time.time() < deadline:
                self._housekeeping(time.time())
                self.stop.wait(min(1.0, max(0.0, deadline - time.time())))
        self._queue(self.analyser.cut(time.time()))
        self._queue_sightings(self.markers.cut())


def segment_loop(config: AgentConfig, outbox: Outbox, stop: threading.Event) -> None:
    watches = [segments.SegmentWatch(camera.code, camera.segments_dir, camera.segments_pattern,
                                     camera.segments_time_zone)
               for camera in config.cameras if camera.segments_dir is not None]
    while watches and not stop.is_set():
        for watch in watches:
            try:
                segments.scan(watch, outbox)
            except OSError as error:
                log.warning("segments of %s: %s", watch.camera, error)
        stop.wait(config.segment_scan_seconds)


Store = TypeVar("Store")


def _open_when_room(open_store: Callable[[], Store], stop: threading.Event) -> Store | None:
    """Open a store, waiting while the disk is full (an agent started on a full disk keeps
    running and opens it once space returns); None if the agent stops first."""
    while not stop.is_set():
        try:
            return open_store()
        except sqlite3.OperationalError as error:
            if not is_disk_full(error):
                raise
            log.warning("preservation store: %s; trying again later", error)
            stop.wait(DISK_FULL_RETRY_SECONDS)
    return None


DISK_FULL_RETRY_SECONDS = 5


def preservation_loop(config: AgentConfig, outbox: Outbox, stop: threading.Event) -> None:
    """Only cameras whose recorder segments this agent watches: it can keep nothing else."""
    watched = {camera.code for camera in config.cameras if camera.segments_dir is not None}
    if not watched:
        return
    client = preservation.PreservationClient(config.centre_url, config.token)
    store = _open_when_room(lambda: preservation.PreservationStore(config.preserved_dir), stop)
    if store is None:
        return
    try:
        while not stop.is_set():
            try:
                counts = preservation.preservation_cycle(
                    client, outbox, store, config.preservation_keep_days, cameras=watched)
                if counts["preserved"] or counts["altered"] or counts["missing"]:
                    log.info("preservation: %s", counts)
            except (DeliveryError, OSError, ValueError) as error:
                log.warning("preservation orders: %s", error)
            except sqlite3.OperationalError as error:
                if not is_disk_full(error):
                    raise
                log.warning("preservation: %s; held copies are kept, trying again later",
                            error)
            stop.wait(config.preservation_seconds)
    finally:
        store.close()


def view_sync_loop(config: AgentConfig, references: ReferenceStore,
                   stop: threading.Event) -> None:
    sync = ViewSync(config.centre_url, config.token, references,
                    [camera.code for camera in config.cameras])
    while not stop.is_set():
        try:
            applied = sync.cycle()
            if applied:
                log.info("reference decisions applied: %s", applied)
        except (DeliveryError, OSError, ValueError) as error:
            log.warning("camera views: %s", error)
        stop.wait(config.view_sync_seconds)


def send_loop(sender: Sender, stop: threading.Event, idle_seconds: float = 1.0) -> None:
    backoff = Backoff(first=1.0, cap=300.0)
    while not stop.is_set():
        try:
            sender.drain()
            backoff.reset()
            stop.wait(idle_seconds)
        except DeliveryError as error:
            delay = backoff.next_delay()
            log.warning("centre unreachable (%s); %s; retrying in %.0f s", error,
                        sender.outbox.counts(), delay)
            stop.wait(delay)


def disk_watch_loop(outbox: Outbox, stop: threading.Event,
                    every: float = DISK_CHECK_SECONDS) -> None:
    """Leaves the full-disk state as soon as there is room again (outbox.check_space)."""
    while not stop.wait(every):
        outbox.check_space()


@dataclass
class Workers:
    """The agent's threads; the first one to die of an error stops them all."""

    stop: threading.Event
    threads: list[threading.Thread] = field(default_factory=list)
    died: list[str] = field(default_factory=list)

    def add(self, name: str, target: Callable[..., None], *args: object) -> None:
        def guarded() -> None:
            try:
                target(*args)
            except BaseException:
                log.critical("thread %s died; stopping the agent so that its supervisor "
                             "restarts it", name, exc_info=True)
                self.died.append(name)
                self.stop.set()

        self.threads.append(threading.Thread(target=guarded, name=name))


def run_agent(config: AgentConfig, stop: threading.Event | None = None) -> int:
    """Run until ``stop`` (SIGTERM, SIGINT) or a thread dies: 0, or EXIT_THREAD_DIED."""
    stop = stop or threading.Event()
    outbox = Outbox(config.outbox_path, facility=config.facility)
    references = ReferenceStore(config.references_dir)
    sender = Sender(outbox, config.centre_url, config.token, batch_size=config.batch_size)
    workers = Workers(stop)
    workers.add("sender", send_loop, sender, stop)
    workers.add("segments", segment_loop, config, outbox, stop)
    workers.add("views", view_sync_loop, config, references, stop)
    workers.add("preservation", preservation_loop, config, outbox, stop)
    workers.add("disk", disk_watch_loop, outbox, stop)
    workers.add("escrow", escrow_upload.escrow_loop, config, outbox, stop)
    for camera in config.cameras:
        worker = CameraWorker(camera, config, outbox, references, stop)
        workers.add(f"camera-{camera.code}", worker.run)
    # Live view of transparent interrogation rooms (agent/relay.py), cameras marked live.
    live_client = RelayClient(config.centre_url, config.token)
    for camera in config.cameras:
        if camera.live:
            relay = CameraRelay(camera.code, camera.live_url or camera.url, live_client, stop,
                                pace=camera.pace)
            workers.add(f"live-{camera.code}", relay.run)
    threads = workers.threads
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: stop.set())
    for thread in threads:
        thread.start()
    log.info("agent running: %d cameras, centre %s", len(config.cameras), config.centre_url)
    give_up_at: float | None = None
    while any(thread.is_alive() for thread in threads):
        if workers.died and give_up_at is None:
            give_up_at = time.monotonic() + STOP_GRACE_SECONDS
        if give_up_at is not None and time.monotonic() > give_up_at:
            log.critical("threads still running after %.0f s: %s", STOP_GRACE_SECONDS,
                         [thread.name for thread in threads if thread.is_alive()])
            break
        for thread in threads:
            thread.join(timeout=0.5)
    if workers.died:
        outbox.close()
        return EXIT_THREAD_DIED
    try:
        sender.drain()  # a last try, so a clean stop leaves nothing behind when it can
    except DeliveryError:
        log.info("stopped with %s queued for later", outbox.counts())
    outbox.close()
    return 0
