"""Benchmark the blind-time kernel (custodywatch.kernels.coverage).

    python bench/coverage.py            # full size: 150k stays, 30k rooms, 20k cameras, ~1M spans
    python bench/coverage.py --quick    # smaller, well under a minute on 2 cores

Figure: stays per second through the whole kernel pipeline (keep ok spans,
expand_to_rooms, blind_ms), best of several runs. Baseline, measured in the same run: a
straightforward pure-Python implementation (group ok spans by room, then for each stay
clip, sort and merge its room's spans), timed on a subsample of stays and scaled to all
of them; its grouping pass is timed in full. The kernel's answers are checked against
the baseline's on that subsample.

Also printed, not in the RESULT line: the floor (``numpy.sort`` of every endpoint once,
less work than any sort-based sweep can do) and, when ``DATABASE_URL`` or
``CUSTODYWATCH_TEST_POSTGRES_URL`` names a PostgreSQL server, the same question asked of
PostgreSQL range arithmetic (``tstzmultirange(stay) - range_agg(ok spans of the room)``), its
total checked against the kernel's to the millisecond.

Last line: ``RESULT coverage=<stays/s> stays/s baseline=<stays/s> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from custodywatch.kernels.coverage import (  # noqa: E402 - needs the sys.path line above
    blind_intervals,
    blind_ms,
    expand_to_rooms,
)

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
DAY = 86_400_000
MINUTE = 60_000


def make_data(n_stays: int, n_rooms: int, n_cameras: int, n_spans: int, seed: int = 1):
    """Synthetic month: each camera has back-to-back spans (some faulty, some gaps)."""
    rng = np.random.default_rng(seed)
    horizon = 30 * DAY

    # Camera -> rooms: 1..3 rooms each, so some rooms get several cameras and some none.
    per_cam = rng.integers(1, 4, n_cameras)
    map_camera = np.repeat(np.arange(n_cameras), per_cam)
    map_room = rng.integers(0, n_rooms, len(map_camera))

    # Spans: per camera a chain of durations and gaps laid end to end from T0.
    cam = np.sort(rng.integers(0, n_cameras, n_spans))
    duration = rng.integers(MINUTE, 2 * horizon * n_cameras // n_spans, n_spans)
    gap = np.where(rng.random(n_spans) < 0.8, 0, rng.integers(1, 30 * MINUTE, n_spans))
    step = duration + gap
    total = np.cumsum(step)
    first = np.flatnonzero(np.r_[True, cam[1:] != cam[:-1]])
    group_base = np.repeat(total[first] - step[first], np.diff(np.r_[first, n_spans]))
    end = T0 + total - group_base - gap
    start = end - duration
    # 85 % ok; the rest spread over fault states (only "is ok" matters to the kernel).
    ok = rng.random(n_spans) < 0.85

    stay_room = rng.integers(0, n_rooms, n_stays)
    stay_start = T0 + rng.integers(0, horizon, n_stays)
    stay_end = stay_start + rng.integers(10 * MINUTE, 3 * DAY, n_stays)
    return {
        "map_camera": map_camera, "map_room": map_room,
        "rec_camera": cam, "rec_start": start, "rec_end": end, "rec_ok": ok,
        "stay_room": stay_room, "stay_start": stay_start, "stay_end": stay_end,
    }


def kernel(d) -> np.ndarray:
    ok = d["rec_ok"]
    rooms, s, e = expand_to_rooms(
        d["rec_camera"][ok], d["rec_start"][ok], d["rec_end"][ok], d["map_camera"], d["map_room"]
    )
    return blind_ms(d["stay_room"], d["stay_start"], d["stay_end"], rooms, s, e)


def baseline_group(d) -> dict[int, list[tuple[int, int]]]:
    rooms_of: dict[int, list[int]] = defaultdict(list)
    for c, r in zip(d["map_camera"].tolist(), d["map_room"].tolist(), strict=True):
        rooms_of[c].append(r)
    by_room: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for c, s, e, ok in zip(
        d["rec_camera"].tolist(), d["rec_start"].tolist(), d["rec_end"].tolist(),
        d["rec_ok"].tolist(), strict=True,
    ):
        if ok:
            for r in rooms_of.get(c, ()):
                by_room[r].append((s, e))
    return by_room


def baseline_stays(by_room, rooms, starts, ends) -> list[int]:
    out = []
    for r, s, e in zip(rooms, starts, ends, strict=True):
        clipped = sorted(
            (max(a, s), min(b, e)) for a, b in by_room.get(r, ()) if a < e and b > s
        )
        covered = 0
        cur_s = cur_e = None
        for a, b in clipped:
            if cur_e is None or a > cur_e:
                if cur_e is not None:
                    covered += cur_e - cur_s
                cur_s, cur_e = a, b
            else:
                cur_e = max(cur_e, b)
        if cur_e is not None:
            covered += cur_e - cur_s
        out.append(e - s - covered)
    return out


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def postgres_url() -> str:
    for name in ("CUSTODYWATCH_TEST_POSTGRES_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            return url
    return ""


PG_QUERY = """
WITH cover AS (
    SELECT c.room_id, range_agg(r.r) AS mr
    FROM b_recs r JOIN b_cams c USING (camera_id) GROUP BY c.room_id
)
SELECT sum(COALESCE((
    SELECT sum(extract(epoch FROM upper(p) - lower(p)) * 1000)
    FROM unnest(tstzmultirange(st.r) - COALESCE(cv.mr, '{}'::tstzmultirange)) AS p), 0))::bigint
