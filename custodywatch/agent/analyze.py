"""``custodywatch agent analyze VIDEO [--reference IMAGE] [--json]`` (CONTRACTS.md).

Spans in time order covering the whole duration, without gaps or overlaps, seconds from the
video's start; then one line per room marker decoded (its id, first and last time, and the
share of analysed frames between them that showed it); then a summary line with the frames
decoded, frames analysed and seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from custodywatch.agent.analysis import CameraAnalyser
from custodywatch.agent.decode import SourceError, VideoSource
from custodywatch.kernels.frames import Span, merge_spans, to_analysis_gray
from custodywatch.kernels.markers import MarkerDetector, MarkerLog, MarkerSeen


class BadInput(Exception):
    """Bad input: the message names the file or field."""


@dataclass
class AnalysisResult:
    spans: list[Span]
    frames_decoded: int
    frames_analysed: int
    seconds: float
    duration: float
    markers: list[MarkerSeen] = field(default_factory=list)
    marker_frames: int = 0  # frames searched for markers
    marker_cpu: float = 0.0  # CPU seconds those searches took (process time)


def load_reference(path: str) -> np.ndarray:
    if not Path(path).is_file():
        raise BadInput(f"{path}: --reference: no such file")
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise BadInput(f"{path}: --reference: not an image OpenCV can read")
    return to_analysis_gray(image)


def analyze_video(video: str, reference: np.ndarray | None = None,
                  sample_seconds: float = 1.0, markers_every: int = 1) -> AnalysisResult:
    """Classify a whole file or stream (until it ends); room markers are searched in one
    analysed frame of every ``markers_every`` (0: never), on the frame's full-size luma."""
    started = time.perf_counter()
    source = VideoSource(video, sample_seconds=sample_seconds)
    analyser = CameraAnalyser(reference=reference)
    detector = MarkerDetector() if markers_every > 0 else None
    marker_log = MarkerLog()
    marker_cpu = 0.0
    spans: list[Span] = []
    last_at = 0.0
    broken = False
    try:
        for index, sample in enumerate(source.samples()):
            spans += analyser.feed(sample.at, sample.gray, sample.previous_packet_at)
            last_at = sample.at
            if detector is not None and index % markers_every == 0:
                searched = time.process_time()
                picture = sample.luma if sample.luma is not None else sample.gray
                marker_log.observe(sample.at, detector.detect(picture))
                marker_cpu += time.process_time() - searched
    except FileNotFoundError as error:
        raise BadInput(f"{video}: no such file") from error
    except SourceError as error:
        if source.counters.decoded == 0:
            raise BadInput(f"{video}: not a readable video ({error})") from error
        broken = True  # undecodable from here on: no signal to the end
    if source.counters.analysed == 0:
        raise BadInput(f"{video}: no decodable video frames")
    duration = source.duration if source.duration is not None else last_at + sample_seconds
    duration = max(duration, last_at)
    if broken:
        spans += analyser.signal_lost(last_at)
    spans += analyser.finish(duration)
    return AnalysisResult(merge_spans(spans), source.counters.decoded, source.counters.analysed,
                          time.perf_counter() - started, duration, marker_log.summary(),
                          len(marker_log.examined), marker_cpu)


def _seconds(value: float) -> float:
    return round(value, 3)


def write_result(result: AnalysisResult, out: TextIO, as_json: bool) -> None:
    lines: list[str]
    if as_json:
        lines = [json.dumps({"start": _seconds(s.start), "end": _seconds(s.end), "state": s.state})
                 for s in result.spans]
        lines += [json.dumps({"marker": m.marker, "first": _seconds(m.first),
                              "last": _seconds(m.last), "seen": round(m.seen, 3)})
                  for m in result.markers]
        summary = {"summary": True, "frames_decoded": result.frames_decoded,
                   "frames_analysed": result.frames_analysed,
                   "seconds": round(result.seconds, 3)}
        lines = [*lines, json.dumps(summary)]
    else:
        lines = [f"{s.start:9.3f} {s.end:9.3f}  {s.state}" for s in result.spans]
        lines += [f"marker {m.marker:3d}  {m.first:9.3f} {m.last:9.3f}  seen {m.seen:.2f}"
                  for m in result.markers]
        lines = [*lines, f"frames decoded {result.frames_decoded}, analysed "
                         f"{result.frames_analysed}, {result.seconds:.3f} s"]
    for line in lines:
        out.write(line + "\n")
