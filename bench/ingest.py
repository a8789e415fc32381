"""Benchmark span ingestion through the HTTP batch endpoint.

    python bench/ingest.py            # 200 cameras, 200 batches of 1,000 spans
    python bench/ingest.py --quick    # 100 cameras, 30 batches (well under a minute)
    python bench/ingest.py --quick --batch 5000   # the same 30,000 spans in 6 requests
    python bench/ingest.py --quick --rooms        # each camera covers a room of its own

Figure: camera state spans per second through ``POST /api/video/state-spans`` (Django test
client: JSON parsing, bearer-token auth, validation, merging with stored spans, the audit
row) into the configured database (``DATABASE_URL``; default a throw-away SQLite). The data
are an agent's real traffic: every batch continues each camera's last span, and about one
span in ten changes state. Baseline, in the same run: a bare ``COPY`` (PostgreSQL) or
``executemany`` INSERT (SQLite) of the same spans, unmerged and unvalidated, one transaction
per batch; the ORM's ``bulk_create`` is printed for reference. One untimed warm-up request
first (URLconf import). A throw-away test database is created and dropped.

Last line: ``RESULT ingest=<spans/s> spans/s baseline=<spans/s> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("CUSTODYWATCH_VAR_DIR", tempfile.mkdtemp(prefix="cw-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodywatch.settings")

import django  # noqa: E402 - after the settings name

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

T0 = 1_704_430_800_000  # 2024-01-05T05:00:00Z
STATES = ["black", "frozen", "covered", "blurred", "moved"]


def make_batches(cameras: int, batches: int, per_batch: int, seed: int = 1):
    """Spans per camera laid end to end: mostly ok, a fault now and then."""
    rng = random.Random(seed)
    clock = [T0] * cameras
    out = []
    for _ in range(batches):
        items = []
        for n in range(per_batch):
            camera = n % cameras
            length = rng.randint(5_000, 60_000)
            state = "ok" if rng.random() < 0.9 else rng.choice(STATES)
            start = clock[camera]
            clock[camera] += length
            items.append({"camera": f"C{camera:04d}", "state": state,
                          "start": f"{start // 1000}.{start % 1000:03d}",
                          "end": f"{clock[camera] // 1000}.{clock[camera] % 1000:03d}"})
        out.append(items)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller run, under a minute")
    ap.add_argument("--batch", type=int, default=1000,
                    help="spans per request (the endpoint takes up to 5,000)")
    ap.add_argument("--rooms", action="store_true",
                    help="give each camera a custody room, so that every batch also queues "
                         "coverage work (video/coverage_jobs.py) as in a real facility")
    args = ap.parse_args()
    cameras, batches = (100, 30) if args.quick else (200, 200)
    per_batch = args.batch
    batches = batches * 1000 // per_batch  # the same number of spans whatever the batch

    setup_test_environment()
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    try:
        run(cameras, batches, per_batch, quick=args.quick, rooms=args.rooms)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(cameras: int, batches: int, per_batch: int, *, quick: bool, rooms: bool = False
        ) -> None:
    from custodywatch.accounts.audit import SYSTEM_ORIGIN
    from custodywatch.accounts.models import Role
    from custodywatch.accounts.services import token_create, user_create
    from custodywatch.registry.models import Agency, Camera, Facility, Region, Room
    from custodywatch.video.bulk import insert_rows, time_adapter
    from custodywatch.video.models import CameraStateSpan
    from custodywatch.video.timing import from_ms

    facility = Facility.objects.create(code="BENCH-1", name="Bench", kind="temporary_detention",
                                       region=Region.objects.order_by("code").first(),
                                       agency=Agency.objects.order_by("code").first())
    Camera.objects.bulk_create(Camera(facility=facility, code=f"C{n:04d}")
                               for n in range(cameras))
    if rooms:
        Room.objects.bulk_create(Room(facility=facility, code=f"R{n:04d}", name=f"Cell {n}",
                                      kind=Room.Kind.CELL, custody_use=True)
                                 for n in range(cameras))
        room_ids = dict(Room.objects.filter(facility=facility).values_list("code", "pk"))
        Camera.rooms.through.objects.bulk_create(
            Camera.rooms.through(camera_id=camera_id, room_id=room_ids[f"R{code[1:]}"])
            for code, camera_id in Camera.objects.filter(facility=facility)
            .values_list("code", "pk"))
    agent = user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="bench-agent",
                        password=None, role=Role.EDGE_AGENT, facility=facility)
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=agent)
    data = make_batches(cameras, batches, per_batch)
    bodies = [json.dumps({"items": items}) for items in data]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    print(f"python {platform.python_version()}, django {django.get_version()}, "
          f"{os.cpu_count()} cpus, database {connection.vendor}, "
          f"mode={'quick' if quick else 'full'}{' rooms' if rooms else ''}")
    print(f"data: {cameras} cameras, {batches} batches x {per_batch} spans "
          f"= {batches * per_batch:,} spans")

    # Warm-up, not timed: the first request imports the URLconf and every view module (about
    # 1.8 s here), which a running server has done once at start. A rejected empty batch.
    client.post("/api/video/state-spans", data='{"items": []}', content_type="application/json")
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        response = client.post("/api/video/state-spans", data=body,
                               content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"b{n}")
        if response.status_code != 200:
            raise SystemExit(f"batch {n}: {response.status_code} {response.content[:300]!r}")
    took = time.perf_counter() - started
    stored = CameraStateSpan.objects.count()
    rate = batches * per_batch / took
    print(f"HTTP batch endpoint: {took:.2f} s -> {rate:,.0f} spans/s; {stored:,} rows stored "
          f"for {batches * per_batch:,} spans (merged: storage grows with changes)")

    camera_ids = dict(Camera.objects.filter(facility=facility).values_list("code", "pk"))
    adapt = time_adapter(connection)
    plain = []
    for items in data:
        for item in items:
            start = int(item["start"].replace(".", ""))
            end = int(item["end"].replace(".", ""))
            plain.append((camera_ids[item["camera"]], item["state"], "agent", start, end))
    fields = ["camera", "state", "source", "started_at", "ended_at"]
    CameraStateSpan.objects.all().delete()
    started = time.perf_counter()
    for first in range(0, len(plain), per_batch):
        with transaction.atomic():  # one transaction per batch, as the endpoint commits
            insert_rows(CameraStateSpan, fields,
                        [(c, st, src, adapt(s), adapt(e))
                         for c, st, src, s, e in plain[first: first + per_batch]])
    base_took = time.perf_counter() - started
    base_rate = len(plain) / base_took
    how = "COPY" if connection.vendor == "postgresql" else "executemany INSERT"
    print(f"baseline (bare {how} of the same spans, unmerged, unvalidated, one transaction "
          f"per batch of {per_batch:,}): {base_took:.2f} s -> {base_rate:,.0f} spans/s")

    rows = [CameraStateSpan(camera_id=c, state=st, started_at=from_ms(s), ended_at=from_ms(e))
            for c, st, _src, s, e in plain]
    CameraStateSpan.objects.all().delete()
    started = time.perf_counter()
    for first in range(0, len(rows), per_batch):
        with transaction.atomic():
            CameraStateSpan.objects.bulk_create(rows[first: first + per_batch])
    orm_rate = len(rows) / (time.perf_counter() - started)
    print(f"for reference, the ORM's bulk_create of the same rows: {orm_rate:,.0f} spans/s")
    print(f"RESULT ingest={rate:.0f} spans/s baseline={base_rate:.0f} "
          f"ratio={rate / base_rate:.2f}")


if __name__ == "__main__":
    main()
