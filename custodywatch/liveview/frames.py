"""The latest frame of each relayed camera, on disk under the var directory.

One file per camera, replaced atomically (write then rename), so any web process on the
node (or on nodes sharing the directory) serves the same latest picture, and its
modification time is the moment the centre received it: the feed-gap sweep reads only
that. Nothing older than the latest frame is kept: the live view is not a recording.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"
MAX_FRAME_BYTES = 1_000_000


@dataclass(frozen=True)
class Frame:
    data: bytes
    received_at: dt.datetime

    @property
    def etag(self) -> str:
        return f'"{int(self.received_at.timestamp() * 1000):x}-{len(self.data):x}"'


def frames_dir() -> Path:
    return Path(getattr(settings, "LIVEVIEW_FRAMES_DIR", settings.VAR_DIR / "live"))


def _path(camera_id: int) -> Path:
    return frames_dir() / f"camera-{int(camera_id)}.jpg"


def looks_like_jpeg(data: bytes) -> bool:
    return len(data) > 4 and data.startswith(JPEG_START) and data.rstrip(b"\0").endswith(
        JPEG_END)


def frame_put(camera_id: int, data: bytes) -> None:
    directory = frames_dir()
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".frame-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, _path(camera_id))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def frame_received_at(camera_id: int) -> dt.datetime | None:
    try:
        stamp = _path(camera_id).stat().st_mtime
    except FileNotFoundError:
        return None
    return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)


def frame_latest(camera_ids: list[int]) -> Frame | None:
    """The newest frame among these cameras (a room may have several)."""
    newest: tuple[dt.datetime, int] | None = None
    for camera_id in camera_ids:
        at = frame_received_at(camera_id)
        if at is not None and (newest is None or at > newest[0]):
            newest = (at, camera_id)
    if newest is None:
        return None
    try:
        data = _path(newest[1]).read_bytes()
    except FileNotFoundError:
        return None
    return Frame(data, newest[0])


def frame_discard(camera_id: int) -> None:
    _path(camera_id).unlink(missing_ok=True)
