"""Uptime of devices from the time they were heard: pure arithmetic, no Django.

A device counts from the moment it joined (``since``) until it left (or the window's end);
the share of that time in which it was heard is its uptime. The time heard is summed by the
database (complaints/terminals.py off_percent): a device's spans never overlap, since a
heartbeat extends the last span or starts one after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def off_share(devices: Iterable[tuple[dt.datetime, dt.datetime | None, dt.timedelta]],
              start: dt.datetime, end: dt.datetime) -> float | None:
    """Over devices given as (since, until or None, time heard within [start, end)): the
    share of their expected time in [start, end) in which they were not heard; None when no
    device was expected in the window."""
    expected = dt.timedelta(0)
    heard = dt.timedelta(0)
    for since, until, heard_time in devices:
        begin, finish = max(start, since), min(end, until or end)
        if finish <= begin:
            continue
        expected += finish - begin
        heard += min(heard_time, finish - begin)
    if not expected:
        return None
    return max(0.0, 1.0 - heard / expected)
