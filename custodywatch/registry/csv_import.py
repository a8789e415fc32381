"""The row schemas of registry CSV files (issue 26 item 5): one pydantic model per kind, every
line read through it before anything is written, errors in the one format of core.rows.

Formats (docs/registry-import.md): one file per kind, UTF-8 (a BOM is accepted), comma
separated, a header line naming the columns in any order. The plan (create, update,
unchanged) is kernels.row_plan's; the writes are registry.services'.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict

from custodywatch.core import plausible, rows
from custodywatch.core.rows import RowError, RowErrors
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


# The one error format of batches and files (core.rows): line, field, message.
LineError = RowError


class RegistryImportError(Exception):
    """Raised with every bad line; the import has written nothing."""

    def __init__(self, errors: list[RowError]) -> None:
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


def _field(parse: Parser) -> Any:
    return BeforeValidator(lambda value: parse("" if value is None else str(value)))


Code = Annotated[str, _field(_code)]


Required10 = Annotated[str, _field(_required_text(10))]
Required200 = Annotated[str, _field(_required_text(200))]
Required300 = Annotated[str, _field(_required_text(300))]
Optional40 = Annotated[str, _field(_optional_text(40))]
Optional100 = Annotated[str, _field(_optional_text(100))]
Optional200 = Annotated[str, _field(_optional_text(200))]
Optional300 = Annotated[str, _field(_optional_text(300))]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FacilityRow(_Row):
    code: Code
    name: Required300
    name_kk: Optional300 = ""
    name_en: Optional300 = ""
    kind: Annotated[str, _field(_choice(Facility.Kind.values))]
    region: Required10
    agency: Code
    address: Optional300 = ""


class RoomRow(_Row):
    facility: Code
    code: Code
    name: Required200
    name_kk: Optional300 = ""
    name_en: Optional300 = ""
    kind: Annotated[str, _field(_choice(Room.Kind.values))]
    custody_use: Annotated[bool, _field(_boolean)]


class RecorderRow(_Row):
    facility: Code
    code: Code
    model: Optional100 = ""
    storage_days: Annotated[int, _field(_positive_int)]


class CameraRow(_Row):
    facility: Code
    code: Code
    name: Optional200 = ""
    recorder: Optional40 = ""
    rooms: Annotated[list[str], _field(_code_list)]


class HeadRow(_Row):
    facility: Code
    full_name: Required200
    position: Required200
    rank: Optional100 = ""
    started_on: Annotated[dt.date, _field(_date)]
    ended_on: Annotated[dt.date | None, _field(_optional_date)] = None


@dataclass(frozen=True)
class ImportKind:
    name: str
    model: type[_Row]
    optional: frozenset[str] = frozenset()

    @property
    def columns(self) -> list[str]:
        return list(self.model.model_fields)


KINDS: dict[str, ImportKind] = {
    "facilities": ImportKind("facilities", FacilityRow,
                             frozenset({"address", "name_kk", "name_en"})),
    "rooms": ImportKind("rooms", RoomRow, frozenset({"name_kk", "name_en"})),
    "recorders": ImportKind("recorders", RecorderRow, frozenset({"model", "storage_days"})),
    "cameras": ImportKind("cameras", CameraRow, frozenset({"name", "recorder"})),
    "heads": ImportKind("heads", HeadRow, frozenset({"rank", "ended_on"})),
}


# The Kazakh and English names of facilities and rooms (optional columns).
TRANSLATED_NAMES = frozenset({"name_kk", "name_en"})


def _text_of(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise RegistryImportError(
            [RowError(line, "-", _("The file is not UTF-8 text."))]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise RegistryImportError([RowError(line, "-", _("The file contains a NUL character."))])
    return text


def _check_header(kind: ImportKind, header: list[str]) -> None:
    errors = RowErrors()
    # A column named twice: csv.DictReader would silently keep the last one's values.
    for column in sorted({c for c in header if header.count(c) > 1}):
        errors.add(1, column, _("This column appears more than once."))
    for column in kind.columns:
        if column not in header and column not in kind.optional:
            errors.add(1, column, _("This column is missing from the header."))
    for column in header:
        if column not in kind.columns:
            errors.add(1, column, _("Unknown column."))
    if errors:
        raise RegistryImportError(list(errors))


def _records(reader: csv.DictReader, errors: RowErrors) -> Iterator[tuple[int, dict]]:
    """The file's non-blank records with their line; a broken record ends the file."""
    # csv's line_num does not count the line a broken record fails on: name the line after
    # the last good record instead.
    line = reader.line_num
    try:
        for count, record in enumerate(reader):
            line = reader.line_num
            if count >= MAX_ROWS:
                raise RegistryImportError(
                    [RowError(line, "-", _("At most %(n)s lines a file.") % {"n": MAX_ROWS})])
            if None in record or any((value or "").strip() for value in record.values()):
                yield line, record
    except csv.Error as error:
        errors.add(line + 1, "-", str(error))


def _raw_values(kind: ImportKind, header: list[str], line: int, record: dict,
                errors: RowErrors) -> dict[str, Any] | None:
    """What the schema reads of a record: a column left out of the header is empty, but the
    translated names are then not given at all (a file without them keeps the names already
    registered)."""
    if None in record:
        errors.add(line, "-", _("More values than columns."))
        return None
    short = [column for column in kind.columns if column in header and record[column] is None]
    for column in short:
        errors.add(line, column, _("Fewer values than columns."))
    return {column: record.get(column, "") for column in kind.columns
            if column in header or column not in TRANSLATED_NAMES}


def parse_rows(kind: ImportKind, content: bytes) -> list[ParsedRow]:
    """Decode and read every line through the kind's schema; raise RegistryImportError listing
    every bad field."""
    reader = csv.DictReader(io.StringIO(_text_of(content), newline=""), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise RegistryImportError([RowError(1, "-", str(error))]) from None
    _check_header(kind, list(header))
    errors = RowErrors()
    read: list[tuple[int, dict[str, Any]]] = []
    for line, record in _records(reader, errors):
        raw = _raw_values(kind, list(header), line, record, errors)
        if raw is not None:
            read.append((line, raw))
    parsed: list[ParsedRow] = []
    for line, raw in read:
        row_read, row_errors = rows.read_rows(kind.model, [raw], line)
        errors.extend(row_errors)
        row = row_read[0][1]
        if row is not None:
            parsed.append(ParsedRow(line, row.model_dump(exclude_unset=True)))
    if errors:
        raise RegistryImportError(errors.sorted())
    return parsed


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
