"""Geometry of the state strips drawn as inline SVG (camera wall, recording gaps).

A strip is a fixed number of time bins, so its size does not grow with a flapping camera.
A bin shows the fault that filled most of it when any fault touched it (an overseer must
see a short blackout), else "no report" when part of it went unreported, else the state
that filled it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from custodywatch.video.timing import to_ms

NO_REPORT = "unknown"
QUIET_STATES = frozenset({"ok", "recorded"})  # what a healthy bin is made of
WIDTH = 100.0  # the SVG viewBox width; x and widths are in these units


@dataclass(frozen=True)
class Rect:
    x: float
    width: float
    state: str


@dataclass(frozen=True)
class Strip:
    rects: list[Rect]
    start: dt.datetime
    end: dt.datetime
    quiet_share: float  # share of the window in a healthy state ("ok" or "recorded")

    @property
    def quiet_percent(self) -> int:
        return int(self.quiet_share * 100)


def state_strip(*, start: dt.datetime, end: dt.datetime,
                spans: Sequence[tuple[dt.datetime, dt.datetime, str]], bins: int = 168) -> Strip:
    lo, hi = to_ms(start), to_ms(end)
    edges = np.linspace(lo, hi, bins + 1).round().astype(np.int64)
    states = sorted({state for _s, _e, state in spans})
    filled = np.zeros((len(states), bins), dtype=np.int64)
    for began, ended, state in spans:
        s, e = max(to_ms(began), lo), min(to_ms(ended), hi)
        if e <= s:
            continue
        # Overlap of [s, e) with every bin at once.
        overlap = np.clip(np.minimum(edges[1:], e) - np.maximum(edges[:-1], s), 0, None)
        filled[states.index(state)] += overlap
    bin_ms = np.diff(edges)
    labels: list[str] = []
    for b in range(bins):
        faults = [(filled[k, b], state) for k, state in enumerate(states)
                  if state not in QUIET_STATES and filled[k, b] > 0]
        if faults:
            labels.append(max(faults)[1])
        elif filled[:, b].sum() < bin_ms[b]:
            labels.append(NO_REPORT)
        else:
            labels.append(max((filled[k, b], state) for k, state in enumerate(states))[1])
    rects: list[Rect] = []
    step = WIDTH / bins
    for b, label in enumerate(labels):
        if rects and rects[-1].state == label:
            last = rects[-1]
            rects[-1] = Rect(last.x, last.width + step, label)
        else:
            rects.append(Rect(round(b * step, 3), step, label))
    rects = [Rect(r.x, round(r.width, 3), r.state) for r in rects]
    quiet = sum(int(filled[k].sum()) for k, state in enumerate(states) if state in QUIET_STATES)
    return Strip(rects=rects, start=start, end=end, quiet_share=quiet / max(hi - lo, 1))
