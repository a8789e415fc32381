"""Perceptual fingerprints of a video file from its real decoded frames (kernels/fingerprint.py):
one 64-bit DCT hash of the grey picture every ``step`` seconds of the video's own timeline.

The agent fingerprints every recorded segment it escrows (agent/escrow_upload.py); the centre's
``custodywatch evidence match`` fingerprints the clip it is handed with the same code. Damaged
packets are skipped, not fatal: a partially corrupted restored tape still yields the hashes of
the frames that decode. No Django.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.video.codeccontext import VideoCodecContext
from av.video.stream import VideoStream

from custodywatch.agent.decode import every_frame_decoder, frame_luma
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


# A clip whose key frames are at most this far apart is fingerprinted from its key frames
# alone; a longer GOP is decoded whole and hashed every ``step`` (the matcher needs a sample
# every few seconds to place a run and see a cut).
KEY_FRAME_GAP = 2.5
# The key-frame decoder is fed key packets only, so nothing predicts from its pictures; the
# loop filter is kept all the same: the recorded side hashed filtered pictures, and a key
# frame of a copied stream then hashes to exactly the recorded hash.


def clip_fingerprints(path: str | Path, step: float, *, key_gap: float = KEY_FRAME_GAP,
                      threads: int = 0) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The fingerprints of a clip to match: (times in seconds from the stream's start, 64-bit
    hashes, duration in seconds, the usual spacing of the samples in seconds).

    Key frames only where the clip has one at least every ``key_gap`` seconds (a recorder's
    GOP is one to two seconds): the packets of a GOP are held until its length is known (at
    most ``key_gap`` seconds of compressed data); a short GOP gives its key frame's hash at
    the key frame's own time, and only that packet reaches a decoder. A longer GOP is decoded
    whole by a decoder of its own and hashed every ``step`` from its key frame. A damaged
    packet is skipped; the frames that decode still count. ``threads`` 1 decodes on one core.
    """
    samples: dict[float, int] = {}
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise FingerprintError(f"{path}: not a readable video ({error})") from error
    with container:
        if not container.streams.video:
            raise FingerprintError(f"{path}: no video stream")
        stream = container.streams.video[0]
        time_base = stream.time_base or Fraction(1, 90000)
        numerator, denominator = time_base.numerator, time_base.denominator
        key_decoder = stream.codec_context
        key_decoder.skip_frame = "NONKEY"
        if threads == 1:
            stream.thread_type = "NONE"
            key_decoder.thread_count = 1
        origin: float | None = None
        if stream.start_time is not None:
            origin = stream.start_time * numerator / denominator

        next_dense = -np.inf  # in a long GOP: the time of its next hash

        def hash_frames(frames: list[av.VideoFrame], every: float | None) -> None:
            nonlocal next_dense
            for frame in frames:
                if frame.pts is None or origin is None:
                    continue
                at = frame.pts * numerator / denominator - origin
                if every is not None:  # decoded in presentation order
                    if at + 1e-3 < next_dense:
                        continue
                    next_dense = at + every
                luma = frame_luma(frame)
                samples[round(at, 4)] = phash(
                    luma if luma is not None else frame.to_ndarray(format="gray"))

        def decode(decoder: VideoCodecContext,
                   packet: av.Packet[VideoStream] | None) -> list[av.VideoFrame]:
            try:
                return list(decoder.decode(packet))
            except av.error.FFmpegError:
                return []  # a damaged packet: the frames around it still count

        # the current GOP's packets while its length is unknown
        gop: list[av.Packet[VideoStream]] = []
        gop_start = 0.0
        whole: VideoCodecContext | None = None  # the decoder of a long GOP, once it is long
        last = 0.0
        for packet in container.demux(stream):
            stamp = packet.pts if packet.pts is not None else packet.dts
            if stamp is None:
                continue  # the demuxer's flush packet
            at_raw = stamp * numerator / denominator
            if origin is None:
                origin = at_raw
            at = at_raw - origin
            last = max(last, at)
            if packet.is_keyframe:
                if whole is not None:  # the long GOP before this one ends
                    hash_frames(decode(whole, None), step)
                    whole = None
                elif gop:
                    hash_frames(decode(key_decoder, gop[0]), None)
                gop, gop_start = [packet], at
                continue
            if whole is not None:
                hash_frames(decode(whole, packet), step)
            elif gop:
                gop.append(packet)
                if at - gop_start > key_gap:  # a long GOP: decode it all, from its key frame
                    whole = every_frame_decoder(stream)
                    if threads != 1:
                        whole.thread_type = "AUTO"
                    next_dense = -np.inf
                    for held in gop:
                        hash_frames(decode(whole, held), step)
                    gop = []
            # else: packets before the first key frame cannot be decoded on their own
        if whole is not None:
            hash_frames(decode(whole, None), step)
        elif gop:
            hash_frames(decode(key_decoder, gop[0]), None)
        hash_frames(decode(key_decoder, None), None)  # frames the decoder held back
        rate = float(stream.average_rate) if stream.average_rate else 0.0
    if not samples:
        raise FingerprintError(f"{path}: no frame could be decoded")
    times = np.array(sorted(samples))
    hashes = np.array([samples[t] for t in times.tolist()], dtype=np.uint64)
    spacing = float(np.median(np.diff(times))) if len(times) > 1 else step
    duration = last + (1.0 / rate if rate else step)
    return times, hashes, duration, max(step, spacing)
