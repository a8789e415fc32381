"""Which part of a period has footage off-site, only at the facility, or none; no Django.

Intervals are (start, end) in integer milliseconds. ``escrowed`` and ``local`` are the spans
of segments escrowed and of segments only hashed (the file stays at the facility); a moment
covered by both counts as escrowed. The rest of the period is lost (no segment at all).
"""

from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[int, int]


def union(intervals: Iterable[Interval], clip: Interval) -> list[Interval]:
    """Sorted, merged, clipped to ``clip``."""
    low, high = clip
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        start, end = max(start, low), min(end, high)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def covered_ms(intervals: Iterable[Interval], clip: Interval) -> int:
    return sum(end - start for start, end in union(intervals, clip))


def footage_split(period: Interval, escrowed: Iterable[Interval], local: Iterable[Interval]
                  ) -> tuple[int, int, int]:
    """(escrowed, local only, lost) milliseconds of ``period``."""
    escrowed = list(escrowed)
    off_site = covered_ms(escrowed, period)
    anywhere = covered_ms(escrowed + list(local), period)
    total = max(0, period[1] - period[0])
    return off_site, anywhere - off_site, total - anywhere
