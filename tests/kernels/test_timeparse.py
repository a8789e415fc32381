"""The timestamp parser against datetime as the oracle, fast path and full path alike."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custodywatch.kernels.timeparse import MAX_MS, parse_timestamp_ms

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def oracle_ms(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(milliseconds=1)


moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
                       timezones=st.just(dt.UTC)).map(
    lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59)


@settings(max_examples=300, deadline=None)
@given(moment=moments, offset=offsets, style=st.sampled_from(["colon", "plain", "z"]))
def test_iso_with_any_offset_is_the_same_instant(moment, offset, style):
    zone = dt.UTC if style == "z" else dt.timezone(dt.timedelta(minutes=offset))
    text = moment.astimezone(zone).isoformat(timespec="milliseconds")
    if style == "z":
        text = text.replace("+00:00", "Z")
    elif style == "plain":
        text = text[:-3] + text[-2:]  # +05:00 -> +0500
    assert parse_timestamp_ms(text) == oracle_ms(moment)


@settings(max_examples=300, deadline=None)
@given(ms=st.integers(min_value=-10**12, max_value=10**14), decimals=st.integers(0, 3))
def test_epoch_seconds_are_exact_integers(ms, decimals):
    ms -= ms % 10 ** (3 - decimals)  # representable with that many decimals
    sign, whole, frac = ("-" if ms < 0 else ""), abs(ms) // 1000, abs(ms) % 1000
    text = f"{sign}{whole}" + (f".{frac:03d}"[: decimals + 1] if decimals else "")
    assert parse_timestamp_ms(text) == ms
    assert parse_timestamp_ms(f" {text} ") == ms  # the full path, same answer


@pytest.mark.parametrize(("text", "words"), [
    ("1704430800.2500", "too many fractional digits"),
    ("1704430800.", "invalid timestamp"),
    ("99999999999999", "outside years"),
    ("１７０４", "invalid timestamp"),  # full-width digits are not ASCII digits
    ("2024-02-30T10:00:00Z", "invalid date/time in '2024-02-30T10:00:00Z'"),
    ("2024-01-05T24:00:00Z", "invalid date/time"),
    ("2024-01-05T10:60:00+05:00", "invalid date/time"),
    ("2024-01-05T10:00:00", "offset or Z is required"),
    ("2024-01-05T10:00Z", "lacks seconds"),
    ("2024-01-05T10:00:00+24:00", "offset out of range"),
    ("", "empty timestamp"),
])
def test_bad_input_says_what_is_wrong(text, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        parse_timestamp_ms(text)


def test_the_cached_day_is_revalidated_for_each_text():
    assert parse_timestamp_ms("2024-02-29T00:00:00Z") == oracle_ms(
        dt.datetime(2024, 2, 29, tzinfo=dt.UTC))
    with pytest.raises(ValueError):
        parse_timestamp_ms("2023-02-29T00:00:00Z")
    assert parse_timestamp_ms("99999999999.999") <= MAX_MS
