"""Benchmark the duty-desk page (custody) on a demo database.

    python bench/pages.py            # national demo: ~3,000 facilities, ~150,000 detentions
    python bench/pages.py --quick    # small demo, well under a minute on 2 cores

Builds the demo in a fresh SQLite database under a temporary directory (or reuses
`--var DIR`), adds people held now at the demo staff's facility until it holds 200, and
times the duty desk as its duty officer sees it: the full page and the htmx poll, through
Django's whole request stack (middleware, session, scoping, audit row, templates).
Baseline, measured in the same run and the same way: the registry's facility list page
(50 facilities a page with three correlated counts each). Also printed: the desk's query
count and a bare SELECT of the same 200 rows, for scale.

Also timed, as the GPO sees them: the national dashboard (home) and the reports' scorecard
and one unit's scorecard (figures printed before the RESULT line).

Last line: ``RESULT pages=<median ms> ms baseline=<median ms> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PEOPLE_AT_DESK = 200


def _database_name(connection) -> str:  # type: ignore[no-untyped-def]
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    return f"{connection.vendor} {connection.pg_version}"


def _setup(var_dir: str) -> None:
    os.environ["CUSTODYWATCH_VAR_DIR"] = var_dir
    os.environ["CUSTODYWATCH_REQUIRE_2FA"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodywatch.settings")
    import django

    django.setup()


def _timed(client, path: str, runs: int, **headers) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, **headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small demo (seconds)")
    parser.add_argument("--var", help="reuse this data directory (a demo already loaded)")
    parser.add_argument("--runs", type=int, default=0)
    args = parser.parse_args()
    scale = "small" if args.quick else "national"
    runs = args.runs or (15 if args.quick else 30)
    var_dir = args.var or tempfile.mkdtemp(prefix="cw-bench-pages-")
    _setup(var_dir)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from custodywatch.accounts.models import User
    from custodywatch.custody.demo import add_people_in_custody
    from custodywatch.custody.models import CustodyRecord, RoomStay
    from custodywatch.demo import generator

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _logins, loaded = generator.load(scale_name=scale, seed=0)
    load_s = time.perf_counter() - started
    duty = User.objects.select_related("facility").get(username="duty")
    facility = duty.facility
    held = CustodyRecord.objects.filter(facility=facility, ended_at__isnull=True).count()
    if held < PEOPLE_AT_DESK:
        add_people_in_custody(facility=facility, count=PEOPLE_AT_DESK - held,
                              rng=random.Random(1), now=timezone.now())
    held = CustodyRecord.objects.filter(facility=facility, ended_at__isnull=True).count()
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} cpus, {_database_name(connection)}")
    how = f"loaded in {load_s:.1f} s" if loaded else "reused"
    print(f"data: {scale} demo ({how}): "
          f"{CustodyRecord.objects.count():,} detentions, {RoomStay.objects.count():,} "
          f"room stays; {held} people in custody at {facility.code}")

    client = Client()
    client.force_login(duty, backend="django.contrib.auth.backends.ModelBackend")
    desk = f"/custody/desk/{facility.code}/"
    _timed(client, desk, 3)  # warm caches, templates and the session
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    # Not CaptureQueriesContext: request_started empties its log before the view runs.
    with connection.execute_wrapper(count):
        client.get(desk)
    desk_ms = _timed(client, desk, runs)
    poll_ms = _timed(client, desk, runs, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="desk-results")

    overseer = User.objects.get(username="gpo")
    client.force_login(overseer, backend="django.contrib.auth.backends.ModelBackend")
    _timed(client, "/registry/facilities/", 3)
    baseline_ms = _timed(client, "/registry/facilities/", runs)

    # The reports: the national dashboard (the GPO's home) and the scorecard, both reading
    # the precomputed figures the demo load refreshed.
    from custodywatch.reports.models import FacilityDay, FacilityMonth, RegionMonth

    _timed(client, "/", 3)
    dashboard_ms = _timed(client, "/", runs)
    _timed(client, "/reports/scorecard/", 3)
    scorecard_ms = _timed(client, "/reports/scorecard/", runs)
    unit_code = facility.code
    _timed(client, f"/reports/scorecard/{unit_code}/", 3)
    unit_ms = _timed(client, f"/reports/scorecard/{unit_code}/", runs)
    print(f"reports data: {FacilityDay.objects.count():,} unit-days, "
          f"{FacilityMonth.objects.count():,} unit-months, "
          f"{RegionMonth.objects.count():,} region-months")
    base = statistics.median(baseline_ms)
    print(f"national dashboard (gpo): median {statistics.median(dashboard_ms):.1f} ms; "
          f"scorecard (50 units a page): median {statistics.median(scorecard_ms):.1f} ms; "
          f"unit {unit_code} with its heads: median {statistics.median(unit_ms):.1f} ms; "
          f"ratios to the facility list baseline: "
          f"{statistics.median(dashboard_ms) / base:.2f} / "
          f"{statistics.median(scorecard_ms) / base:.2f} / {statistics.median(unit_ms) / base:.2f}")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM custody_custodyrecord WHERE facility_id = %s AND "
                       "ended_at IS NULL ORDER BY detention_due_at", [facility.pk])
        bare_rows = len(cursor.fetchall())
    bare_ms = (time.perf_counter() - started) * 1000

    desk_median, baseline_median = statistics.median(desk_ms), statistics.median(baseline_ms)
    print(f"duty desk, {held} people: median {desk_median:.1f} ms, p90 "
          f"{sorted(desk_ms)[int(runs * 0.9) - 1]:.1f} ms, {len(queries)} queries; "
          f"htmx poll median {statistics.median(poll_ms):.1f} ms")
    print(f"baseline facility list (50 a page): median {baseline_median:.1f} ms; "
          f"bare SELECT of the {bare_rows} desk rows: {bare_ms:.2f} ms")
    print(f"RESULT pages={desk_median:.1f} ms baseline={baseline_median:.1f} "
          f"ratio={desk_median / baseline_median:.2f}")
    # (The desk stays the headline RESULT; the reports' medians are printed above.)


if __name__ == "__main__":
    main()
