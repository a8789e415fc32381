"""Exact conversions between aware datetimes, contract timestamps and epoch milliseconds,
and the settings that say when a camera counts as silent."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from custodywatch.kernels.timeparse import parse_timestamp_ms

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_MS = dt.timedelta(milliseconds=1)

# Heartbeats stop for this long and the camera counts as no_signal (PRODUCT: unknown
# health is not covered). Settings may override it; two minutes is the default.
DEFAULT_SILENCE_SECONDS = 120
# Agents' clocks drift; a report further ahead of the centre's clock than this is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)


def silence_after() -> dt.timedelta:
    seconds = getattr(settings, "CUSTODYWATCH_VIDEO_SILENCE_SECONDS", DEFAULT_SILENCE_SECONDS)
    return dt.timedelta(seconds=int(seconds))


def to_ms(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in CustodyWatch is aware")
    return (moment - EPOCH) // ONE_MS


def from_ms(ms: int) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=int(ms))


def timestamp_ms(value: object) -> int:
    """A JSON timestamp (string per CONTRACTS.md Times, or epoch seconds as a number)."""
    if isinstance(value, bool):
        raise ValueError("a timestamp, not true/false, is expected")
    if isinstance(value, int):
        return parse_timestamp_ms(str(value))
    if isinstance(value, float):
        # repr() is the shortest text that reads back as the same float, i.e. the digits
        # the client sent when it sent at most three decimals.
        return parse_timestamp_ms(repr(value))
    if isinstance(value, str):
        return parse_timestamp_ms(value)
    raise ValueError("a timestamp (ISO 8601 with offset, or epoch seconds) is expected")
