"""``custodywatch agent analyze VIDEO [--reference IMAGE] [--json]`` (CONTRACTS.md).

Spans in time order covering the whole duration, without gaps or overlaps, seconds from the
video's start; then a summary line with the frames decoded, frames analysed and seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from custodywatch.agent.analysis import CameraAnalyser
from custodywatch.agent.decode import SourceError, VideoSource
from custodywatch.kernels.frames import Span, merge_spans, to_analysis_gray


class BadInput(Exception):
    """Bad input: the message names the file or field."""


@dataclass
class AnalysisResult:
    spans: list[Span]
    frames_decoded: int
    frames_analysed: int
    seconds: float
    duration: float


def load_reference(path: str) -> np.ndarray:
    if not Path(path).is_file():
        raise BadInput(f"{path}: --reference: no such file")
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise BadInput(f"{path}: --reference: not an image OpenCV can read")
    return to_analysis_gray(image)


def analyze_video(video: str, reference: np.ndarray | None = None,
                  sample_seconds: float = 1.0) -> AnalysisResult:
    """Classify a whole file or stream (until it ends)."""
    started = time.perf_counter()
    source = VideoSource(video, sample_seconds=sample_seconds)
    analyser = CameraAnalyser(reference=reference)
    spans: list[Span] = []
    last_at = 0.0
    broken = False
    try:
        for sample in source.samples():
            spans += analyser.feed(sample.at, sample.gray, sample.previous_packet_at)
            last_at = sample.at
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
                          time.perf_counter() - started, duration)


def _seconds(value: float) -> float:
    return round(value, 3)


def write_result(result: AnalysisResult, out: TextIO, as_json: bool) -> None:
    lines: Iterable[str]
    if as_json:
        lines = [json.dumps({"start": _seconds(s.start), "end": _seconds(s.end), "state": s.state})
                 for s in result.spans]
        summary = {"summary": True, "frames_decoded": result.frames_decoded,
                   "frames_analysed": result.frames_analysed,
                   "seconds": round(result.seconds, 3)}
        lines = [*lines, json.dumps(summary)]
    else:
        lines = [f"{s.start:9.3f} {s.end:9.3f}  {s.state}" for s in result.spans]
        lines = [*lines, f"frames decoded {result.frames_decoded}, analysed "
                         f"{result.frames_analysed}, {result.seconds:.3f} s"]
    for line in lines:
        out.write(line + "\n")
