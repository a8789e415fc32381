"""Bulk intake from a list (issue 22, item 7): a CSV or XLSX file of detainees for one facility.

Every line is checked before anything is written, and every bad field is named by its line
(the spreadsheet's row number, the header being line 1) and its column; the file is written
whole or not at all. Idempotent: the same file again (by its SHA-256) returns the intake it
made and writes nothing; a line whose reference is already registered at the facility for the
same person and moment counts as already registered (a corrected file re-sent), for another
person it is an error. Each record is written by the register's own helpers (custody/services.py,
as the batch API does), so its clocks, audit events and ledger leaves are those of a record
typed at the desk; the records then enter the review queue of a mass detention that is on
(custody/mass.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.core import plausible
from custodywatch.core.rows import RowError
from custodywatch.custody import mass, services
from custodywatch.custody.models import CustodyRecord, Regime, iin_is_valid
from custodywatch.custody.models_mass import BulkIntake
from custodywatch.registry.models import Facility, Room

# A list of 2,000 lines took 53 s on PostgreSQL on a shared two-core machine (each line is
# written by the register's own helpers: record, stay, their audit events and ledger leaves);
# a longer list goes as several files.
MAX_ROWS = 2000
MAX_BYTES = 10 * 1024 * 1024
REQUIRED = ("external_ref", "full_name", "detained_at", "detained_place", "detaining_officer",
            "grounds")
OPTIONAL = ("iin", "date_of_birth", "citizenship", "language", "detaining_unit", "arrived_at",
            "regime", "room")
COLUMNS = REQUIRED + OPTIONAL
LENGTHS = {"external_ref": 60, "full_name": 200, "detained_place": 300,
           "detaining_officer": 200, "grounds": 5000, "iin": 12, "citizenship": 60,
           "language": 40, "detaining_unit": 200, "room": 40}
MOMENTS = ("detained_at", "arrived_at")
XLSX_MAGIC = b"PK\x03\x04"


# The one error format of batches and files (core.rows): line, field, message.
LineError = RowError


class IntakeError(Exception):
    """Raised with every bad line; nothing was written."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.field))
        super().__init__("; ".join(str(e) for e in self.errors[:20]))


@dataclass
class Row:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    room: str = ""


@dataclass(frozen=True)
class IntakeResult:
    intake: BulkIntake
    repeated: bool  # the same file was imported before: nothing written now


# --------------------------------------------------------------------------- reading


