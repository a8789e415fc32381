"""Perceptual fingerprints of a video file from its real decoded frames (kernels/fingerprint.py):
one 64-bit DCT hash of the grey picture every ``step`` seconds of the video's own timeline.

The agent fingerprints every recorded segment it escrows (agent/escrow_upload.py); the centre's
``custodywatch evidence match`` fingerprints the clip it is handed with the same code. Damaged
packets are skipped, not fatal: a partially corrupted restored tape still yields the hashes of
the frames that decode. No Django.
"""

from __future__ import annotations

from pathlib import Path

import av
import av.error
import numpy as np

from custodywatch.agent.decode import frame_luma
from custodywatch.kernels.fingerprint import REFERENCE_STEP, phash


class FingerprintError(ValueError):
    """The file is not a video this code can decode at all."""


def video_fingerprints(path: str | Path, step: float = REFERENCE_STEP
                       ) -> tuple[np.ndarray, np.ndarray, float]:
    """(times in seconds from the first frame, 64-bit hashes, duration in seconds)."""
    times: list[float] = []
    hashes: list[int] = []
    first: float | None = None
    last = 0.0
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise FingerprintError(f"{path}: not a readable video ({error})") from error
    with container:
        if not container.streams.video:
            raise FingerprintError(f"{path}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        next_at = 0.0
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue  # a damaged packet: the frames around it still count
            for frame in frames:
                if frame.time is None:
                    continue
                first = frame.time if first is None else first
                at = frame.time - first
                last = max(last, at)
                if at + 1e-3 < next_at:
                    continue
                if at - next_at > 2 * step:  # frames lost: no hash stands for the hole
                    next_at += np.floor((at - next_at) / step) * step
                luma = frame_luma(frame)
                value = phash(luma if luma is not None else frame.to_ndarray(format="gray"))
                # One hash per grid time k * step: the first frame at or after it.
                while next_at <= at + 1e-3:
                    times.append(next_at)
                    hashes.append(value)
                    next_at += step
    if not hashes:
        raise FingerprintError(f"{path}: no frame could be decoded")
    rate = float(stream.average_rate) if stream.average_rate else 0.0
    duration = last + (1.0 / rate if rate else step)
    return np.array(times), np.array(hashes, dtype=np.uint64), duration
