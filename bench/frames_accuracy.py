"""Precision and recall of camera-fault detection on generated H.264 clips.

    python bench/frames_accuracy.py                      # 48 clips of 24 s, 320x180 ultrafast
    python bench/frames_accuracy.py --quick              # 12 clips
    python bench/frames_accuracy.py --quick --recorder   # the same 12, 1280x720 veryfast
    python bench/frames_accuracy.py --size WxH --preset P --fps N   # any other encoding

Each clip is a rendered custody room (random furniture, one to three people walking, lights
dimmed or raised at a random moment, sensor noise), encoded by ffmpeg with a key frame a
second: by default at 320x180 with x264 ``ultrafast`` (no B-frames, no deblocking), or with
``--recorder`` (``--size 1280x720 --preset veryfast --fps 5``) rendered natively at 720p and
encoded as recorders' main streams are (CABAC, B-frames, deblocking), so the classifier reads
a picture shrunk 4x, where sensor noise averages down to under a level. A quarter are clean,
the rest carry one fault (black, frozen, covered, blurred, moved or a gap with no signal) at a
random time for 5 to 10 s. A fault is found when a detected span of the same state starts and
ends within 3 s of the truth; a detected fault span that matches no true fault is a false
alarm. Baseline, same clips: the same
decoding and hysteresis with the absolute thresholds of the usual recipes (mean < 25 black,
Laplacian variance < 100 blurred, standard deviation < 10 covered, identical frames frozen,
no view check).

Detection delay (issue 19): for each true fault, the seconds from its onset to the sample at
which the agent took the fault's state (``CameraAnalyser`` fed sample by sample, as ``agent
run`` does; one key frame a second), printed per state with how many took over 3 s.
``--short`` makes every fault 3 to 5 s long (freezes under 10 s were missed once).
Spans of ``unknown`` (the first seconds, while a camera's baseline is learned) are neither
faults nor false alarms.

Last line: ``RESULT frames_accuracy=<F1> f1 baseline=<F1> ratio=<x>``, with recall and
precision of both printed above it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from custodywatch.agent.analysis import CameraAnalyser  # noqa: E402 - after the sys.path line
from custodywatch.agent.analyze import analyze_video  # noqa: E402
from custodywatch.agent.decode import VideoSource  # noqa: E402
from custodywatch.kernels import frames  # noqa: E402
from tests.agent.scenes import FAULTS, ClipSpec, Fault, write_clip  # noqa: E402

TOLERANCE = 3.0
SECONDS = 24.0


# A recorder's main stream. Rendered at 5 frames a second, not 10: rendering 720p frames in
# numpy is most of the run's CPU, and the classifier reads one key frame a second either way.
RECORDER = ("1280x720", "veryfast", 5)


def make_specs(count: int, seed: int = 2024, size: tuple[int, int] = (320, 180),
               fps: int = 10, short: bool = False) -> list[ClipSpec]:
    rng = np.random.default_rng(seed)
    kinds = ["clean", *FAULTS, "no_signal"]
    specs = []
    for n in range(count):
        kind = "clean" if n % 4 == 0 else kinds[1 + n % (len(kinds) - 1)]
        start = float(rng.integers(10, 14))
        end = start + float(rng.integers(5, 11))
        if short:  # the same draws either way, so the default set is unchanged
            end = start + 3.0 + (end - start - 5.0) / 3.0
        common = {"seed": 100 + n, "seconds": SECONDS, "people": int(rng.integers(1, 4)),
                  "lights_gain": float(rng.choice([0.5, 0.7, 1.4])),
                  "lights_at": float(rng.uniform(9, 20))}
        if kind == "clean":
            specs.append(ClipSpec(f"c{n:02d}_clean", **common))
        elif kind == "no_signal":
            specs.append(ClipSpec(f"c{n:02d}_gap", gap=(start, end), **common))
        else:
            specs.append(ClipSpec(f"c{n:02d}_{kind}", faults=(Fault(kind, start, end),),
                                  **common))
    # The same recipes (seeds, faults, people, lights) at any size: the scene scales with it.
    return [replace(spec, width=size[0], height=size[1], fps=fps) for spec in specs]


def truth(spec: ClipSpec) -> list[frames.Span]:
    if spec.gap is not None:
        return [frames.Span(spec.gap[0], spec.gap[1], frames.NO_SIGNAL)]
    return [frames.Span(f.start, f.end, f.state) for f in spec.faults]


def naive_spans(path: str) -> list[frames.Span]:
    """The same decoding and hysteresis, with absolute thresholds and no baseline."""
    tracker = frames.StateTracker()
    tracker.confirm_frozen = tracker.confirm  # the recipe's hysteresis: 3 samples for all
    spans: list[frames.Span] = []
    previous = None
    source = VideoSource(path)
    last = 0.0
    for sample in source.samples():
        gray = sample.gray
        if sample.previous_packet_at is not None and (
                sample.at - sample.previous_packet_at > 3.0):
            spans += tracker.force(sample.previous_packet_at, frames.NO_SIGNAL)
        if gray.mean() < 25:
            state = frames.BLACK
        elif gray.std() < 10:
            state = frames.COVERED
        elif previous is not None and cv2.absdiff(gray, previous).max() == 0:
            state = frames.FROZEN
        elif cv2.Laplacian(gray, cv2.CV_64F).var() < 100:
            state = frames.BLURRED
        else:
            state = frames.OK
        spans += tracker.observe(sample.at, state)
        previous, last = gray, sample.at
    spans += tracker.cut(max(source.duration or 0.0, last))
    return frames.merge_spans(spans)


NOT_FAULTS = (frames.OK, getattr(frames, "UNKNOWN", "unknown"))


def detection_delays(path: str, truths: list[frames.Span]) -> list[tuple[str, float | None]]:
    """Per true fault, the seconds from its onset to the sample at which the analyser, fed
    sample by sample as the live agent feeds it, took that state (None: never)."""
    analyser = CameraAnalyser()
    taken: list[tuple[float, str]] = []
    for sample in VideoSource(path).samples():
        before = analyser.tracker.state
        analyser.feed(sample.at, sample.gray, sample.previous_packet_at)
        if analyser.tracker.state != before:
            taken.append((sample.at, analyser.tracker.state))
    delays: list[tuple[str, float | None]] = []
    for fault in truths:
        if fault.state == frames.NO_SIGNAL:
            continue  # a fact of the stream, taken at the next packet
        at = next((moment for moment, state in taken
                   if state == fault.state and moment >= fault.start - TOLERANCE), None)
        delays.append((fault.state, None if at is None else at - fault.start))
    return delays


def run_clip(spec: ClipSpec, directory: str, preset: str = "ultrafast"
             ) -> tuple[str, list, list, list, list]:
    path = str(write_clip(spec, Path(directory), preset=preset))
    ours = [s for s in analyze_video(path).spans if s.state not in NOT_FAULTS]
    naive = [s for s in naive_spans(path) if s.state != frames.OK]
    delays = detection_delays(path, truth(spec))
    os.remove(path)
    return spec.name, truth(spec), ours, naive, delays


def matches(a: frames.Span, b: frames.Span) -> bool:
    return (a.state == b.state and abs(a.start - b.start) <= TOLERANCE
            and abs(a.end - b.end) <= TOLERANCE)


def score(results: list[tuple[list, list]]) -> tuple[float, float, float, int, int]:
    true_total = sum(len(t) for t, _ in results)
    found = sum(any(matches(d, t) for d in detected) for truths, detected in results
                for t in truths)
    detected_total = sum(len(d) for _, d in results)
    correct = sum(any(matches(d, t) for t in truths) for truths, detected in results
                  for d in detected)
    recall = found / true_total if true_total else 1.0
    precision = correct / detected_total if detected_total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return recall, precision, f1, detected_total - correct, true_total - found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--size", default="320x180", help="WxH the clips are rendered at")
    parser.add_argument("--preset", default="ultrafast", help="x264 preset")
    parser.add_argument("--fps", type=int, default=10, help="frames a second rendered")
    parser.add_argument("--short", action="store_true",
                        help="faults of 3 to 5 s instead of 5 to 10 s")
    parser.add_argument("--recorder", action="store_true",
                        help=f"as a recorder's main stream: --size {RECORDER[0]} "
                             f"--preset {RECORDER[1]} --fps {RECORDER[2]}")
    args = parser.parse_args()
    if args.recorder:
        args.size, args.preset, args.fps = RECORDER
    width, height = (int(part) for part in args.size.lower().split("x"))
    specs = make_specs(12 if args.quick else 48, size=(width, height), fps=args.fps,
                       short=args.short)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory, ProcessPoolExecutor(2) as pool:
        results = list(pool.map(run_clip, specs, [directory] * len(specs),
                                [args.preset] * len(specs)))
    for name, truths, ours, _naive, _delays in results:
        flag = "" if len(ours) == len(truths) and all(
            any(matches(d, t) for d in ours) for t in truths) else "   <-- miss or false alarm"
        print(f"{name:14s} truth {[(t.state, t.start, t.end) for t in truths]} "
              f"found {[(d.state, round(d.start, 1), round(d.end, 1)) for d in ours]}{flag}")
    recall, precision, f1, false_alarms, misses = score([(t, o) for _, t, o, _, _ in results])
    n_recall, n_precision, n_f1, n_false, n_misses = score([(t, n) for _, t, _, n, _ in results])
    delays: dict[str, list[float | None]] = {}
    for *_rest, clip_delays in results:
        for state, delay in clip_delays:
            delays.setdefault(state, []).append(delay)
    for state, values in sorted(delays.items()):
        taken = sorted(v for v in values if v is not None)
        late = sum(v is None or v > TOLERANCE for v in values)
        print(f"detection delay {state:8s}: {len(values)} faults, median "
              f"{np.median(taken) if taken else float('nan'):.1f} s, max "
              f"{max(taken) if taken else float('nan'):.1f} s, over {TOLERANCE:g} s or never: "
              f"{late}")
    print(f"clips: {len(results)} ({sum(not t for _, t, _, _, _ in results)} clean), "
          f"{width}x{height} {args.fps} fps x264 {args.preset}, tolerance {TOLERANCE:g} s, "
          f"{time.perf_counter() - started:.0f} s wall")
    print(f"per-camera baselines: recall {recall:.3f}, precision {precision:.3f}, "
          f"misses {misses}, false alarms {false_alarms}")
    print(f"absolute thresholds:  recall {n_recall:.3f}, precision {n_precision:.3f}, "
          f"misses {n_misses}, false alarms {n_false}")
    print(f"RESULT frames_accuracy={f1:.3f} f1 baseline={n_f1:.3f} "
          f"ratio={f1 / n_f1 if n_f1 else float('inf'):.2f}")


if __name__ == "__main__":
    main()
