"""Parsing and validation of registry CSV files: every line checked before anything is written.

Formats (docs/registry-import.md): one file per kind, UTF-8 (a BOM is accepted), comma
separated, a header line naming the columns in any order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from custodywatch.core import plausible
from custodywatch.registry.models import (
    Agency,
    Camera,
    Facility,
    HeadAppointment,
    Recorder,
    Region,
    Room,
    code_validator,
)

MAX_ROWS = 200_000


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("line %(line)s, field %(field)s: %(message)s") % {
            "line": self.line, "field": self.field, "message": self.message
        }


class RegistryImportError(Exception):
    """Raised with every bad line; the import has written nothing."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]))


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any] = field(default_factory=dict)


Parser = Callable[[str], Any]


def _required_text(max_length: int) -> Parser:
    def parse(text: str) -> str:
        text = text.strip()
        if not text:
            raise ValueError(_("This field is required."))
        if len(text) > max_length:
            raise ValueError(_("At most %(n)s characters.") % {"n": max_length})
        return text

    return parse


def _optional_text(max_length: int) -> Parser:
    def parse(text: str) -> str:
        text = text.strip()
        if len(text) > max_length:
            raise ValueError(_("At most %(n)s characters.") % {"n": max_length})
        return text

    return parse


def _code(text: str) -> str:
    text = text.strip()
    try:
        code_validator(text)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from None
    return text


def _choice(choices: Iterable[str]) -> Parser:
    allowed = sorted(choices)

    def parse(text: str) -> str:
        text = text.strip()
        if text not in allowed:
            raise ValueError(_("Must be one of: %(values)s.") % {"values": ", ".join(allowed)})
        return text

    return parse


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "y"}:
        return True
    if value in {"0", "false", "no", "n"}:
        return False
    raise ValueError(_("Must be true or false."))


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(_("Must be a date as YYYY-MM-DD.")) from None
    problem = plausible.problem(plausible.Kind.PLAN, day)  # appointments: not in year 0001
    if problem is not None:
        raise ValueError(problem)
    return day


def _optional_date(text: str) -> dt.date | None:
    return _date(text) if text.strip() else None


MAX_STORAGE_DAYS = 3650  # ten years of footage; more is a typing error (and overflowed)


def _positive_int(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(_("Must be a whole number.")) from None
    if value <= 0:
        raise ValueError(_("Must be greater than zero."))
    if value > MAX_STORAGE_DAYS:
        raise ValueError(_("At most %(max)s.") % {"max": MAX_STORAGE_DAYS})
    return value


def _code_list(text: str) -> list[str]:
    return [_code(part) for part in text.split(";") if part.strip()]


@dataclass(frozen=True)
class ImportKind:
    name: str
    columns: dict[str, Parser]
    optional: frozenset[str] = frozenset()


KINDS: dict[str, ImportKind] = {
    "facilities": ImportKind(
        "facilities",
        {
            "code": _code,
            "name": _required_text(300),
            "name_kk": _optional_text(300),
            "name_en": _optional_text(300),
            "kind": _choice(Facility.Kind.values),
            "region": _required_text(10),
            "agency": _code,
            "address": _optional_text(300),
        },
        frozenset({"address", "name_kk", "name_en"}),
    ),
    "rooms": ImportKind(
        "rooms",
        {
            "facility": _code,
            "code": _code,
            "name": _required_text(200),
            "name_kk": _optional_text(300),
            "name_en": _optional_text(300),
            "kind": _choice(Room.Kind.values),
            "custody_use": _boolean,
        },
        frozenset({"name_kk", "name_en"}),
    ),
    "recorders": ImportKind(
        "recorders",
        {
            "facility": _code,
            "code": _code,
            "model": _optional_text(100),
            "storage_days": _positive_int,
        },
        frozenset({"model", "storage_days"}),
    ),
    "cameras": ImportKind(
        "cameras",
        {
            "facility": _code,
            "code": _code,
            "name": _optional_text(200),
            "recorder": _optional_text(40),
            "rooms": _code_list,
        },
        frozenset({"name", "recorder"}),
    ),
    "heads": ImportKind(
        "heads",
        {
            "facility": _code,
            "full_name": _required_text(200),
            "position": _required_text(200),
            "rank": _optional_text(100),
            "started_on": _date,
            "ended_on": _optional_date,
        },
        frozenset({"rank", "ended_on"}),
    ),
}


# The Kazakh and English names of facilities and rooms (optional columns).
TRANSLATED_NAMES = frozenset({"name_kk", "name_en"})


def parse_rows(kind: ImportKind, content: bytes) -> list[ParsedRow]:
    """Decode and parse every line; raise RegistryImportError listing all bad fields."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise RegistryImportError(
            [LineError(line, "-", _("The file is not UTF-8 text."))]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise RegistryImportError([LineError(line, "-", _("The file contains a NUL character."))])
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise RegistryImportError([LineError(1, "-", str(error))]) from None
    errors: list[LineError] = []
    missing = [c for c in kind.columns if c not in header and c not in kind.optional]
    unknown = [c for c in header if c not in kind.columns]
    # A column named twice: csv.DictReader would silently keep the last one's values.
    for column in sorted({c for c in header if header.count(c) > 1}):
        errors.append(LineError(1, column, _("This column appears more than once.")))
    for column in missing:
        errors.append(LineError(1, column, _("This column is missing from the header.")))
    for column in unknown:
        errors.append(LineError(1, column, _("Unknown column.")))
    if errors:
        raise RegistryImportError(errors)
    rows: list[ParsedRow] = []
    # csv's line_num does not count the line a broken record fails on: name the line after
    # the last good record instead.
    last_good_line = reader.line_num
    try:
        for record in reader:
            line = last_good_line = reader.line_num
            if len(rows) >= MAX_ROWS:
                raise RegistryImportError(
                    [LineError(line, "-", _("At most %(n)s lines a file.") % {"n": MAX_ROWS})]
                )
            if None in record:
                errors.append(LineError(line, "-", _("More values than columns.")))
                continue
            if not any((value or "").strip() for value in record.values()):
                continue
            row = ParsedRow(line)
            for column, parse in kind.columns.items():
                raw = record.get(column)
                if raw is None:
                    if column in header:
                        errors.append(LineError(line, column, _("Fewer values than columns.")))
                        continue
                    if column in TRANSLATED_NAMES:
                        continue  # a file without them keeps the names already registered
                    raw = ""
                try:
                    row.values[column] = parse(raw)
                except ValueError as error:
                    errors.append(LineError(line, column, str(error)))
            rows.append(row)
    except csv.Error as error:
        errors.append(LineError(last_good_line + 1, "-", str(error)))
    if errors:
        raise RegistryImportError(errors)
    return rows


class References:
    """Look-ups of existing objects by natural key, loaded once per import."""

    def __init__(self) -> None:
        self.regions = {r.code: r for r in Region.objects.all()}
        self.agencies = {a.code: a for a in Agency.objects.all()}
        self.facilities = {f.code: f for f in Facility.objects.all()}

    def facility_children(self, model: type[Room | Recorder | Camera], codes: set[str]) -> dict:
        objects = model.objects.filter(facility__code__in=codes).select_related("facility")
        return {(o.facility.code, o.code): o for o in objects}

    def heads(self, codes: set[str]) -> dict:
        objects = HeadAppointment.objects.filter(facility__code__in=codes).select_related(
            "facility"
        )
        return {(o.facility.code, o.full_name, o.started_on): o for o in objects}
