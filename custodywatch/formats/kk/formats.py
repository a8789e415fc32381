"""Kazakh dates as Russian ones: day.month.year and a 24-hour clock, the same on every page and
in every PDF (Django has no kk formats, so kk pages fell back to the American
12/14/2025 3:42 Т.Ж.)."""

from custodywatch.formats.ru.formats import (  # noqa: F401 - Django reads these names
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    DATETIME_INPUT_FORMATS,
    DECIMAL_SEPARATOR,
    FIRST_DAY_OF_WEEK,
    MONTH_DAY_FORMAT,
    NUMBER_GROUPING,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    THOUSAND_SEPARATOR,
    TIME_FORMAT,
    YEAR_MONTH_FORMAT,
)
