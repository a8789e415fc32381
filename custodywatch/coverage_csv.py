"""CSV front end of ``custodywatch coverage``: read, validate, compute, write.

No Django import, so the management command and scripts can share it::

    custodywatch coverage --stays STAYS.csv --cameras CAMERAS.csv \\
        --recordings RECORDINGS.csv [--out OUT.csv]

Exit status 0 on success, 2 on bad input (message on stderr naming file, line and
field; nothing written). Output: ``stay_id,blind_seconds`` per stay in input order,
seconds with exactly three decimals.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import io
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TextIO, TypeVar, cast

import numpy as np
from pydantic import BeforeValidator
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from custodywatch.core import rows
from custodywatch.core.rows import WHOLE_ROW, RowError
from custodywatch.kernels.coverage import blind_ms_from_cameras
from custodywatch.kernels.row_plan import repeats
from custodywatch.kernels.timeparse import parse_timestamp_ms

__all__ = [
    "FAULT_STATES",
    "OK_STATE",
    "CoverageInputError",
    "format_ms_as_seconds",
    "main",
    "run_coverage",
]

STAYS_COLUMNS = ("stay_id", "room_id", "start", "end")
CAMERAS_COLUMNS = ("camera_id", "room_id")
RECORDINGS_COLUMNS = ("camera_id", "start", "end", "state")
OUT_COLUMNS = ("stay_id", "blind_seconds")
OK_STATE = "ok"
FAULT_STATES = frozenset({"black", "frozen", "covered", "blurred", "moved", "no_signal", "gap"})
_STATES = FAULT_STATES | {OK_STATE}

PathLike = str | os.PathLike[str]


class CoverageInputError(Exception):
    """Bad input: ``str()`` reads ``FILE line N, field F: message``. The first error of the
    input; ``errors`` holds it and every other one found (each row of each file is read)."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str,
                 others: Sequence[CoverageInputError] = ()) -> None:
        super().__init__(file, line, field, message)
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        self.errors = [self, *others]

    @classmethod
    def of(cls, file: str, error: RowError) -> CoverageInputError:
        return cls(file, error.line, None if error.field == WHOLE_ROW else error.field,
                   error.message)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.field is not None:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


def format_ms_as_seconds(ms: int) -> str:
    """Exact decimal seconds from integer ms: 1250 -> '1.250'."""
    ms = int(ms)
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    return f"{sign}{ms // 1000}.{ms % 1000:03d}"


# --------------------------------------------------------------------------- reading
# The row schemas (issue 26 item 5): one pydantic model per file, every row read through it,
# every error collected in the one format of core.rows; no Django.


def _id(value: str) -> str:
    """Stripped; empty values are bad input for every contract column."""
    value = value.strip()
    if not value:
        raise ValueError("empty value")
    return value


def _ms(value: str) -> int:
    return parse_timestamp_ms(_id(value))


Text = Annotated[str, BeforeValidator(_id)]
Moment = Annotated[int, BeforeValidator(_ms)]


class StayRow(TypedDict):
    stay_id: Text
    room_id: Text
    start: Moment
    end: Moment


class CameraRow(TypedDict):
    camera_id: Text
    room_id: Text


def _state(value: str) -> str:
    state = _id(value)
    if state not in _STATES:
        raise ValueError(f"unknown state {state!r} (expected ok or one of "
                         f"{', '.join(sorted(FAULT_STATES))})")
    return state


class RecordingRow(TypedDict):
    camera_id: Text
    start: Moment
    end: Moment
    state: Annotated[str, BeforeValidator(_state)]


# TypedDicts, not models: pydantic checks them in its core, three times as fast on a large
# file (bench/README.md, coverage). The one rule across fields, end after start, follows.
Row = TypeVar("Row", StayRow, CameraRow, RecordingRow)


