"""Uptime of devices from the spans in which they were heard: pure arithmetic, no Django.

A device counts from the moment it joined (``since``) until it left (or the window's end);
the share of that time covered by its spans (overlaps counted once) is its uptime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

Span = tuple[dt.datetime, dt.datetime]


def covered(spans: Iterable[Span], start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """The time in [start, end) covered by the spans, overlaps counted once."""
    total = dt.timedelta(0)
    reach = start
    for began, ended in sorted(spans):
        began, ended = max(began, reach), min(ended, end)
        if ended > began:
            total += ended - began
            reach = ended
    return total


def off_share(devices: Iterable[tuple[dt.datetime, dt.datetime | None, list[Span]]],
              start: dt.datetime, end: dt.datetime) -> float | None:
    """Over devices given as (since, until or None, spans): the share of their expected time
    in [start, end) in which they were not heard; None when no device was expected."""
    expected = dt.timedelta(0)
    heard = dt.timedelta(0)
    for since, until, spans in devices:
        begin, finish = max(start, since), min(end, until or end)
        if finish <= begin:
            continue
        expected += finish - begin
        heard += covered(spans, begin, finish)
    if not expected:
        return None
    return max(0.0, 1.0 - heard / expected)
