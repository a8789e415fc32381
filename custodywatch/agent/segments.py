"""Finished recorder segments: hash each file once (SHA-256, streaming) and queue it with its
span. A segment is finished when it has not been written for ``settle_seconds``.

The span comes from the file name where the recorder writes its start time there
(``CAM1_20240105T100000.mp4``, ``20240105-100000.mp4``), read in the recorder's time zone,
and from the container's duration; otherwise it ends at the file's last write.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import av
import av.error

from custodywatch.agent import protocol
from custodywatch.agent.outbox import Outbox
from custodywatch.kernels.filehash import file_sha256

NAME_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})[T_-]?(\d{2})(\d{2})(\d{2})")


@dataclass(frozen=True)
class SegmentWatch:
    camera: str
    directory: Path
    pattern: str = "*.mp4"
    time_zone: str = "UTC"
    settle_seconds: float = 10.0


def media_duration(path: Path) -> float | None:
    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return container.duration / av.time_base
    except (av.error.FFmpegError, OSError):
        return None
    return None


def segment_span(path: Path, time_zone: str, mtime: float) -> tuple[float, float]:
    """(start, end) in epoch seconds."""
    duration = media_duration(path)
    match = NAME_TIME.search(path.name)
    if match:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        start = dt.datetime(year, month, day, hour, minute, second,
                            tzinfo=ZoneInfo(time_zone)).timestamp()
        return start, start + (duration if duration else max(mtime - start, 0.001))
    duration = duration or 0.001
    return mtime - duration, mtime


def scan(watch: SegmentWatch, outbox: Outbox, now: float | None = None) -> int:
    """Queue every finished, not yet hashed segment in the watched folder; how many."""
    now = time.time() if now is None else now
    queued = 0
    for path in sorted(watch.directory.glob(watch.pattern)):
        stat = path.stat()
        if not path.is_file() or now - stat.st_mtime < watch.settle_seconds:
            continue
        if outbox.segment_known(str(path), stat.st_size, stat.st_mtime):
            continue
        sha256 = file_sha256(path)
        after = path.stat()
        if (after.st_size, after.st_mtime) != (stat.st_size, stat.st_mtime):
            continue  # written to while we read: not finished after all
        start, end = segment_span(path, watch.time_zone, stat.st_mtime)
        outbox.put_segment(protocol.recording(watch.camera, start, end, sha256), str(path),
                           stat.st_size, stat.st_mtime)
        queued += 1
    return queued
