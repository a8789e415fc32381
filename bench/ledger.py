"""Benchmark the evidence ledger: batched appends into the database, and proofs at large sizes.

    python bench/ledger.py            # 200k appends into the database; proofs over 10M leaves
    python bench/ledger.py --quick    # 20k appends; proofs over 1M leaves; under a minute

Figure: appends per second end to end: each leaf encoded and queued by ``ledger_append_many``
inside business transactions of 1,000, then integrated (ordered, hashed, tiled, Ed25519-signed
checkpoint) in batches of 10,000. The business fields are built before the clock starts.
Database: ``DATABASE_URL`` (PostgreSQL) or a throw-away SQLite. Baseline, measured in the same
run: the same leaf rows, already encoded, inserted bare (COPY / executemany) into a table with
no tree at all, in transactions of 1,000: the floor any ledger on this database pays.

Also printed: inclusion-proof generation from the database store (tile reads) and its
verification at that size, and the in-memory kernel's proof time over 10M (quick: 1M) leaves
next to rebuilding the root from every leaf hash (what a proof without stored subtrees costs).

Last line: ``RESULT ledger=<appends/s> appends/s baseline=<rows/s> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import hashlib
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
os.environ.setdefault("LEDGER_SIGNING_KEY_FILE", "")

import django  # noqa: E402 - after the settings name

django.setup()

from datetime import UTC, datetime  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from custodywatch.kernels import merkle  # noqa: E402
from custodywatch.kernels.ledger_leaf import encode_leaf  # noqa: E402
from custodywatch.ledger import selectors, services  # noqa: E402
from custodywatch.ledger.appends import (  # noqa: E402
    evidence_registered_fields,
    ledger_append,
    ledger_append_many,
)
from custodywatch.ledger.models import LeafKind  # noqa: E402

AT = datetime(2024, 1, 5, 10, 0, tzinfo=UTC)


def fields(n: int) -> dict:
    digest = hashlib.sha256(n.to_bytes(8, "big")).hexdigest()
    return evidence_registered_fields(evidence=f"E-{n}", sha256=digest, size=n, by="forensic",
                                      at=AT, case="C-1", name=f"segment-{n}.mp4")


def bench_appends(count: int) -> tuple[float, float, float]:
    # The business records' fields exist before their write; building them is not the
    # ledger's cost. Encoding, queueing, integrating, tiling and signing are all timed.
    business = [fields(n) for n in range(count + min(count, 5000))]
    start = time.perf_counter()
    for first in range(0, count, 1000):
        with transaction.atomic():  # a business transaction recording 1,000 facts at once
            ledger_append_many(entries=[(LeafKind.EVIDENCE_REGISTERED, business[n])
                                        for n in range(first, min(count, first + 1000))])
    queued = time.perf_counter()
    services.ledger_integrate_all(limit=10_000)
    ledger_rate = count / (time.perf_counter() - start)
    print(f"  of which encoding and queueing {queued - start:.2f} s, integration "
          f"{time.perf_counter() - queued:.2f} s")

    single = min(count, 5000)
    start = time.perf_counter()
    with transaction.atomic():  # one INSERT per fact, as audit_record does
        for n in range(count, count + single):
            ledger_append(kind=LeafKind.EVIDENCE_REGISTERED, fields=business[n])
    services.ledger_integrate_all(limit=10_000)
    single_rate = single / (time.perf_counter() - start)

    # Baseline: the same leaf rows, already encoded, inserted bare (COPY on PostgreSQL, one
    # executemany on SQLite) into a table with no tree, no hashing, no signature.
    now = connection.ops.adapt_datetimefield_value(datetime.now(UTC))
    rows = [("evidence_registered", encode_leaf(LeafKind.EVIDENCE_REGISTERED, business[n]),
             business[n]["sha256"], now) for n in range(count)]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (kind varchar(40), data bytea, "
                       "sha256 varchar(64), queued_at timestamp with time zone)"
                       if connection.vendor == "postgresql" else
                       "CREATE TABLE bench_bare (kind text, data blob, sha256 text, "
                       "queued_at text)")
    start = time.perf_counter()
    for first in range(0, count, 1000):
        with transaction.atomic(), connection.cursor() as cursor:
            chunk = rows[first: first + 1000]
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY bench_bare FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO bench_bare VALUES (%s, %s, %s, %s)", chunk)
    baseline_rate = count / (time.perf_counter() - start)
    return ledger_rate, baseline_rate, single_rate


def bench_db_proofs(size: int, samples: int = 200) -> None:
    rng = random.Random(1)
    root = bytes(selectors.checkpoint_latest().root)
    indexes = [rng.randrange(size) for _ in range(samples)]
    start = time.perf_counter()
    proofs = [selectors.inclusion_proof(index=i, size=size) for i in indexes]
    generate = (time.perf_counter() - start) / samples
    start = time.perf_counter()
    ok = all(merkle.verify_inclusion(i, size, leaf, proof, root)
             for i, (leaf, proof) in zip(indexes, proofs, strict=True))
    verify = (time.perf_counter() - start) / samples
    assert ok, "a proof from the database did not verify"
    print(f"database store, {size:,} leaves: inclusion proof {generate * 1e3:.2f} ms "
          f"(tile reads), verification {verify * 1e6:.0f} µs")


def bench_memory_proofs(size: int, samples: int = 1000) -> None:
    start = time.perf_counter()
    hashes = [hashlib.sha256(b"\x00" + n.to_bytes(8, "big")).digest() for n in range(size)]
    tree = merkle.MemoryTree(hashes)
    build = time.perf_counter() - start
    root = tree.root()
    rng = random.Random(2)
    indexes = [rng.randrange(size) for _ in range(samples)]
    start = time.perf_counter()
    proofs = [merkle.inclusion_proof(i, size, tree) for i in indexes]
    generate = (time.perf_counter() - start) / samples
    start = time.perf_counter()
    assert all(merkle.verify_inclusion(i, size, hashes[i], p, root)
               for i, p in zip(indexes, proofs, strict=True))
    verify = (time.perf_counter() - start) / samples
    start = time.perf_counter()
    assert merkle.root_from_leaf_hashes(hashes) == root
    rebuild = time.perf_counter() - start
    print(f"memory kernel, {size:,} leaves (built in {build:.1f} s): inclusion proof "
          f"{generate * 1e6:.1f} µs, verification {verify * 1e6:.1f} µs; "
          f"rebuilding the root instead: {rebuild:.2f} s ({rebuild / generate:,.0f}x slower)")
    del tree, hashes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    appends, memory_size = (20_000, 1_000_000) if args.quick else (200_000, 10_000_000)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False, serialize=False)
    try:
        print(f"python {platform.python_version()}, {os.cpu_count()} cpus, "
              f"database {connection.vendor}")
        leaf_bytes = len(encode_leaf("evidence_registered", fields(1)))
        print(f"data: {appends:,} evidence leaves (~{leaf_bytes} bytes each), transactions "
              "of 1,000, integration batches of 10,000")
        ledger_rate, baseline_rate, single_rate = bench_appends(appends)
        print(f"ledger appends, batched: {ledger_rate:,.0f}/s; one INSERT per append "
              f"(audit_record's path): {single_rate:,.0f}/s; bare bulk insert, no tree: "
              f"{baseline_rate:,.0f}/s")
        bench_db_proofs(selectors.tree_size())
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    bench_memory_proofs(memory_size)
    print(f"RESULT ledger={ledger_rate:.0f} appends/s baseline={baseline_rate:.0f} "
          f"ratio={ledger_rate / baseline_rate:.2f}")


if __name__ == "__main__":
    main()
