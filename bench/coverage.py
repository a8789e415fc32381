"""Benchmark the blind-time kernel (custodywatch.kernels.coverage).

    python bench/coverage.py            # full size: 150k stays, 30k rooms, 20k cameras, ~1M spans
    python bench/coverage.py --quick    # smaller, well under a minute on 2 cores
    python bench/coverage.py --national # issue 4's year: 1M stays, 10M spans (minutes, ~3 GiB)

Figure: stays per second through the whole kernel pipeline (keep ok spans, then
blind_ms_from_cameras), best of several runs. The general pipeline (expand_to_rooms, then
blind_ms, as ``custodywatch coverage`` runs it) is timed too and must give the same answers.
Baseline, measured in the same run: a straightforward pure-Python implementation (group ok
spans by room, then for each stay clip, sort and merge its room's spans), timed on a
subsample of stays and scaled to all of them; its grouping pass is timed in full. The
kernel's answers are checked against the baseline's on that subsample.

Also printed, not in the RESULT line: the floor (``numpy.sort`` of every endpoint once,
less work than any sort-based sweep can do) and, when ``DATABASE_URL`` or
``CUSTODYWATCH_TEST_POSTGRES_URL`` names a PostgreSQL server, the same question asked of
PostgreSQL range arithmetic (``tstzmultirange(stay) - range_agg(ok spans of the room)``), its
total checked against the kernel's to the millisecond; and, when the optional ``duckdb``
package is installed (``pip install -e .[bench]``), the same question asked of DuckDB in one
SQL query (no multirange type there: the classic gaps-and-islands union with window
functions, then each stay joined with its room's merged islands), its per-stay answers
checked equal to the kernel's. Loading into either database is not timed; the query is.
``--national`` runs the issue's national year (1,000,000 stays, 10,000,000 spans).

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
    blind_ms_from_cameras,
    expand_to_rooms,
)

T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
DAY = 86_400_000
MINUTE = 60_000


def make_data(n_stays: int, n_rooms: int, n_cameras: int, n_spans: int, seed: int = 1,
              days: int = 30):
    """Synthetic month (or ``days``): each camera has back-to-back spans (some faulty, some
    gaps)."""
    rng = np.random.default_rng(seed)
    horizon = days * DAY

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
    ok = np.flatnonzero(d["rec_ok"])  # one pass over the mask for the three arrays
    return blind_ms_from_cameras(
        d["stay_room"], d["stay_start"], d["stay_end"],
        d["rec_camera"][ok], d["rec_start"][ok], d["rec_end"][ok], d["map_camera"], d["map_room"],
    )


def general_kernel(d) -> np.ndarray:
    """The general pipeline: every ok span copied once per room of its camera, then
    blind_ms (per-room union and prefix sums)."""
    ok = d["rec_ok"]
    rooms, s, e = expand_to_rooms(
        d["rec_camera"][ok], d["rec_start"][ok], d["rec_end"][ok], d["map_camera"], d["map_room"]
    )
    return blind_ms(d["stay_room"], d["stay_start"], d["stay_end"], rooms, s, e)


def baseline_group(d, only_rooms=None) -> dict[int, list[tuple[int, int]]]:
    """Every room's ok spans; with ``only_rooms`` (a set) only those rooms' (the pass over
    all spans is the same, fewer are kept: used at national size to bound memory)."""
    rooms_of: dict[int, list[int]] = defaultdict(list)
    for c, r in zip(d["map_camera"].tolist(), d["map_room"].tolist(), strict=True):
        if only_rooms is None or r in only_rooms:
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


# Same question as PG_QUERY, in DuckDB, which has no range types: the classic interval-union
# ("gaps and islands") formulation. Ordered by start within its room, an ok span opens a new
# island when it starts after every earlier span of the room has ended (``before``: the
# running max of the earlier ends); touching spans (start == an earlier end) merge, as in the
# kernel. An island ends where the next one's ``before`` says the room's spans had ended (or
# at the room's last end). Each stay is then joined with its room's islands on overlap and
# the covered time subtracted. One statement, answers per stay. Of the variants timed (a
# second window numbering the islands, then GROUP BY; +1/-1 events with a running sum; the
# join split in two), this was the fastest, by 10-40 %.
DUCK_QUERY = """
WITH spans AS (
    SELECT c.room_id, r.s, r.e
    FROM d_recs r JOIN d_cams c USING (camera_id)
    WHERE r.ok AND r.e > r.s
), marked AS (
    SELECT room_id, s,
        max(e) OVER (PARTITION BY room_id ORDER BY s
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
    FROM spans
), room_end AS (
    SELECT room_id, max(e) AS e FROM spans GROUP BY room_id
), islands AS (
    SELECT m.room_id, m.s,
        COALESCE(lead(m.before) OVER (PARTITION BY m.room_id ORDER BY m.s), r.e) AS e
    FROM marked m JOIN room_end r USING (room_id)
    WHERE m.before IS NULL OR m.s > m.before
)
SELECT st.stay_id,
    -- FILTER: least/greatest skip NULLs, so an unmatched stay would count as covered.
    (st.e - st.s - COALESCE(sum(least(i.e, st.e) - greatest(i.s, st.s))
                            FILTER (WHERE i.room_id IS NOT NULL), 0))::BIGINT AS blind
FROM d_stays st LEFT JOIN islands i ON i.room_id = st.room_id AND i.s < st.e AND i.e > st.s
GROUP BY st.stay_id, st.s, st.e
"""


def duckdb_runs(d, repeats: int) -> list[tuple[str, float, float, np.ndarray]] | None:
    """Load the arrays into DuckDB tables (not timed), then time DUCK_QUERY with one thread and
    with DuckDB's default (every core). Returns [(label, load s, best query s, blind ms per
    stay)], or None when duckdb is not installed."""
    try:
        import duckdb
    except ImportError:
        return None
    out = []
    cores = os.cpu_count() or 1
    for label, threads in [("1 thread", 1)] + ([(f"{cores} threads", cores)] if cores > 1 else []):
        con = duckdb.connect(config={"threads": threads})
        t = time.perf_counter()
        # Zero-copy scans of the numpy arrays, materialised once as DuckDB's own tables, so that
        # the timed query reads native storage just as the PostgreSQL one reads its tables.
        con.register("np_cams", {"camera_id": d["map_camera"], "room_id": d["map_room"]})
        con.register("np_recs", {"camera_id": d["rec_camera"], "s": d["rec_start"],
                                 "e": d["rec_end"], "ok": d["rec_ok"]})
        con.register("np_stays", {"stay_id": np.arange(len(d["stay_room"]), dtype=np.int64),
                                  "room_id": d["stay_room"], "s": d["stay_start"],
                                  "e": d["stay_end"]})
        for name in ("cams", "recs", "stays"):
            con.execute(f"CREATE TABLE d_{name} AS SELECT * FROM np_{name}")
            con.unregister(f"np_{name}")
        load = time.perf_counter() - t

        def query(con=con):
            got = con.execute(DUCK_QUERY).fetchnumpy()
            return got["stay_id"], got["blind"]

        query()  # warm-up (first-run planning and allocation)
        t_query, (ids, blind) = best_of(query, repeats)
        con.close()
        per_stay = np.full(len(d["stay_room"]), -1, dtype=np.int64)
        per_stay[np.asarray(ids, dtype=np.int64)] = np.asarray(blind, dtype=np.int64)
        out.append((label, load, t_query, per_stay))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller data, under a minute")
    size.add_argument("--national", action="store_true",
                      help="issue 4's national year: 1M stays, 10M spans (minutes, ~3 GiB)")
    args = ap.parse_args()
    days, mode = 30, "full"
    if args.quick:
        n_stays, n_rooms, n_cameras, n_spans, sub, repeats = 30_000, 6_000, 4_000, 200_000, 3_000, 3
        mode = "quick"
    elif args.national:
        n_stays, n_rooms, n_cameras, n_spans, sub, repeats = (
            1_000_000, 30_000, 20_000, 10_000_000, 5_000, 3
        )
        days, mode = 365, "national"
    else:
        n_stays, n_rooms, n_cameras, n_spans, sub, repeats = (
            150_000, 30_000, 20_000, 1_000_000, 5_000, 5
        )

    d = make_data(n_stays, n_rooms, n_cameras, n_spans, days=days)
    n_ok = int(d["rec_ok"].sum())
    load_avg = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpus, mode={mode}, load average at start "
          f"{load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    print(f"data ({days} days): {n_stays:,} stays, {n_rooms:,} rooms, {n_cameras:,} cameras, "
          f"{len(d['map_camera']):,} camera-room pairs, {n_spans:,} recording spans "
          f"({n_ok:,} ok)")

    kernel(d)  # warm-up
    t_kernel, blind = best_of(lambda: kernel(d), repeats)
    rate = n_stays / t_kernel
    print(f"kernel (ok filter + blind_ms_from_cameras): {t_kernel * 1e3:.1f} ms "
          f"best of {repeats} -> {rate:,.0f} stays/s, {n_spans / t_kernel:,.0f} spans/s")
    general_kernel(d)  # warm-up
    t_general, general = best_of(lambda: general_kernel(d), 1 if args.national else repeats)
    if not np.array_equal(general, blind):
        raise SystemExit("MISMATCH between blind_ms_from_cameras and expand_to_rooms + blind_ms")
    print(f"general pipeline (ok filter + expand_to_rooms + blind_ms, as the CSV command): "
          f"{t_general * 1e3:.1f} ms; answers identical; the kernel is "
          f"{t_general / t_kernel:.1f}x faster")

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
        print(f"  kernel vs PostgreSQL: {t_pg / t_kernel:.1f}x faster "
              f"(goal 10x: {'met' if t_pg / t_kernel >= 10 else 'NOT met'})")
    else:
        print("PostgreSQL comparison skipped: set CUSTODYWATCH_TEST_POSTGRES_URL or DATABASE_URL "
              "to a postgresql:// URL")

    duck = duckdb_runs(d, min(repeats, 3))
    if duck is None:
        print("DuckDB comparison skipped: duckdb is not installed "
              "(pip install -e .[bench], or the pinned duckdb from pyproject.toml)")
    else:
        import duckdb

        for label, load, t_duck, per_stay in duck:
            if not np.array_equal(per_stay, blind):
                bad = np.flatnonzero(per_stay != blind)
                raise SystemExit(f"MISMATCH: DuckDB ({label}) differs from the kernel on "
                                 f"{len(bad):,} stays, first stay {int(bad[0])}: "
                                 f"{int(per_stay[bad[0]])} ms vs {int(blind[bad[0]])} ms")
            print(f"DuckDB {duckdb.__version__} gaps-and-islands, {label}, query only: "
                  f"{t_duck:.2f} s best of {min(repeats, 3)} -> {n_stays / t_duck:,.0f} stays/s "
                  f"(loading took {load:.1f} s, not counted); blind time of every stay "
                  f"identical to the kernel's, to the millisecond")
        t_duck_best = min(t for _, _, t, _ in duck)
        print(f"  kernel (1 core) vs DuckDB's best: {t_duck_best / t_kernel:.1f}x faster "
              f"(goal 10x: {'met' if t_duck_best / t_kernel >= 10 else 'NOT met'})")

    pick = np.random.default_rng(7).choice(n_stays, sub, replace=False)
    only = set(d["stay_room"][pick].tolist()) if args.national else None
    t_group, by_room = best_of(lambda: baseline_group(d, only), 1)
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
    scope = "full pass, only the sampled stays' rooms kept" if only is not None else "full"
    print(f"baseline (pure Python): grouping {t_group:.2f} s ({scope}) + per-stay loop "
          f"{t_sub:.2f} s on {sub:,} stays, scaled to {t_base:.2f} s -> {base_rate:,.0f} stays/s;"
          f" results identical on the subsample")
    blind_share = float(blind.sum()) / float((d["stay_end"] - d["stay_start"]).sum())
    print(f"blind share of stay time: {blind_share:.1%}")
    if hasattr(os, "getloadavg"):
        print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"RESULT coverage={rate:.0f} stays/s baseline={base_rate:.0f} "
          f"ratio={rate / base_rate:.1f}")


if __name__ == "__main__":
    main()
