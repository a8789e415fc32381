"""One error format for the rows of a batch or a CSV file (issue 26 item 5).

Registry CSV, custody batches, case charges, video ingestion and the coverage CSV read their
rows through a schema (a pydantic model, or pydantic's own check of a TypedDict) and report
what is wrong the same way: a `RowError` names where (a file's line, counted from 1 with the
header, or a JSON batch's item index, counted from 0), the field ("-" for the whole row) and
the message. Every error of a batch is collected (up to a limit) before anything is refused,
and nothing is written when there is one. Then a pure plan (custodywatch/kernels/) says what to
create, update or leave unchanged, and the app's services apply it atomically.

No Django import here: the coverage CLI (coverage_csv.py) runs without Django. Messages are
translated when Django is loaded and configured (the one template below is in the .po files).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

MAX_ERRORS = 200  # enough to fix a file, short enough to read
WHOLE_ROW = "-"  # the field of an error about the row as a whole

# A row schema: a pydantic model, or a TypedDict that pydantic checks in its core (faster where
# rows are many: the video batches, the coverage CSV).
Model = TypeVar("Model")


def _(text: str) -> str:
    """gettext where Django is loaded and configured (the server, the commands), else as is
    (the coverage CLI). Named `_` so that makemessages finds the template."""
    translation = sys.modules.get("django.utils.translation")
    settings = getattr(sys.modules.get("django.conf"), "settings", None)
    if translation is None or settings is None or not settings.configured:
        return text
    return str(translation.gettext(text))


@dataclass(frozen=True, order=True)
class RowError:
    """What is wrong with one field of one row. `line` is the file's line, or the item's index
    where `item` is true (a JSON batch)."""

    line: int
    field: str
    message: str
    item: bool = False

    @property
    def index(self) -> int:
        return self.line

    @property
    def key(self) -> str:
        """The error's key in an API's `{"detail": {key: [messages]}}`: `items[3].end` for an
        item, `line 4: kind` for a line."""
        if self.item:
            return f"items[{self.line}].{self.field}" if self.field != WHOLE_ROW \
                else f"items[{self.line}]"
        return _("line %(line)s: %(field)s") % {"line": self.line, "field": self.field}

    def __str__(self) -> str:
        if self.item:
            return f"{self.key}: {self.message}"
        return _("line %(line)s: %(field)s: %(message)s") % {
            "line": self.line, "field": self.field, "message": self.message}


def pydantic_errors(error: PydanticError, line: int, *, item: bool = False) -> list[RowError]:
    """A pydantic ValidationError of one row as RowErrors: the field is the error's location
    (`rooms.2` in a nested list), the message the validator's own (not pydantic's "Value
    error, ..." prefix)."""
    found = []
    for problem in error.errors(include_url=False):
        field = ".".join(str(part) for part in problem["loc"]) or WHOLE_ROW
        cause = problem.get("ctx", {}).get("error")
        found.append(RowError(line, field, str(cause or problem["msg"]), item))
    return found


class RowErrors:
    """Collects the errors of a batch (at most MAX_ERRORS, the first ones kept)."""

    def __init__(self, *, item: bool = False, limit: int = MAX_ERRORS) -> None:
        self.item = item
        self.limit = limit
        self.errors: list[RowError] = []

    def add(self, line: int, field: str, message: str) -> None:
        if len(self.errors) < self.limit:
            self.errors.append(RowError(line, field, message, self.item))

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.add(error.line, error.field, error.message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __iter__(self) -> Iterator[RowError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def sorted(self) -> list[RowError]:
        return sorted(self.errors)

    def texts(self) -> list[str]:
        """One line of text per error, in row order."""
        return [str(error) for error in self.sorted()]

    def by_key(self) -> dict[str, list[str]]:
        """`{key: [messages]}`, the shape of a Django ValidationError's message_dict (and so
        of the API's 422 answer)."""
        grouped: dict[str, list[str]] = {}
        for error in sorted(self.errors, key=lambda error: (error.line, error.field)):
            grouped.setdefault(error.key, []).append(error.message)
        return grouped


def read_rows(model: type[Model], rows: Iterable[Mapping[Any, Any]], first: int, *,
              item: bool = False, context: Any = None
              ) -> tuple[list[tuple[int, Model | None]], RowErrors]:
    """Every row through `model`: (line or index, the row or None where refused), and every
    error. A CSV row's values past its header (csv.DictReader's key None) and NUL characters
    (PostgreSQL text cannot hold them) are refused with the rest."""
    read: list[tuple[int, Model | None]] = []
    errors = RowErrors(item=item)
    for line, raw in enumerate(rows, start=first):
        found: list[RowError] = []
        if raw.get(None):
            found.append(RowError(line, WHOLE_ROW, _("more values than columns"), item))
        found += [RowError(line, str(name), _("contains a NUL character"), item)
                  for name, value in raw.items() if isinstance(value, str) and "\x00" in value]
        row: Model | None = None
        try:
            row = _adapter(model).validate_python(
                {k: v for k, v in raw.items() if k is not None}, context=context)
        except PydanticError as error:
            found += pydantic_errors(error, line, item=item)
        errors.extend(found)
        read.append((line, None if found else row))
    return read, errors


# One adapter per schema (building one costs more than validating a row). Keyed by the schema
# itself: functools.cache would do, but its typing refuses a type variable's class as a key.
_ADAPTERS: dict[object, TypeAdapter[Any]] = {}
_LIST_ADAPTERS: dict[object, TypeAdapter[list[Any]]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


def _list_of(model: object) -> TypeAdapter[list[Any]]:
    if model not in _LIST_ADAPTERS:
        # a schema chosen at run time: mypy cannot take a variable as a type argument
        _LIST_ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]  # run-time schema
    return _LIST_ADAPTERS[model]


def read_many(model: type[Model], raw_rows: Sequence[Mapping[str, Any]], lines: Sequence[int],
              *, item: bool = False) -> tuple[list[tuple[int, Model | None]], RowErrors]:
    """read_rows for large files of plain values (the coverage CSV): all rows through the
    schema in one call of pydantic's core, and only when one is bad, row by row to name
    every error. `lines[i]` is the line (or index) of `raw_rows[i]`."""
    try:
        good = _list_of(model).validate_python(raw_rows)
    except PydanticError:
        read: list[tuple[int, Model | None]] = []
        errors = RowErrors(item=item)
        for line, raw in zip(lines, raw_rows, strict=True):
            row_read, row_errors = read_rows(model, [raw], line, item=item)
            read += row_read
            errors.extend(row_errors)
        return read, errors
    return list(zip(lines, good, strict=True)), RowErrors(item=item)
