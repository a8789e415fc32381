"""End-to-end tests of the coverage CSV contract (custodywatch.coverage_csv), no DB."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from custodywatch.coverage_csv import CoverageInputError, format_ms_as_seconds, main, run_coverage

STAYS_HEADER = "stay_id,room_id,start,end"
CAMERAS_HEADER = "camera_id,room_id"
RECORDINGS_HEADER = "camera_id,start,end,state"


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    """A small valid data set; tests overwrite one file to break it."""
    stays = write(
        tmp_path / "STAYS.csv",
        STAYS_HEADER,
        # Listed out of id order on purpose: output must keep input order.
        "s3,R1,2024-01-05T10:00:00+05:00,2024-01-05T10:00:10.250+05:00",
        "s1,R2,1704430800,1704430860",
        "s2,R9,1704430800.5,1704430801",
    )
    cameras = write(tmp_path / "CAMERAS.csv", CAMERAS_HEADER, "C1,R1", "C2,R1", "C2,R2")
    recordings = write(
        tmp_path / "RECORDINGS.csv",
        RECORDINGS_HEADER,
        # R1: C1 ok [05:00:00Z, +2s), C2 ok [+2s, +5s) -> touching; +5..+7s frozen.
        "C1,2024-01-05T05:00:00Z,1704430802,ok",
        "C2,1704430802,2024-01-05T05:00:05.000Z,ok",
        "C2,1704430805,1704430807,frozen",
        # Also R2 (C2 watches R1 and R2): ok in the middle of s1.
        "C2,1704430820,1704430830.125,ok",
        # Camera not in CAMERAS.csv covers nothing.
        "C404,1704430800,1704430900,ok",
    )
    return tmp_path, stays, cameras, recordings


def run_to_text(stays, cameras, recordings) -> str:
    buf = io.StringIO()
    run_coverage(stays, cameras, recordings, None, buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- success


def test_output_exact(files):
    _, stays, cameras, recordings = files
    assert run_to_text(stays, cameras, recordings) == (
        "stay_id,blind_seconds\n"
        "s3,5.250\n"  # 10.250 s stay, 5 s covered by the two touching ok spans
        "s1,46.875\n"  # 60 s stay; C2 also watches R2: 3 s + 10.125 s covered
        "s2,0.500\n"  # room without any camera: blind throughout
    )


def test_out_file_written_and_main_returns_zero(files, capsys):
    tmp, stays, cameras, recordings = files
    out = tmp / "OUT.csv"
    rc = main(
        ["--stays", str(stays), "--cameras", str(cameras), "--recordings", str(recordings),
         "--out", str(out)]
    )
    assert rc == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        "stay_id,blind_seconds", "s3,5.250", "s1,46.875", "s2,0.500",
    ]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    # No temp files left beside the output.
    assert sorted(p.name for p in tmp.iterdir()) == [
        "CAMERAS.csv", "OUT.csv", "RECORDINGS.csv", "STAYS.csv",
    ]


def test_main_writes_stdout_without_out(files):
    _, stays, cameras, recordings = files
    out, err = io.StringIO(), io.StringIO()
    rc = main(["--stays", str(stays), "--cameras", str(cameras),
               "--recordings", str(recordings)], stdout=out, stderr=err)
    assert rc == 0
    assert out.getvalue().startswith("stay_id,blind_seconds\ns3,5.250\n")
    assert err.getvalue() == ""


def test_fault_states_do_not_cover(tmp_path):
    stays = write(tmp_path / "S.csv", STAYS_HEADER, "a,R,0,70")
    cameras = write(tmp_path / "C.csv", CAMERAS_HEADER, "C,R")
    faults = ["black", "frozen", "covered", "blurred", "moved", "no_signal", "gap"]
    recordings = write(
        tmp_path / "REC.csv", RECORDINGS_HEADER,
        *(f"C,{10 * i},{10 * i + 10},{state}" for i, state in enumerate(faults)),
    )
    assert run_to_text(stays, cameras, recordings) == "stay_id,blind_seconds\na,70.000\n"
    recordings = write(tmp_path / "REC.csv", RECORDINGS_HEADER, "C,0,10,ok", "C,5,70,gap")
    assert run_to_text(stays, cameras, recordings) == "stay_id,blind_seconds\na,60.000\n"


def test_header_only_files_and_blank_lines(tmp_path):
    stays = write(tmp_path / "S.csv", STAYS_HEADER, "", "")
    cameras = write(tmp_path / "C.csv", CAMERAS_HEADER)
    recordings = write(tmp_path / "R.csv", RECORDINGS_HEADER, "")
    assert run_to_text(stays, cameras, recordings) == "stay_id,blind_seconds\n"


def test_columns_in_any_order_bom_crlf_and_spaces(tmp_path):
    stays = tmp_path / "S.csv"
    stays.write_bytes(
        b"\xef\xbb\xbfend, start ,room_id,stay_id\r\n"
        b"1704430801.001, 2024-01-05T05:00:00Z ,R,\"x,1\"\r\n\r\n"
    )
    cameras = write(tmp_path / "C.csv", "room_id,camera_id", "R,C")
    recordings = write(tmp_path / "R.csv", "state,end,camera_id,start", "ok,1704430801,C,0")
    # Stay ids containing commas are quoted on output.
    assert run_to_text(stays, cameras, recordings) == 'stay_id,blind_seconds\n"x,1",0.001\n'


def test_millisecond_precision_not_float_rounded(tmp_path):
    stays = write(
        tmp_path / "S.csv", STAYS_HEADER,
        "a,R,1704430800.001,1704430800.250",
        "b,R,2024-01-05T05:00:00.1Z,2024-01-05T10:30:00.3+05:30",
    )
    cameras = write(tmp_path / "C.csv", CAMERAS_HEADER)
    recordings = write(tmp_path / "R.csv", RECORDINGS_HEADER)
    assert run_to_text(stays, cameras, recordings).splitlines()[1:] == ["a,0.249", "b,0.200"]


@pytest.mark.parametrize(
    ("ms", "text"), [(0, "0.000"), (5, "0.005"), (1250, "1.250"), (86_400_000, "86400.000")]
)
def test_format_ms_as_seconds(ms, text):
    assert format_ms_as_seconds(ms) == text


# ----------------------------------------------------------------------------- bad input

# (file to replace, its lines, expected file name, line, field, message fragment)
BAD_CASES = [
    ("STAYS.csv", ["stay_id,room,start,end", "a,R,0,1"], 1, "room_id", "missing column"),
    ("STAYS.csv", ["stay_id,room_id,start,end,end", "a,R,0,1,2"], 1, "end", "twice"),
    ("STAYS.csv", [], 1, None, "missing header"),
    ("CAMERAS.csv", ["camera,room_id"], 1, "camera_id", "missing column"),
    ("RECORDINGS.csv", ["camera_id,start,end"], 1, "state", "missing column"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,0,10", "b,R,yesterday,10"], 3, "start", "invalid"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,10,10"], 2, "end", "end must be after start"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,10,5"], 2, "end", "end must be after start"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,0,10", "", "a,Q,0,10"], 4, "stay_id", "duplicate"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,0.2500,10"], 2, "start", "fractional"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,0,2024-01-05T10:00:00"], 2, "end", "naive"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,0,2024-01-05T10:00:00.1234Z"], 2, "end", "fractional"),
    ("STAYS.csv", [STAYS_HEADER, "a,,0,10"], 2, "room_id", "empty"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,0"], 2, "end", "missing value"),
    ("STAYS.csv", [STAYS_HEADER, "a,R,0,1,9"], 2, "#5", "extra value"),
    ("CAMERAS.csv", [CAMERAS_HEADER, "C1,R1", " ,R1"], 3, "camera_id", "empty"),
    ("RECORDINGS.csv", [RECORDINGS_HEADER, "C1,0,10,ok", "C1,0,10,OK"], 3, "state", "unknown"),
    ("RECORDINGS.csv", [RECORDINGS_HEADER, "C1,0,10,broken"], 2, "state", "unknown"),
    ("RECORDINGS.csv", [RECORDINGS_HEADER, "C1,0,10,"], 2, "state", "empty"),
    ("RECORDINGS.csv", [RECORDINGS_HEADER, "C9,20,10,ok"], 2, "end", "after start"),
    ("RECORDINGS.csv", [RECORDINGS_HEADER, "C9,1e3,2000,gap"], 2, "start", "invalid"),
    ("RECORDINGS.csv", [RECORDINGS_HEADER, 'C1,0,10,"ok'], 2, None, "malformed CSV"),
]


@pytest.mark.parametrize(("name", "lines", "line", "field", "fragment"), BAD_CASES)
def test_bad_input_names_file_line_field_and_writes_nothing(
    files, name, lines, line, field, fragment
):
    tmp, stays, cameras, recordings = files
    write(tmp / name, *lines)
    out = tmp / "OUT.csv"
    out.write_text("previous result\n", encoding="utf-8")
    before = out.stat().st_mtime_ns

    with pytest.raises(CoverageInputError) as info:
        run_coverage(stays, cameras, recordings, out, io.StringIO())
    err = info.value
    assert Path(err.file).name == name
    assert (err.line, err.field) == (line, field)
    assert fragment in err.message
    where = f"{tmp / name} line {line}" + (f", field {field}" if field else "")
    assert str(err).startswith(where + ": ")
    assert out.read_text(encoding="utf-8") == "previous result\n"
    assert out.stat().st_mtime_ns == before

    # The CLI: exit 2, message on stderr, --out not created.
    fresh = tmp / "FRESH.csv"
    stdout, stderr = io.StringIO(), io.StringIO()
    rc = main(
        ["--stays", str(stays), "--cameras", str(cameras), "--recordings", str(recordings),
         "--out", str(fresh)],
        stdout=stdout, stderr=stderr,
    )
    assert rc == 2
    assert str(err) in stderr.getvalue()
    assert stdout.getvalue() == ""
    assert not fresh.exists()
    assert sorted(p.name for p in tmp.iterdir()) == sorted(
        ["CAMERAS.csv", "OUT.csv", "RECORDINGS.csv", "STAYS.csv"]
    )


def test_error_str_format():
    err = CoverageInputError("RECORDINGS.csv", 7, "end", "end must be after start")
    assert str(err) == "RECORDINGS.csv line 7, field end: end must be after start"


def test_line_numbers_count_quoted_newlines_and_blank_lines(tmp_path, files):
    _, _, cameras, recordings = files
    stays = write(
        tmp_path / "STAYS.csv", STAYS_HEADER, '"multi', 'line",R,0,10', "", "b,R,0,x"
    )
    with pytest.raises(CoverageInputError) as info:
        run_coverage(stays, cameras, recordings, None, io.StringIO())
    assert (info.value.line, info.value.field) == (5, "end")


def test_invalid_utf8_reports_line(files):
    tmp, stays, cameras, recordings = files
    (tmp / "CAMERAS.csv").write_bytes(b"camera_id,room_id\nC1,R1\nC2,R\xff\n")
    with pytest.raises(CoverageInputError) as info:
        run_coverage(stays, cameras, recordings, None, io.StringIO())
    assert (Path(info.value.file).name, info.value.line) == ("CAMERAS.csv", 3)
    assert "UTF-8" in info.value.message


def test_missing_input_file_is_bad_input(files):
    tmp, stays, cameras, _ = files
    stderr = io.StringIO()
    rc = main(
        ["--stays", str(stays), "--cameras", str(cameras),
         "--recordings", str(tmp / "nope.csv")],
        stdout=io.StringIO(), stderr=stderr,
    )
    assert rc == 2
    assert "nope.csv" in stderr.getvalue()


def test_usage_error_exit_2():
    stderr = io.StringIO()
    assert main(["--stays", "x.csv"], stdout=io.StringIO(), stderr=stderr) == 2
    assert "--cameras" in stderr.getvalue()


def test_stdout_untouched_on_failure(files):
    tmp, stays, cameras, recordings = files
    write(tmp / "RECORDINGS.csv", RECORDINGS_HEADER, "C1,0,10,ok", "C1,0,10,smeared")
    buf = io.StringIO()
    with pytest.raises(CoverageInputError):
        run_coverage(stays, cameras, recordings, None, buf)
    assert buf.getvalue() == ""


def test_unwritable_out_returns_1_and_leaves_no_temp(files):
    tmp, stays, cameras, recordings = files
    stderr = io.StringIO()
    target = tmp / "missing-dir" / "OUT.csv"
    rc = main(
        ["--stays", str(stays), "--cameras", str(cameras), "--recordings", str(recordings),
         "--out", str(target)],
        stdout=io.StringIO(), stderr=stderr,
    )
    assert rc == 1
    assert "cannot write output" in stderr.getvalue()
    assert not os.path.exists(target.parent)


def test_the_row_schemas_read_the_contract_columns_in_order():
    from custodywatch.coverage_csv import (
        CAMERAS_COLUMNS,
        RECORDINGS_COLUMNS,
        STAYS_COLUMNS,
        CameraRow,
        RecordingRow,
        StayRow,
    )

    assert tuple(StayRow.__annotations__) == STAYS_COLUMNS
    assert tuple(CameraRow.__annotations__) == CAMERAS_COLUMNS
    assert tuple(RecordingRow.__annotations__) == RECORDINGS_COLUMNS


def test_every_bad_row_of_every_file_is_named_first_one_first(files):
    # Issue 26 item 5: one run names all the errors (file, line, field), not only the first.
    tmp, stays, cameras, recordings = files
    write(tmp / "STAYS.csv", STAYS_HEADER, "a,R,0,10", "b,,0,10", "a,R,0,10", "c,R,5,1")
    write(tmp / "RECORDINGS.csv", RECORDINGS_HEADER, "C1,0,10,ok", "C1,0,10,smeared")
    with pytest.raises(CoverageInputError) as info:
        run_coverage(stays, cameras, recordings, None, io.StringIO())
    found = [(Path(e.file).name, e.line, e.field) for e in info.value.errors]
    assert found == [("STAYS.csv", 3, "room_id"), ("STAYS.csv", 4, "stay_id"),
                     ("STAYS.csv", 5, "end"), ("RECORDINGS.csv", 3, "state")]
    assert (info.value.line, info.value.field) == (3, "room_id")
    stderr = io.StringIO()
    assert main(["--stays", str(stays), "--cameras", str(cameras),
                 "--recordings", str(recordings)], stdout=io.StringIO(), stderr=stderr) == 2
    assert stderr.getvalue().count("error:") == 4
    assert "STAYS.csv line 4, field stay_id: duplicate stay_id 'a' (first on line 2)" \
        in stderr.getvalue()