def _cell_text(value: Any, tz: dt.tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value if timezone.is_aware(value) else value.replace(tzinfo=tz)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an IIN typed as a number
    return str(value)


def _table(content: bytes, tz: dt.tzinfo) -> list[tuple[int, list[str]]]:
    """(line, cells) of each line, the header first, from CSV (UTF-8) or XLSX."""
    if content.startswith(XLSX_MAGIC):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise IntakeError([LineError(0, "-", _("Not a readable XLSX file."))]) from None
        sheet = workbook.worksheets[0]
        rows = [(number, [_cell_text(value, tz) for value in row])
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        workbook.close()
        return rows
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise IntakeError([LineError(line, "-", _("The file is not UTF-8 text."))]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise IntakeError([LineError(line, "-", _("The file contains a NUL character."))])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            lines.append((reader.line_num, cells))
    except csv.Error as error:
        raise IntakeError([LineError(reader.line_num + 1, "-", str(error))]) from None
    return lines


def _moment(text: str, tz: dt.tzinfo) -> dt.datetime:
    """ISO 8601 with an offset, or a local "YYYY-MM-DD HH:MM" in the uploader's time zone."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(_("Must be a date and time as YYYY-MM-DD HH:MM.")) from None
    return value if timezone.is_aware(value) else value.replace(tzinfo=tz)


def _parse_line(line: int, header: list[str], cells: list[str], tz: dt.tzinfo,
                errors: list[LineError]) -> Row | None:
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        errors.append(LineError(line, "-", _("More values than columns.")))
        return None
    cells = cells + [""] * (len(header) - len(cells))
    raw = {name: cells[index].strip() for index, name in enumerate(header)}
    if not any(raw.values()):
        return None
    row = Row(line)
    now = timezone.now()
    for name in COLUMNS:
        text = raw.get(name, "")
        if not text:
            if name in REQUIRED:
                errors.append(LineError(line, name, _("This field is required.")))
            continue
        if name in LENGTHS and len(text) > LENGTHS[name]:
            errors.append(LineError(line, name, _("At most %(n)s characters.")
                                    % {"n": LENGTHS[name]}))
            continue
        try:
            if name in MOMENTS:
                value: Any = _moment(text, tz)
                plausible.check(plausible.Kind.EVENT, value, name, now)
            elif name == "date_of_birth":
                try:
                    value = dt.date.fromisoformat(text)
                except ValueError:
                    raise ValueError(_("Must be a date as YYYY-MM-DD.")) from None
                plausible.check(plausible.Kind.BIRTH, value, name, now)
            elif name == "iin":
                if not iin_is_valid(text):
                    raise ValueError(_("Not a valid IIN: 12 digits with a correct check "
                                       "digit."))
                value = text
            elif name == "regime":
                if text not in Regime.values:
                    raise ValueError(_("Must be one of: %(values)s.")
                                     % {"values": ", ".join(Regime.values)})
                value = text
            else:
                value = text
        except ValueError as error:
            errors.append(LineError(line, name, str(error)))
            continue
        except ValidationError as error:
            errors.append(LineError(line, name, " ".join(error.messages)))
            continue
        if name == "room":
            row.room = value
        else:
            row.values[name] = value
    return row


def parse(content: bytes, tz: dt.tzinfo) -> list[Row]:
    """Every line parsed; IntakeError with all the bad fields."""
    if not content.strip():
        raise IntakeError([LineError(0, "-", _("The file is empty."))])
    if len(content) > MAX_BYTES:
        raise IntakeError([LineError(0, "-", _("At most %(n)s MB a file.")
                                     % {"n": MAX_BYTES // (1024 * 1024)})])
    lines = _table(content, tz)
    if not lines:
        raise IntakeError([LineError(0, "-", _("The file is empty."))])
    header_line, header = lines[0]
    header = [name.strip() for name in header]
    errors: list[LineError] = []
    for name in sorted({name for name in header if name and header.count(name) > 1}):
        errors.append(LineError(header_line, name, _("This column appears more than once.")))
    for name in REQUIRED:
        if name not in header:
            errors.append(LineError(header_line, name,
                                    _("This column is missing from the header.")))
    for name in header:
        if name and name not in COLUMNS:
            errors.append(LineError(header_line, name, _("Unknown column.")))
    if errors:
        raise IntakeError(errors)
    if len(lines) - 1 > MAX_ROWS:
        raise IntakeError([LineError(lines[MAX_ROWS + 1][0], "-", _(
            "At most %(n)s lines a file.") % {"n": MAX_ROWS})])
    rows = [row for line, cells in lines[1:]
            if (row := _parse_line(line, header, cells, tz, errors)) is not None]
    first: dict[str, int] = {}
    for row in rows:
        ref = row.values.get("external_ref")
        if ref in first:
            errors.append(LineError(row.line, "external_ref", _(
                "Repeats line %(line)s: one line per detention.") % {"line": first[ref]}))
        elif ref:
            first[ref] = row.line
    if errors:
        raise IntakeError(errors)
    if not rows:
        raise IntakeError([LineError(header_line, "-", _("No detainee in the file."))])
    return rows


# --------------------------------------------------------------------------- writing


def _same_person(record: CustodyRecord, values: dict[str, Any]) -> bool:
    return (record.full_name == values["full_name"]
            and record.detained_at == values["detained_at"])


def bulk_intake(*, acting_user: User, origin: Origin, facility: Facility, content: bytes,
                file_name: str = "", now: dt.datetime | None = None) -> IntakeResult:
    """Register every detainee of the file at ``facility``: all lines or none. ``now``: the
    moment of the upload (default the clock's; the demo replays a past event)."""
    services.require_write(user=acting_user, origin=origin, facility=facility, token=None,
                           what="bulk intake")
    sha256 = hashlib.sha256(content).hexdigest()
    earlier = BulkIntake.objects.filter(facility=facility, sha256=sha256).first()
    if earlier is not None:
        return IntakeResult(earlier, repeated=True)
    tz = zoneinfo.ZoneInfo(acting_user.time_zone or "UTC")
    rows = parse(content, tz)
    rooms = {room.code: room for room in Room.objects.filter(facility=facility,
                                                            custody_use=True)}
    existing = {record.external_ref: record for record in CustodyRecord.objects.filter(
        facility=facility, external_ref__in=[row.values["external_ref"] for row in rows])}
    errors: list[LineError] = []
    for row in rows:
        if row.room and row.room not in rooms:
            errors.append(LineError(row.line, "room", _(
                "Not a custody room of %(facility)s: %(code)s.") % {
                "facility": facility.code, "code": row.room}))
        record = existing.get(row.values["external_ref"])
        if record is not None and not _same_person(record, row.values):
            errors.append(LineError(row.line, "external_ref", _(
                "Already registered at this facility for another person or moment.")))
    bad_lines = {error.line for error in errors}
    registered = 0
    with transaction.atomic():
        # Every line is tried, so that one answer names all that is wrong in the file.
        for row in rows:
            if row.values["external_ref"] in existing or row.line in bad_lines:
                continue
            try:
                record = services._record_write(acting_user=acting_user, origin=origin,
                                                facility=facility, values=row.values)
                room = rooms.get(row.room)
                if room is not None:
                    services._stay_write(acting_user=acting_user, origin=origin,
                                         record=record, room=room,
                                         started_at=record.arrived_at or record.detained_at,
                                         ended_at=None)
            except ValidationError as error:
                messages = error.message_dict if hasattr(error, "error_dict") else {
                    "-": error.messages}
                errors.extend(LineError(row.line, name if name != "__all__" else "-",
                                        " ".join(texts)) for name, texts in messages.items())
                continue
            registered += 1
        if errors:
            # Nothing stays: the records written so far go with this transaction.
            transaction.set_rollback(True)
        else:
            intake = BulkIntake.objects.create(
                facility=facility, file_name=file_name[:300], sha256=sha256, rows=len(rows),
                registered=registered, already_registered=len(rows) - registered,
                uploaded_by=acting_user, uploaded_at=now or timezone.now())
            queued = sum(mass.review_queue_fill(event=event, now=now)
                         for event in mass.events_on_for(facility))
            audit_record(actor=acting_user, action=AuditEvent.Action.IMPORT, origin=origin,
                         obj=intake, detail={"lines": len(rows), "registered": registered,
                                             "queued": queued, "sha256": sha256})
    if errors:
        raise IntakeError(errors)
    return IntakeResult(intake, repeated=False)


def intakes_of(*, facility: Facility) -> list[BulkIntake]:
    return list(BulkIntake.objects.filter(facility=facility).select_related("uploaded_by")[:20])


TEMPLATE_CSV = ",".join(COLUMNS) + "\n"
