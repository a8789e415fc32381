"""Parse contract timestamps into exact integer epoch milliseconds.

Accepted (after stripping surrounding whitespace):

* ISO 8601 date-time with seconds and a UTC designator: ``2024-01-05T10:00:00Z``,
  ``2024-01-05T10:00:00.250+05:00``, ``2024-01-05T10:00:00-0330``.
  At most three fractional digits. A time without ``Z``/offset is rejected: a naive
  wall-clock time cannot be placed on the timeline without guessing a zone.
* Epoch seconds: ``1704430800`` or ``1704430800.25`` (at most three decimals),
  optionally negative.

Pure standard library; no floats anywhere, so ``"1704430800.250"`` is exactly
``1704430800250`` and never ``...249``.
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["MAX_MS", "MIN_MS", "parse_timestamp_ms"]

_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_MS_PER_DAY = 86_400_000

# The representable range is that of ``datetime`` (years 1..9999, UTC). Keeping epoch
# input inside the same range means every accepted value can be rendered as ISO and
# stored as a PostgreSQL timestamptz.
MIN_MS = (_dt.date(1, 1, 1).toordinal() - _EPOCH_ORDINAL) * _MS_PER_DAY
MAX_MS = (_dt.date(9999, 12, 31).toordinal() - _EPOCH_ORDINAL + 1) * _MS_PER_DAY - 1

# re.ASCII: ``\d`` must not match other scripts' digits (e.g. Arabic-Indic).
_EPOCH_RE = re.compile(r"(-?)(\d+)(?:\.(\d+))?", re.ASCII)
_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d+))?"
    r"(Z|[+-]\d{2}:\d{2}|[+-]\d{4})?",
    re.ASCII,
)
_ISO_NO_SECONDS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?:Z|[+-].*)?", re.ASCII)


def _show(text: str) -> str:
    """Quote the offending input, cut short so a huge cell cannot flood the message."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _fraction_ms(frac: str | None, text: str) -> int:
    if not frac:
        return 0
    if len(frac) > 3:
        raise ValueError(
            f"too many fractional digits in {_show(text)}: at most 3 (milliseconds) allowed"
        )
    # Right-pad: ".25" means 250 ms, not 25 ms.
    return int(frac.ljust(3, "0"))


def _check_range(ms: int, text: str) -> int:
    if not MIN_MS <= ms <= MAX_MS:
        raise ValueError(f"timestamp {_show(text)} is outside years 0001..9999")
    return ms


# Days since the epoch per "YYYY-MM-DD" seen: a batch of spans names few distinct days, and
# validating the calendar date is the dearest step of a parse. Bounded; cleared when full.
_DAYS: dict[str, int] = {}
_DAYS_MAX = 4096


def _days(text: str, year: str, month: str, day: str, whole: str) -> int:
    days = _DAYS.get(text)
    if days is None:
        try:
            # Calendar validation (month lengths, leap years) is datetime's.
            days = _dt.date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
        except ValueError as exc:
            raise ValueError(f"invalid date/time in {_show(whole)}: {exc}") from None
        if len(_DAYS) >= _DAYS_MAX:
            _DAYS.clear()
        _DAYS[text] = days
    return days


def parse_timestamp_ms(text: str) -> int:
    """Return ``text`` as integer milliseconds since 1970-01-01T00:00:00Z.

    Raises ValueError, with a message suitable for users, for anything outside the
    contract.
    """
    if not isinstance(text, str):
        raise TypeError(f"timestamp must be str, not {type(text).__name__}")
    # Fast path, what agents send: unsigned epoch seconds with at most three decimals. At
    # most 11 integer digits keeps it inside MAX_MS; anything else takes the full path.
    whole, dot, frac = text.partition(".")
    if (whole.isascii() and whole.isdigit() and len(whole) <= 11
            and (not dot or (frac.isascii() and frac.isdigit() and len(frac) <= 3))):
        return int(whole) * 1000 + (int(frac.ljust(3, "0")) if frac else 0)
    s = text.strip()
    if not s:
        raise ValueError("empty timestamp")

    m = _EPOCH_RE.fullmatch(s)
    if m is not None:
        sign, whole, frac = m.groups()
        ms = int(whole) * 1000 + _fraction_ms(frac, s)
        return _check_range(-ms if sign else ms, s)

    m = _ISO_RE.fullmatch(s)
    if m is None:
        if _ISO_NO_SECONDS_RE.fullmatch(s):
            raise ValueError(f"timestamp {_show(s)} lacks seconds (use HH:MM:SS)")
        raise ValueError(
            f"invalid timestamp {_show(s)}: expected ISO 8601 with offset "
            "(e.g. 2024-01-05T10:00:00.250+05:00) or epoch seconds"
        )
    year, month, day, hour, minute, second, frac, tz = m.groups()
    frac_ms = _fraction_ms(frac, s)
    if tz is None:
        raise ValueError(f"naive ISO time {_show(s)}: a UTC offset or Z is required")
    days = _days(s[:10], year, month, day, s)
    hours, minutes, seconds = int(hour), int(minute), int(second)
    if hours > 23 or minutes > 59 or seconds > 59:
        try:
            _dt.time(hours, minutes, seconds)  # datetime's own words for what is wrong
        except ValueError as exc:
            raise ValueError(f"invalid date/time in {_show(s)}: {exc}") from None

    if tz == "Z":
        offset_min = 0
    else:
        digits = tz[1:].replace(":", "")
        off_h, off_m = int(digits[:2]), int(digits[2:])
        if off_h > 23 or off_m > 59:
            raise ValueError(f"UTC offset out of range in {_show(s)}")
        offset_min = off_h * 60 + off_m
        if tz[0] == "-":
            offset_min = -offset_min

    local_s = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    # Local time = UTC + offset, so UTC = local - offset.
    ms = (local_s - offset_min * 60) * 1000 + frac_ms
    return _check_range(ms, s)
