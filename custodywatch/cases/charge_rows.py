"""The row schema of a charges import (issue 26 item 5): one pydantic model that every row is
read through, whether it came from a CSV file or an API batch, and one error format,
"line N: field: message" (an API batch's rows are numbered from 1, a file's lines from 2, after
its header). Validation here, the plan in `kernels.charge_plan`, the writes in `batch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable
from typing import Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, field_validator

from custodywatch.cases.models import Article, Verdict
from custodywatch.cases.rules import MAX_IMPRISONMENT_MONTHS
from custodywatch.core import plausible, rows
from custodywatch.kernels import case_rules

REQUIRED = ("register_number", "accused", "victim", "article")
# Column limits of the models (Officer, Person, Charge): longer is refused, never cut.
TEXT_LIMITS = {"accused": 200, "accused_personnel_number": 40, "victim": 200, "victim_iin": 12,
               "article_part": 10}
TRUE = {"1", "true", "yes", "y", "да", "иә"}
FALSE = {"", "0", "false", "no", "n", "нет", "жоқ"}


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


class ChargeRow(BaseModel):
    """One charge as a court decided it; each field says what is wrong with it."""

    model_config = ConfigDict(validate_default=True, extra="ignore", frozen=True)

    register_number: str = ""
    accused: str = ""
    accused_personnel_number: str = ""
    victim: str = ""
    victim_iin: str = ""
    article: str = ""
    article_part: str = ""
    verdict: str = ""
    verdict_on: dt.date | None = None
    imprisonment_months: int | None = None
    probation: bool = False
    amnesty: bool = False
    limitation: bool = False
    reconciliation: bool = False
    active_repentance: bool = False

    @field_validator(*TEXT_LIMITS, "register_number", "article", mode="before")
    @classmethod
    def _text_field(cls, value: Any, info: Any) -> str:
        text = _text(value)
        if info.field_name in REQUIRED and not text:
            raise ValueError(_("required"))
        limit = TEXT_LIMITS.get(info.field_name)
        if limit is not None and len(text) > limit:
            raise ValueError(_("at most %(count)s characters") % {"count": limit})
        if info.field_name == "register_number":
            number = case_rules.normalise_register_number(text)
            # The cases the importer may write to, looked up once for the batch (context).
            if info.context is not None and number not in info.context["cases"]:
                raise ValueError(_("no case with this number in your scope"))
            return number
        if info.field_name == "article" and text not in Article.values:
            raise ValueError(_("unknown article %(value)r") % {"value": text})
        if info.field_name == "victim_iin" and text and not (
                text.isascii() and text.isdigit() and len(text) == 12):
            raise ValueError(_("an IIN has 12 digits"))
        return text

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value: Any) -> str:
        verdict = _text(value) or Verdict.PENDING
        if verdict not in Verdict.values:
            raise ValueError(_("unknown verdict %(value)r") % {"value": verdict})
        return verdict

    @field_validator("verdict_on", mode="before")
    @classmethod
    def _verdict_on(cls, value: Any) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(_("not a date (YYYY-MM-DD)")) from None
        problem = plausible.problem(plausible.Kind.PAST, value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("imprisonment_months", mode="before")
    @classmethod
    def _months(cls, value: Any) -> int | None:
        """A whole number of months from 0 to MAX_IMPRISONMENT_MONTHS: no Infinity, 1e30,
        1e10 or 2**63 (they overflowed the column: a 500)."""
        if value is None or value == "":
            return None
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
            raise ValueError(_("not a whole number of months"))
        if len(text) > 6 or int(text) > MAX_IMPRISONMENT_MONTHS:
            raise ValueError(_("at most %(count)s months") % {"count": MAX_IMPRISONMENT_MONTHS})
        return int(text)

    @field_validator(*case_rules.RELEASE_FLAGS, mode="before")
    @classmethod
    def _flag(cls, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = _text(value).casefold()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ValueError(_("yes or no"))


def line_error(line: int, field: str, message: str) -> str:
    """The one error format of an import (core.rows): the line (or the batch's row number)
    and the field."""
    return str(rows.RowError(line, field, message))


def read_rows(raw_rows: Iterable[dict[Any, Any]], first_line: int, cases: Container[str]
              ) -> tuple[list[tuple[int, ChargeRow | None]], list[str]]:
    """Every row through ChargeRow (core.rows.read_rows): (line, row or None where refused)
    and every error; a row names a case of `cases` (the register numbers the importer may
    write to)."""
    read, errors = rows.read_rows(ChargeRow, raw_rows, first_line, context={"cases": cases})
    return read, [str(error) for error in errors]
