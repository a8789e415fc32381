"""Russian dates as people in Kazakhstan write them: day.month.year and a 24-hour clock,
the same on every page and in every PDF (Django's own ru formats mix "6 декабря 2026 г." and
"06.12.2026")."""

from custodywatch.formats.en.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS

DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # a no-break space
NUMBER_GROUPING = 3

__all__ = ["DATE_INPUT_FORMATS", "DATETIME_INPUT_FORMATS"]
