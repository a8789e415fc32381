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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from custodywatch.kernels.coverage import blind_ms_from_cameras
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
    """Bad input: ``str()`` reads ``FILE line N, field F: message``."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        super().__init__(file, line, field, message)
        self.file = file
        self.line = line
        self.field = field
        self.message = message

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


@dataclass(frozen=True)
class _Row:
    file: str
    line: int
    values: dict[str, str]

    def get(self, field: str) -> str:
        """Stripped value; empty values are bad input for every contract column."""
        value = self.values[field].strip()
        if not value:
            raise CoverageInputError(self.file, self.line, field, "empty value")
        return value

    def time_ms(self, field: str) -> int:
        try:
            return parse_timestamp_ms(self.get(field))
        except ValueError as exc:
            raise CoverageInputError(self.file, self.line, field, str(exc)) from None

    def interval_ms(self) -> tuple[int, int]:
        start = self.time_ms("start")
        end = self.time_ms("end")
        if end <= start:
            raise CoverageInputError(self.file, self.line, "end", "end must be after start")
        return start, end


def _read_rows(path: PathLike, required: Sequence[str]) -> Iterator[_Row]:
    """Yield data rows as dicts of the required columns, with physical line numbers.

    Columns may come in any order; extra columns are ignored; blank lines are skipped.
    """
    name = os.fspath(path)
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
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CoverageInputError(name, line, None, "not valid UTF-8") from None
    del raw
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh, strict=True)
        next_line = 1  # physical line where the next record starts
        try:
            header = next(reader, None)
            if header is None:
                raise CoverageInputError(
                    name, 1, None, f"missing header (expected {','.join(required)})"
                )
            next_line = reader.line_num + 1
            columns = [c.strip() for c in header]
            seen: set[str] = set()
            for col in columns:
                if col in seen and col in required:
                    raise CoverageInputError(name, 1, col, "column appears twice in header")
                seen.add(col)
            for col in required:
                if col not in seen:
                    raise CoverageInputError(
                        name, 1, col, f"missing column (header must have {','.join(required)})"
                    )
            index = {col: columns.index(col) for col in required}
            width = len(columns)
            for record in reader:
                line = next_line
                next_line = reader.line_num + 1
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                if len(record) < width:
                    missing = columns[len(record)]
                    raise CoverageInputError(
                        name, line, missing,
                        f"missing value (row has {len(record)} values, header has {width})",
                    )
                if len(record) > width:
                    raise CoverageInputError(
                        name, line, f"#{width + 1}",
                        f"unexpected extra value (row has {len(record)} values, "
                        f"header has {width})",
                    )
                yield _Row(name, line, {col: record[i] for col, i in index.items()})
        except csv.Error as exc:
            raise CoverageInputError(name, next_line, None, f"malformed CSV: {exc}") from None


def _load(
    stays_path: PathLike, cameras_path: PathLike, recordings_path: PathLike
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Validate all three files and turn ids into int codes for the kernel."""
    room_code: dict[str, int] = {}
    camera_code: dict[str, int] = {}

    stay_ids: list[str] = []
    stay_line: dict[str, int] = {}
    stay_room: list[int] = []
    stay_start: list[int] = []
    stay_end: list[int] = []
    for row in _read_rows(stays_path, STAYS_COLUMNS):
        stay_id = row.get("stay_id")
        if stay_id in stay_line:
            raise CoverageInputError(
                row.file, row.line, "stay_id",
                f"duplicate stay_id {stay_id!r} (first on line {stay_line[stay_id]})",
            )
        room = row.get("room_id")
        start, end = row.interval_ms()
        stay_line[stay_id] = row.line
        stay_ids.append(stay_id)
        stay_room.append(room_code.setdefault(room, len(room_code)))
        stay_start.append(start)
        stay_end.append(end)

    map_camera: list[int] = []
    map_room: list[int] = []
    for row in _read_rows(cameras_path, CAMERAS_COLUMNS):
        camera = row.get("camera_id")
        room = row.get("room_id")
        map_camera.append(camera_code.setdefault(camera, len(camera_code)))
        # A camera may watch a room nobody stayed in; it still gets a code (harmless).
        map_room.append(room_code.setdefault(room, len(room_code)))

    rec_camera: list[int] = []
    rec_start: list[int] = []
    rec_end: list[int] = []
    for row in _read_rows(recordings_path, RECORDINGS_COLUMNS):
        camera = row.get("camera_id")
        start, end = row.interval_ms()
        state = row.get("state")
        if state not in _STATES:
            raise CoverageInputError(
                row.file, row.line, "state",
                f"unknown state {state!r} (expected ok or one of "
                f"{', '.join(sorted(FAULT_STATES))})",
            )
        # Only ok covers; a camera missing from CAMERAS.csv watches no room.
        if state == OK_STATE and camera in camera_code:
            rec_camera.append(camera_code[camera])
            rec_start.append(start)
            rec_end.append(end)

    def arr(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    return stay_ids, {
        "stay_room": arr(stay_room),
        "stay_start": arr(stay_start),
        "stay_end": arr(stay_end),
        "map_camera": arr(map_camera),
        "map_room": arr(map_room),
        "rec_camera": arr(rec_camera),
        "rec_start": arr(rec_start),
        "rec_end": arr(rec_end),
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
        print(f"{parser.prog}: error: {exc}", file=err)
        return 2
    except OSError as exc:
        print(f"{parser.prog}: error: cannot write output: {exc}", file=err)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
