"""The one error format of batches and CSV files (core.rows, issue 26 item 5): where (a line
or an item's index), which field, what is wrong; every error collected; no Django needed."""

from __future__ import annotations

import subprocess
import sys

from pydantic import BaseModel, field_validator

from custodywatch.core import rows


class Row(BaseModel):
    code: str
    days: int = 1

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not value.isupper():
            raise ValueError("upper case only")
        return value


def test_a_line_and_an_item_name_their_place_and_field():
    assert str(rows.RowError(4, "kind", "unknown")) == "line 4: kind: unknown"
    item = rows.RowError(3, "end", "before start", item=True)
    assert (str(item), item.key, item.index) == ("items[3].end: before start",
                                                 "items[3].end", 3)
    assert rows.RowError(0, rows.WHOLE_ROW, "x", item=True).key == "items[0]"


def test_every_bad_row_and_field_is_collected_with_the_validators_own_message():
    read, errors = rows.read_rows(Row, [{"code": "A"}, {"code": "b", "days": "many"},
                                        {"days": 2, None: ["extra"]}], 2)
    assert [row is not None for _line, row in read] == [True, False, False]
    assert [(e.line, e.field, e.message) for e in errors.sorted()] == [
        (3, "code", "upper case only"),
        (3, "days", "Input should be a valid integer, unable to parse string as an integer"),
        (4, "-", "more values than columns"),
        (4, "code", "Field required")]
    assert errors.texts()[0] == "line 3: code: upper case only"


def test_items_group_by_key_as_the_api_answers():
    _read, errors = rows.read_rows(Row, [{"code": "A"}, {"code": "a\x00"}], 0, item=True)
    assert errors.by_key() == {"items[1].code": ["contains a NUL character",
                                                 "upper case only"]}


def test_the_collector_keeps_the_first_errors_up_to_its_limit():
    errors = rows.RowErrors(limit=2)
    for line in range(5):
        errors.add(line, "f", "bad")
    assert [e.line for e in errors] == [0, 1]


def test_it_loads_without_django():
    # The coverage CLI uses it outside Django.
    code = ("import sys, custodywatch.core.rows as r; "
            "assert str(r.RowError(2, 'f', 'm')) == 'line 2: f: m'; "
            "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
