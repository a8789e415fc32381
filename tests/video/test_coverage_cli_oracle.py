"""`custodywatch coverage` on generated CSV files against the PostgreSQL oracle."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from decimal import Decimal

import pytest

from custodywatch.video.timing import from_ms
from tests.video.oracle import blind_ms_by_postgres
from tests.video.scenarios import adversarial_cases, random_case

pytestmark = pytest.mark.postgres


def iso_or_epoch(ms: int, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{ms // 1000}.{ms % 1000:03d}"
    return from_ms(ms).isoformat(timespec="milliseconds")


def test_cli_on_generated_csv_matches_postgres(tmp_path, postgres_url):
    rng = random.Random(42)
    case = random_case(rng, rooms=7, cameras=10, stays=80, recordings=200)
    for extra in adversarial_cases().values():  # shift ids so cases do not mix
        base = 1000 * (len(case.stays) + 1)
        case.stays += [(base + i, base + r, s, e) for i, r, s, e in extra.stays]
        case.camera_rooms += [(base + c, base + r) for c, r in extra.camera_rooms]
        case.recordings += [(base + c, s, e, st) for c, s, e, st in extra.recordings]
    with open(tmp_path / "stays.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["stay_id", "room_id", "start", "end"])
        writer.writerows((f"s{i}", f"r{r}", iso_or_epoch(s, rng), iso_or_epoch(e, rng))
                         for i, r, s, e in case.stays)
    with open(tmp_path / "cameras.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["camera_id", "room_id"])
        writer.writerows((f"c{c}", f"r{r}") for c, r in case.camera_rooms)
    with open(tmp_path / "recordings.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["camera_id", "start", "end", "state"])
        writer.writerows((f"c{c}", iso_or_epoch(s, rng), iso_or_epoch(e, rng), st)
                         for c, s, e, st in case.recordings)
    done = subprocess.run(  # noqa: S603 - our own CLI with paths we made
        [sys.executable, "-m", "custodywatch.cli", "coverage", "--stays", tmp_path / "stays.csv",
         "--cameras", tmp_path / "cameras.csv", "--recordings", tmp_path / "recordings.csv"],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(done.stdout.splitlines()))
    expected = blind_ms_by_postgres(postgres_url, case.stays, case.camera_rooms, case.ok)
    assert [row["stay_id"] for row in rows] == [f"s{i}" for i, *_r in case.stays]
    got = {int(row["stay_id"][1:]): int(Decimal(row["blind_seconds"]) * 1000) for row in rows}
    assert got == expected
    assert all(len(row["blind_seconds"].split(".")[1]) == 3 for row in rows)