FROM b_stays st LEFT JOIN cover cv USING (room_id)
"""


def postgres(d, url: str) -> tuple[float, float, int]:
    """Load the data (not timed), then time the multirange query. Returns (load s, query s,
    total blind ms)."""
    import psycopg

    ts = "timestamptz 'epoch' + {} * interval '1 millisecond'"
    ok = d["rec_ok"]
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        t = time.perf_counter()
        cursor.execute("CREATE TEMP TABLE b_raw (a bigint, b bigint, s bigint, e bigint)")
        cursor.execute("CREATE TEMP TABLE b_cams (camera_id bigint, room_id bigint)")
        with cursor.copy("COPY b_cams FROM STDIN") as copy:
            for row in zip(d["map_camera"].tolist(), d["map_room"].tolist(), strict=True):
                copy.write_row(row)
        with cursor.copy("COPY b_raw FROM STDIN") as copy:
            for row in zip(d["rec_camera"][ok].tolist(), d["rec_start"][ok].tolist(),
                           d["rec_end"][ok].tolist(), strict=True):
                copy.write_row((row[0], 0, row[1], row[2]))
        cursor.execute(f"CREATE TEMP TABLE b_recs AS SELECT a AS camera_id, "
                       f"tstzrange({ts.format('s')}, {ts.format('e')}) AS r FROM b_raw")
        cursor.execute("TRUNCATE b_raw")
        with cursor.copy("COPY b_raw FROM STDIN") as copy:
            for row in zip(range(len(d["stay_room"])), d["stay_room"].tolist(),
                           d["stay_start"].tolist(), d["stay_end"].tolist(), strict=True):
                copy.write_row(row)
        cursor.execute(f"CREATE TEMP TABLE b_stays AS SELECT a AS stay_id, b AS room_id, "
                       f"tstzrange({ts.format('s')}, {ts.format('e')}) AS r FROM b_raw")
        cursor.execute("ANALYZE b_recs; ANALYZE b_cams; ANALYZE b_stays")
        load = time.perf_counter() - t
        t = time.perf_counter()
        cursor.execute(PG_QUERY)
        total = int(cursor.fetchone()[0])
        return load, time.perf_counter() - t, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller data, under a minute")
    args = ap.parse_args()
    if args.quick:
        n_stays, n_rooms, n_cameras, n_spans, sub, repeats = 30_000, 6_000, 4_000, 200_000, 3_000, 3
    else:
        n_stays, n_rooms, n_cameras, n_spans, sub, repeats = (
            150_000, 30_000, 20_000, 1_000_000, 5_000, 5
        )

    d = make_data(n_stays, n_rooms, n_cameras, n_spans)
    n_ok = int(d["rec_ok"].sum())
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpus, mode={'quick' if args.quick else 'full'}")
    print(f"data: {n_stays:,} stays, {n_rooms:,} rooms, {n_cameras:,} cameras, "
          f"{len(d['map_camera']):,} camera-room pairs, {n_spans:,} recording spans "
          f"({n_ok:,} ok)")

    kernel(d)  # warm-up
    t_kernel, blind = best_of(lambda: kernel(d), repeats)
    rate = n_stays / t_kernel
    print(f"kernel (ok filter + expand_to_rooms + blind_ms): {t_kernel * 1e3:.1f} ms "
          f"best of {repeats} -> {rate:,.0f} stays/s, {n_spans / t_kernel:,.0f} spans/s")

    ok = d["rec_ok"]
    rooms, s, e = expand_to_rooms(
        d["rec_camera"][ok], d["rec_start"][ok], d["rec_end"][ok], d["map_camera"], d["map_room"]
    )
    t_iv, (idx, _, _) = best_of(
        lambda: blind_intervals(d["stay_room"], d["stay_start"], d["stay_end"], rooms, s, e),
        repeats,
    )
    print(f"blind_intervals (for reference): {t_iv * 1e3:.1f} ms, {len(idx):,} blind pieces, "
          f"{len(rooms):,} room-expanded ok spans")

    endpoints = np.concatenate([d["rec_start"], d["rec_end"], d["stay_start"], d["stay_end"]])
    t_floor, _ = best_of(lambda: np.sort(endpoints), repeats)
    print(f"floor (numpy.sort of all {len(endpoints):,} endpoints once): {t_floor * 1e3:.1f} ms "
          f"-> {n_stays / t_floor:,.0f} stays/s; the kernel takes {t_kernel / t_floor:.1f}x that")

    url = postgres_url()
    if url:
        load, t_pg, pg_total = postgres(d, url)
        if pg_total != int(blind.sum()):
            raise SystemExit(f"MISMATCH: PostgreSQL {pg_total} ms vs kernel {int(blind.sum())}")
        print(f"PostgreSQL multirange (tstzmultirange - range_agg), query only: {t_pg:.2f} s -> "
              f"{n_stays / t_pg:,.0f} stays/s (loading took {load:.1f} s, not counted); "
              f"total blind time identical to the kernel's, to the millisecond")
    else:
        print("PostgreSQL comparison skipped: set CUSTODYWATCH_TEST_POSTGRES_URL or DATABASE_URL "
              "to a postgresql:// URL")

    t_group, by_room = best_of(lambda: baseline_group(d), 1)
    pick = np.random.default_rng(7).choice(n_stays, sub, replace=False)
    t_sub, base = best_of(
        lambda: baseline_stays(
            by_room, d["stay_room"][pick].tolist(), d["stay_start"][pick].tolist(),
            d["stay_end"][pick].tolist(),
        ),
        1,
    )
    if base != blind[pick].tolist():
        raise SystemExit("MISMATCH between kernel and pure-Python baseline")
    t_base = t_group + t_sub * n_stays / sub
    base_rate = n_stays / t_base
    print(f"baseline (pure Python): grouping {t_group:.2f} s (full) + per-stay loop "
          f"{t_sub:.2f} s on {sub:,} stays, scaled to {t_base:.2f} s -> {base_rate:,.0f} stays/s;"
          f" results identical on the subsample")
    blind_share = float(blind.sum()) / float((d["stay_end"] - d["stay_start"]).sum())
    print(f"blind share of stay time: {blind_share:.1%}")
    print(f"RESULT coverage={rate:.0f} stays/s baseline={base_rate:.0f} "
          f"ratio={rate / base_rate:.1f}")


if __name__ == "__main__":
    main()