def _text_of(name: str) -> str:
    try:
        with open(name, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise CoverageInputError(name, None, None, f"cannot read: {exc.strerror}") from None
    # Spreadsheet exports often start with a BOM, which would otherwise glue itself to
    # the first column name.
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        # Decoding the whole file up front lets us name the exact line of a bad byte.
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CoverageInputError(name, line, None, "not valid UTF-8") from None


def _columns(name: str, header: list[str] | None, required: Sequence[str]) -> list[str]:
    if header is None:
        raise CoverageInputError(name, 1, None, f"missing header (expected {','.join(required)})")
    columns = [c.strip() for c in header]
    for col in required:
        if col in columns and columns.count(col) > 1:
            raise CoverageInputError(name, 1, col, "column appears twice in header")
    for col in required:
        if col not in columns:
            raise CoverageInputError(
                name, 1, col, f"missing column (header must have {','.join(required)})")
    return columns


def _width_error(line: int, columns: list[str], record: list[str]) -> RowError | None:
    width = len(columns)
    if len(record) < width:
        return RowError(line, columns[len(record)],
                        f"missing value (row has {len(record)} values, header has {width})")
    if len(record) > width:
        return RowError(line, f"#{width + 1}", f"unexpected extra value (row has "
                        f"{len(record)} values, header has {width})")
    return None


def _records(name: str, model: type[Any], errors: list[CoverageInputError]
             ) -> tuple[list[dict[str, str]], list[int]]:
    """The required values of each record of a file, and its physical line number; a record
    of the wrong width goes to ``errors``. Columns may come in any order; extra columns are
    ignored; blank lines are skipped. A file that cannot be read as CSV (or lacks a column)
    stops here."""
    required = list(model.__annotations__)
    values: list[dict[str, str]] = []
    lines: list[int] = []
    with io.StringIO(_text_of(name), newline="") as fh:
        reader = csv.reader(fh, strict=True)
        next_line = 1  # physical line where the next record starts
        try:
            columns = _columns(name, next(reader, None), required)
            index = [(col, columns.index(col)) for col in required]
            next_line = reader.line_num + 1
            for record in reader:
                line, next_line = next_line, reader.line_num + 1
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                wrong = _width_error(line, columns, record)
                if wrong is not None:
                    errors.append(CoverageInputError.of(name, wrong))
                    continue
                values.append({col: record[i] for col, i in index})
                lines.append(line)
        except csv.Error as exc:
            raise CoverageInputError(name, next_line, None, f"malformed CSV: {exc}") from None
    return values, lines


def _read_rows(path: PathLike, model: type[Row], errors: list[CoverageInputError]
               ) -> list[tuple[int, Row]]:
    """Each good row of a file through its schema (core.rows), with its line number; the bad
    ones go to ``errors``."""
    name = os.fspath(path)
    values, lines = _records(name, model, errors)
    read, row_errors = rows.read_many(model, values, lines)
    errors.extend(CoverageInputError.of(name, error) for error in row_errors)
    good = []
    for line, row in read:
        # Stays and recordings have a period; a camera's row has none.
        period = cast(Mapping[str, Any], row) if row is not None else {}
        if "end" in period and period["end"] <= period["start"]:
            errors.append(CoverageInputError(name, line, "end", "end must be after start"))
        elif row is not None:
            good.append((line, row))
    return good


def _duplicate_stays(name: str, stays: list[tuple[int, StayRow]]) -> list[CoverageInputError]:
    """One stay once (kernels.row_plan.repeats): a second line with its id is refused."""
    by_line = dict(stays)
    return [CoverageInputError(name, repeat.line, "stay_id",
                               f"duplicate stay_id {by_line[repeat.line]['stay_id']!r} "
                               f"(first on line {repeat.first_line})")
            for repeat in repeats([(line, row["stay_id"]) for line, row in stays])]


def _read_file(path: PathLike, model: type[Row], errors: list[CoverageInputError]
               ) -> list[tuple[int, Row]]:
    """Every good row of one file; its errors, in line order, join ``errors``."""
    found: list[CoverageInputError] = []
    try:
        read = _read_rows(path, model, found)
    except CoverageInputError as fatal:
        found.append(fatal)
        read = []
    if model is StayRow:
        found += _duplicate_stays(os.fspath(path), read)  # type: ignore[arg-type]  # model is StayRow: so are the rows
    errors.extend(sorted(found, key=lambda error: error.line or 0))
    return read


def _load(
    stays_path: PathLike, cameras_path: PathLike, recordings_path: PathLike
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Validate all three files and turn ids into int codes for the kernel."""
    errors: list[CoverageInputError] = []
    stays = _read_file(stays_path, StayRow, errors)
    cameras = [row for _line, row in _read_file(cameras_path, CameraRow, errors)]
    recordings = [row for _line, row in _read_file(recordings_path, RecordingRow, errors)]
    if errors:
        first = errors[0]
        raise CoverageInputError(first.file, first.line, first.field, first.message, errors[1:])

    room_code: dict[str, int] = {}
    camera_code: dict[str, int] = {}
    stay_room = [room_code.setdefault(row["room_id"], len(room_code)) for _line, row in stays]
    map_camera = [camera_code.setdefault(row["camera_id"], len(camera_code)) for row in cameras]
    # A camera may watch a room nobody stayed in; it still gets a code (harmless).
    map_room = [room_code.setdefault(row["room_id"], len(room_code)) for row in cameras]
    # Only ok covers; a camera missing from CAMERAS.csv watches no room.
    covering = [row for row in recordings
                if row["state"] == OK_STATE and row["camera_id"] in camera_code]

    def arr(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    return [row["stay_id"] for _line, row in stays], {
        "stay_room": arr(stay_room),
        "stay_start": arr([row["start"] for _line, row in stays]),
        "stay_end": arr([row["end"] for _line, row in stays]),
        "map_camera": arr(map_camera),
        "map_room": arr(map_room),
        "rec_camera": arr([camera_code[row["camera_id"]] for row in covering]),
        "rec_start": arr([row["start"] for row in covering]),
        "rec_end": arr([row["end"] for row in covering]),
    }


# --------------------------------------------------------------------------- writing


def _render(stay_ids: Sequence[str], blind: np.ndarray) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    writer.writerows(zip(stay_ids, map(format_ms_as_seconds, blind.tolist()), strict=True))
    return buf.getvalue()


def _write_atomically(path: PathLike, text: str) -> None:
    """Write to a temp file beside ``path`` then os.replace, so readers never see a
    partial file and a failure leaves any previous file untouched."""
    target = os.path.abspath(os.fspath(path))
    fd, tmp = tempfile.mkstemp(
        dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- entry points


def run_coverage(
    stays_path: PathLike,
    cameras_path: PathLike,
    recordings_path: PathLike,
    out_path: PathLike | None,
    stdout: TextIO,
) -> None:
    """Compute blind seconds per stay; write CSV to ``out_path`` or, if None, ``stdout``.

    Raises CoverageInputError on bad input, before anything is written.
    """
    stay_ids, a = _load(stays_path, cameras_path, recordings_path)
    blind = blind_ms_from_cameras(
        a["stay_room"], a["stay_start"], a["stay_end"], a["rec_camera"], a["rec_start"],
        a["rec_end"], a["map_camera"], a["map_room"]
    )
    text = _render(stay_ids, blind)
    if out_path is None:
        stdout.write(text)
        stdout.flush()
    else:
        _write_atomically(out_path, text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custodywatch coverage",
        description="Blind seconds per stay: time no camera covering the room had an ok "
        "recording.",
    )
    parser.add_argument("--stays", required=True, help="CSV: stay_id,room_id,start,end")
    parser.add_argument("--cameras", required=True, help="CSV: camera_id,room_id")
    parser.add_argument("--recordings", required=True, help="CSV: camera_id,start,end,state")
    parser.add_argument("--out", help="output CSV (default: stdout); written atomically")
    return parser


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """CLI contract: returns 0 on success, 2 on bad input or usage, 1 if the output
    cannot be written."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    parser = _parser()
    try:
        # argparse prints to sys.stderr itself and raises SystemExit(2) on usage errors.
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        run_coverage(args.stays, args.cameras, args.recordings, args.out, out)
    except CoverageInputError as exc:
        for error in exc.errors:  # every bad row of every file, the first one first
            print(f"{parser.prog}: error: {error}", file=err)
        return 2
    except OSError as exc:
        print(f"{parser.prog}: error: cannot write output: {exc}", file=err)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
