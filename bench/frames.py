"""Benchmark the frame-health classifier (custodywatch.kernels.frames).

    python bench/frames.py            # 3,000 frames
    python bench/frames.py --quick    # 600 frames, a few seconds

Figure: frames per second on one core (OpenCV held to one thread) through the whole per-frame
path (features against the reference view, classification, hysteresis) on 320x180 gray
frames of a rendered custody-room scene with people, noise and lighting changes. Baseline,
in the same run over the same frames: a plain OpenCV pass that only computes the variance of
the Laplacian per frame (the usual one-line blur check).

Last line: ``RESULT frames=<frames/s> frames/s/core baseline=<frames/s> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import cv2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from custodywatch.kernels import frames  # noqa: E402 - needs the sys.path line above
from tests.agent.scenes import ClipSpec, render_frames  # noqa: E402


def classify_all(grays, baseline, signature) -> float:
    tracker = frames.StateTracker()
    previous = None
    started = time.process_time()
    for index, gray in enumerate(grays):
        features = frames.frame_features(gray, previous, signature, baseline.change_level)
        tracker.observe(float(index), frames.classify_frame(features, baseline))
        previous = gray
    return time.process_time() - started


def plain_pass(grays) -> float:
    started = time.process_time()
    for gray in grays:
        cv2.Laplacian(gray, cv2.CV_64F).var()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    count = 600 if args.quick else 3000
    spec = ClipSpec("bench", seed=7, seconds=count / 10, fps=10, people=2)
    grays = [gray for _t, gray in render_frames(spec)][:count]
    reference = frames.learn_reference(grays[:8])
    baseline = frames.learn_baseline(grays[:8], reference)
    signature = frames.reference_signature(reference)
    ours = min(classify_all(grays, baseline, signature) for _ in range(3))
    plain = min(plain_pass(grays) for _ in range(3))
    print(f"python {platform.python_version()}, OpenCV {cv2.__version__}, one thread")
    print(f"frames: {len(grays)} of 320x180 gray")
    print(f"classifier: {ours:.3f} s CPU, {len(grays) / ours:,.0f} frames/s/core")
    print(f"plain OpenCV Laplacian-variance pass: {plain:.3f} s CPU, "
          f"{len(grays) / plain:,.0f} frames/s/core")
    rate, base = len(grays) / ours, len(grays) / plain
    print(f"RESULT frames={rate:.0f} frames/s/core baseline={base:.0f} ratio={rate / base:.2f}")


if __name__ == "__main__":
    main()
