"""How long the demo dataset takes to load, beside a bare bulk insert of as many rows.

    python bench/demo_load.py            # national scale (3,000 facilities ...)
    python bench/demo_load.py --quick    # small scale

Runs on a throw-away SQLite file (or DATABASE_URL if set, which it then wipes: use a
throw-away database). Prints the data size, the time, and the baseline: inserting the same
number of rows into one plain table with executemany, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rows_loaded() -> int:
    """Every row in the product's own tables: registry, custody, video, complaints, visits."""
    from django.apps import apps

    return sum(model.objects.count() for model in apps.get_models(include_auto_created=True)
               if model.__module__.startswith("custodywatch."))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scale = "small" if args.quick else "national"
    workdir = tempfile.mkdtemp(prefix="cw-bench-")
    os.environ.setdefault("CUSTODYWATCH_VAR_DIR", workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodywatch.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from custodywatch.demo import generator
    from custodywatch.registry.models import Camera, Facility, Room

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    generator.load(scale_name=scale, seed=args.seed, reset=True)
    seconds = time.perf_counter() - started
    rows = _rows_loaded()

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_rows")
        cursor.execute("CREATE TABLE bench_rows (id integer PRIMARY KEY, a varchar(40), "
                       "b varchar(200), c integer)")
        values = [(i, f"CODE-{i}", f"name {i}", i % 97) for i in range(rows)]
        base_started = time.perf_counter()
        with transaction.atomic():  # one transaction, as the demo loader uses
            cursor.executemany("INSERT INTO bench_rows VALUES (%s, %s, %s, %s)", values)
        baseline = time.perf_counter() - base_started
        cursor.execute("DROP TABLE bench_rows")

    print(f"dataset: scale={scale} facilities={Facility.objects.count()} "
          f"rooms={Room.objects.count()} cameras={Camera.objects.count()} "
          f"rows in all the product's tables={rows} database={connection.vendor}")
    print(f"demo load: {seconds:.2f} s ({rows / seconds:,.0f} rows/s; includes 10 demo users "
          "with Argon2 hashing)")
    print(f"baseline: {baseline:.2f} s to executemany {rows} rows into one plain table "
          "in one transaction")
    print(f"RESULT demo_load={seconds:.2f} s baseline={baseline:.2f} "
          f"ratio={seconds / baseline:.1f}")


if __name__ == "__main__":
    main()
