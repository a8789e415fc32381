"""One way to write a moment in kk and ru: day.month.year and a 24-hour clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import formats, translation

AFTERNOON = dt.datetime(2025, 12, 14, 15, 42)


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("name", ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"])
def test_moments_are_day_month_year_and_24_hours(language, name):
    with translation.override(language):
        assert formats.date_format(AFTERNOON, name) == "14.12.2025 15:42"
        assert formats.date_format(AFTERNOON.date(), "DATE_FORMAT") == "14.12.2025"


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_template_date_without_format_is_never_american(language):
    with translation.override(language):
        text = Template("{{ moment }}").render(Context({"moment": AFTERNOON}))
    assert "12/14" not in text and "p.m." not in text and "15:42" in text
