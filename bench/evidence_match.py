"""Benchmark ``custodywatch evidence match``: fingerprint a restored 720p file and match it
against a day of one camera's fingerprints, one core, one run.

    python bench/evidence_match.py            # 10 minutes of 720p footage
    python bench/evidence_match.py --quick    # 1 minute, well under a minute

The footage is rendered here (OpenCV, tests/escrow/footage.py) and encoded by ffmpeg at 720p,
25 fps, a key frame every 2 s as a recorder sets it; the clip is that footage re-encoded (at
another bitrate, the same GOP: a restored tape exported again), so its bytes and pictures
differ from what was recorded. The reference is a day of one camera at one hash a second
(86,400 hashes in 1,440 one-minute segments): the recorded footage's own fingerprints at
10:00, unrelated pictures elsewhere.

Figure: seconds per hour of footage for the whole path as ``evidence match`` runs it now
(key frames only, ``agent/fingerprints.clip_fingerprints`` with one thread, then
``kernels/fingerprint.match_clip``). Baseline, measured in the same run on the same file:
the previous path (every frame decoded with one thread, a hash every 0.25 s, the same
match). Also printed: decoding every frame and nothing else, and the same footage re-encoded
with x264's default GOP (10 s), which ``clip_fingerprints`` decodes whole (the fallback).
Goal (issue 20): one hour against a day in under 10 s on one core.

Last line: ``RESULT evidence_match=<s> s/h baseline=<s> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402

from custodywatch.agent import fingerprints  # noqa: E402
from custodywatch.kernels.fingerprint import (  # noqa: E402
    CLIP_STEP,
    REFERENCE_STEP,
    Reference,
    match_clip,
)
from tests.escrow.footage import render  # noqa: E402

DAY = 86_400
AT = 10 * 3600  # the footage was recorded from 10:00


def _decode_only(path: Path) -> int:
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        stream.codec_context.thread_count = 1
        for _frame in container.decode(stream):
            frames += 1
    return frames


def _one_thread_fingerprints(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """The previous path: every frame decoded (one thread), a hash every CLIP_STEP."""
    original = av.open

    def single(*args, **kwargs):  # type: ignore[no-untyped-def]
        container = original(*args, **kwargs)
        container.streams.video[0].codec_context.thread_count = 1
        return container

    av.open = single
    try:
        return fingerprints.video_fingerprints(path, CLIP_STEP)
    finally:
        av.open = original


def _check(result, seconds: int) -> str:  # type: ignore[no-untyped-def]
    found = {m.segment for m in result.matches}
    expected = {f"segment-{k}" for k in range(AT // 60, (AT + seconds) // 60)}
    return (f"matched {len(found & expected)} of {len(expected)} segments, "
            f"{len(found - expected)} wrong, {len(result.cuts)} cuts, "
            f"{result.matched_samples}/{result.samples} samples")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 60 if args.quick else 600
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, OpenCV's threads too
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as folder:
        recorded = render(Path(folder) / "recorded.mp4", seed=5, start=0, seconds=seconds,
                          fps=25, size=(1280, 720), gop=50)
        clip = Path(folder) / "clip.mp4"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(recorded),  # noqa: S603, S607
                        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "1500k", "-g", "50",
                        "-pix_fmt", "yuv420p", str(clip)], check=True)
        long_gop = Path(folder) / "long-gop.mp4"  # x264's default GOP: 250 frames, 10 s
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(recorded),  # noqa: S603, S607
                        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "1500k",
                        "-pix_fmt", "yuv420p", str(long_gop)], check=True)
        _times, own, _duration = fingerprints.video_fingerprints(recorded, REFERENCE_STEP)
        rng = np.random.default_rng(7)
        day = rng.integers(0, 2**63, size=DAY, dtype=np.uint64)
        day[AT:AT + len(own)] = own
        base = 1.8e9
        references = [Reference("CAM1", f"segment-{k}", base + 60 * k, base + 60 * k + 60,
                                REFERENCE_STEP, day[60 * k:60 * k + 60]) for k in range(1440)]

        started = time.perf_counter()
        frames = _decode_only(clip)
        decode = time.perf_counter() - started

        started = time.perf_counter()
        times, hashes, _duration, spacing = fingerprints.clip_fingerprints(
            clip, CLIP_STEP, threads=1)
        hashed = time.perf_counter() - started
        started = time.perf_counter()
        result = match_clip(times, hashes, references, clip_step=spacing)
        matched = time.perf_counter() - started

        started = time.perf_counter()
        old_times, old_hashes, _duration = _one_thread_fingerprints(clip)
        old_hashed = time.perf_counter() - started
        started = time.perf_counter()
        old_result = match_clip(old_times, old_hashes, references)
        old_matched = time.perf_counter() - started
        started = time.perf_counter()
        long_times, long_hashes, _duration, long_spacing = fingerprints.clip_fingerprints(
            long_gop, CLIP_STEP, threads=1)
        long_result = match_clip(long_times, long_hashes, references, clip_step=long_spacing)
        long_taken = time.perf_counter() - started
    total, baseline = hashed + matched, old_hashed + old_matched
    per_hour = 3600 / seconds
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"run pinned to one")
    print(f"data: {seconds} s of 1280x720 25 fps H.264, a key frame every 2 s ({frames} "
          f"frames, {len(times)} key frames), against {DAY} reference hashes in "
          f"{len(references)} segments")
    print(f"key frames: {_check(result, seconds)}")
    print(f"every frame (baseline): {_check(old_result, seconds)}")
    print(f"key frames: decode + hash {hashed:.2f} s, match {matched:.2f} s; every frame: "
          f"decode + hash {old_hashed:.2f} s, match {old_matched:.2f} s; decode only "
          f"{decode:.2f} s ({frames / decode:.0f} frames/s)")
    print(f"per hour of footage: {total * per_hour:.1f} s (match alone "
          f"{matched * per_hour:.1f} s), baseline {baseline * per_hour:.1f} s, "
          f"decode every frame only {decode * per_hour:.1f} s")
    print(f"a copy with 10 s GOPs (whole GOPs decoded, the fallback): "
          f"{long_taken * per_hour:.1f} s per hour; {_check(long_result, seconds)}")
    print(f"RESULT evidence_match={total * per_hour:.1f} s/h "
          f"baseline={baseline * per_hour:.1f} ratio={total / baseline:.3f}")


if __name__ == "__main__":
    main()
