"""Benchmark the agent end to end: H.264 1280x720 file -> sparse decode -> classifier -> spans.

    python bench/agent_e2e.py           # a 120 s clip, read 3 times
    python bench/agent_e2e.py --quick   # a 20 s clip, read 5 times
    taskset -c 0 python bench/agent_e2e.py --quick   # held to one core, as the figure means

The clip: a rendered custody room (people, noise, lights dimmed), scaled to 1280x720 with
film grain by ffmpeg, 25 frames/s, one key frame a second (a recorder's usual stream),
x264 ``veryfast`` in both modes: CABAC, B-frames and the deblocking filter, as recorders'
main streams (``ultrafast``, which ``--quick`` used before, has none of them and takes about
a third less CPU, flattering the figure). Each camera needs one analysed frame per second
of video, so cameras per core = seconds of video handled per CPU second (decoder and OpenCV
held to one thread). Baseline, same run, same file: the plain way, decoding every frame and
keeping one a second.

Room markers (kernels/markers.py): the clip shows one AprilTag 36h11 sheet on the wall
(about 120 px across in 720p). In the same run the agent reads the file without marker
search and with a search in every analysed frame (on the key frame's full 1280x720 luma,
as ``agent analyze`` does); the search's own CPU time per frame is set against the agent's
per-frame cost without it, and against that cost when the search runs on one analysed
frame in ``markers_every`` (the service's default, agent/config.py). The bench clip's room
is rendered at 320x180 and scaled up, so its wall is smooth; a native 720p textured wall
gives the search more contours to look at, so the search is also timed on the key frames
of the marker test set (tests/agent/marker_scenes.py: 7 clips, 13 tags, 2 without any),
with its recall, and the larger of the two costs is the one set against the agent's.

Last lines: ``RESULT agent_e2e=<cameras> cameras/core baseline=<cameras> ratio=<x>`` and
``RESULT markers=<ms> ms/searched frame agent=<ms> ms/frame added=<%> every=<n> added_every=<%>``.
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

import av
import cv2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from custodywatch.agent.analyze import analyze_video  # noqa: E402 - after the sys.path line
from custodywatch.agent.config import AgentConfig  # noqa: E402
from custodywatch.agent.decode import (  # noqa: E402
    KEY_FRAME_DECODER_OPTIONS,
    VideoSource,
    analysis_gray,
)
from custodywatch.kernels.markers import MarkerDetector  # noqa: E402
from tests.agent.marker_scenes import (  # noqa: E402
    Placement,
    marker_specs,
    paste,
    write_marker_clip,
)
from tests.agent.scenes import ClipSpec, render_frames  # noqa: E402

MARKER = Placement(17, 0.62, 0.2, 120, yaw=25)  # 30 px on the 320x180 render, x4 by ffmpeg


def make_clip(seconds: int, directory: Path, preset: str) -> Path:
    path = directory / "camera_720p.mp4"
    spec = ClipSpec("e2e", seed=4, seconds=seconds, fps=25, people=2)
    command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray",
               "-s", f"{spec.width}x{spec.height}", "-r", "25", "-i", "-",
               "-vf", "scale=1280:720:flags=bicubic,noise=alls=6:allf=t",
               "-c:v", "libx264", "-preset", preset, "-crf", "26", "-g", "25",
               "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p", str(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE)
    assert process.stdin is not None
    for _t, gray in render_frames(spec):
        picture = gray.astype(np.float32)
        paste(picture, MARKER)
        process.stdin.write(np.clip(picture, 0, 255).astype(np.uint8).tobytes())
    process.stdin.close()
    assert process.wait() == 0
    return path


def plain_decode(path: Path) -> tuple[float, int]:
    """Every frame decoded (one thread), one a second made 320x180 gray as the agent does."""
    started = time.process_time()
    kept = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        next_at = 0.0
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= next_at:
                analysis_gray(frame)
                kept += 1
                next_at = frame.time + 0.9
    return time.process_time() - started, kept


def marker_set_search(directory: Path) -> tuple[float, int, int, int]:
    """Median CPU ms of one search over the marker test set's key frames (best of 3 per
    frame), tags found, tags placed, ids reported that were not placed."""
    detector = MarkerDetector()
    costs: list[float] = []
    found = placed = false = 0
    for spec in marker_specs():
        path = write_marker_clip(spec, directory)
        for sample in VideoSource(str(path)).samples():
            assert sample.luma is not None
            best = float("inf")
            for _ in range(3):
                started = time.process_time()
                ids = detector.detect(sample.luma)
                best = min(best, time.process_time() - started)
            costs.append(best * 1000)
            placed += len(spec.markers)
            found += len(set(ids) & set(spec.markers))
            false += len(set(ids) - set(spec.markers))
    return float(np.median(costs)), found, placed, false


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    seconds = 20 if args.quick else 120
    with tempfile.TemporaryDirectory() as directory:
        path = make_clip(seconds, Path(directory), "veryfast")
        runs, marker_runs = [], []
        for _ in range(5 if args.quick else 3):
            for every, into in ((0, runs), (1, marker_runs)):
                started = time.process_time()
                result = analyze_video(str(path), markers_every=every)
                into.append((time.process_time() - started, result))
        cpu, result = min(runs, key=lambda run: run[0])
        marker_total, marked = min(marker_runs, key=lambda run: run[1].marker_cpu)
        plain_cpu, plain_kept = min(plain_decode(path) for _ in range(1 if args.quick else 2))
        set_ms, set_found, set_placed, set_false = marker_set_search(Path(directory))
    states = sorted({span.state for span in result.spans})
    print(f"python {platform.python_version()}, PyAV {av.__version__}, one thread, "
          f"{len(os.sched_getaffinity(0))} core(s) allowed, load {os.getloadavg()[0]:.2f}")
    print(f"key-frame decoder options: {KEY_FRAME_DECODER_OPTIONS}")
    print(f"clip: {seconds} s of H.264 1280x720 at 25 frames/s, key frame every second, "
          "x264 veryfast")
    print(f"agent: frames decoded {result.frames_decoded}, analysed {result.frames_analysed}, "
          f"{cpu:.3f} s CPU; states found {states}")
    print(f"plain: frames decoded {seconds * 25}, analysed {plain_kept}, {plain_cpu:.3f} s CPU")
    every = AgentConfig.__dataclass_fields__["markers_every"].default
    frame_ms = cpu / result.frames_analysed * 1000
    marker_ms = marked.marker_cpu / max(marked.marker_frames, 1) * 1000
    worst_ms = max(marker_ms, set_ms)
    added = worst_ms / frame_ms * 100
    found = [(m.marker, round(m.seen, 2)) for m in marked.markers]
    print(f"markers: searched {marked.marker_frames} frames (1280x720 luma), "
          f"{marker_ms:.2f} ms CPU each; found {found}; "
          f"whole run with search {marker_total:.3f} s CPU "
          f"(+{(marker_total - cpu) / result.frames_analysed * 1000:.2f} ms/frame over without)")
    print(f"markers on the test set's 720p key frames: {set_ms:.2f} ms CPU per search "
          f"(median); found {set_found}/{set_placed} tags, {set_false} false")
    print(f"agent per analysed frame without search: {frame_ms:.2f} ms CPU; search "
          f"({worst_ms:.2f} ms) in every "
          f"frame adds {added:.0f} %, in one frame of {every} (agent run's default) "
          f"{added / every:.1f} %")
    cameras, base = result.duration / cpu, seconds / plain_cpu
    print(f"cameras per core (one analysed frame per second each): {cameras:.0f} "
          f"(plain: {base:.0f})")
    print(f"RESULT agent_e2e={cameras:.0f} cameras/core baseline={base:.0f} "
          f"ratio={cameras / base:.2f}")
    print(f"RESULT markers={worst_ms:.2f} ms/searched frame agent={frame_ms:.2f} ms/frame "
          f"added={added:.0f}% every={every} added_every={added / every:.1f}%")


if __name__ == "__main__":
    main()
