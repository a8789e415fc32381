"""Benchmark the evidence ledger: batched appends into the database, and proofs at large sizes.

    python bench/ledger.py            # 200k appends into the database; proofs over 10M leaves
    python bench/ledger.py --quick    # 20k appends; proofs over 1M leaves; under a minute
    python bench/ledger.py --proof-size 10000000 [--proof-db FILE --keep] [--build direct]
                                      # proofs from a 10M-leaf log in a scratch SQLite file

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

``--proof-size N`` measures proofs at N leaves instead. It builds the log in a scratch SQLite
FILE (WAL, the product's settings; the appends figure above runs on Django's in-memory test
database) through the product's own path: ``ledger_append_many`` in transactions of 1,000 and
``ledger_integrate`` in batches of 10,000, one signed checkpoint per batch (``--build direct``
skips only the queue: the same encoder, leaf hashing, ``CompactRange``, ``_write_tiles`` and
``_sign``, the leaves inserted as ``_move`` inserts them). It then times, per call, inclusion
proofs (``selectors.inclusion_proof``) for random indexes at the latest size and at random
earlier checkpoints, and consistency proofs (``selectors.consistency_proof``) between random
checkpoints, with their verification, and prints median and p99. Every proof is verified
against the signed root, and every leaf hash it returns against the leaf's bytes re-encoded
from the generator. Baseline: the same inclusion proofs by the old per-node reads
(``store.tree``, one query per tile). Last line: ``RESULT ledger_proof=<median ms> ms
baseline=<median ms> ratio=<x>``. An existing ``--proof-db`` is grown, not rebuilt.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if not os.environ.get("DATABASE_URL") and "CUSTODYWATCH_VAR_DIR" not in os.environ:
    # A throw-away var dir (its SQLite file, the generated signing key), removed at exit.
    os.environ["CUSTODYWATCH_VAR_DIR"] = tempfile.mkdtemp(prefix="cw-bench-")
    atexit.register(shutil.rmtree, os.environ["CUSTODYWATCH_VAR_DIR"], ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodywatch.settings")
os.environ.setdefault("LEDGER_SIGNING_KEY_FILE", "")

import django  # noqa: E402 - after the settings name

django.setup()

from datetime import UTC, datetime  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from custodywatch.kernels import merkle  # noqa: E402
from custodywatch.kernels.ledger_leaf import encode_leaf  # noqa: E402
from custodywatch.kernels.merkle import CompactRange  # noqa: E402
from custodywatch.ledger import selectors, services, store  # noqa: E402
from custodywatch.ledger.appends import (  # noqa: E402
    evidence_registered_fields,
    ledger_append,
    ledger_append_many,
)
from custodywatch.ledger.keys import load_signer  # noqa: E402
from custodywatch.ledger.models import Checkpoint, LeafKind  # noqa: E402

AT = datetime(2024, 1, 5, 10, 0, tzinfo=UTC)


def fields(n: int) -> dict:
    digest = hashlib.sha256(n.to_bytes(8, "big")).hexdigest()
    return evidence_registered_fields(evidence=f"E-{n}", sha256=digest, size=n, by="forensic",
                                      at=AT, case="C-1", name=f"segment-{n}.mp4")


def bench_appends(count: int) -> tuple[float, float, float]:
    # The business records' fields exist before their write; building them is not the
    # ledger's cost. Encoding, queueing, integrating, tiling and signing are all timed.
    business = [fields(n) for n in range(count + min(count, 5000))]
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, count, 1000):
        with transaction.atomic():  # a business transaction recording 1,000 facts at once
            ledger_append_many(entries=[(LeafKind.EVIDENCE_REGISTERED, business[n])
                                        for n in range(first, min(count, first + 1000))])
    queued = time.perf_counter()
    services.ledger_integrate_all(limit=10_000)
    ledger_rate = count / (time.perf_counter() - start)
    # CPU seconds of this process (SQLite runs in it): the rate one idle core would give,
    # whatever else the machine is running.
    cpu_rate = count / (time.process_time() - cpu)
    print(f"  of which encoding and queueing {queued - start:.2f} s, integration "
          f"{time.perf_counter() - queued:.2f} s; {cpu_rate:,.0f} appends per CPU second; "
          f"load {os.getloadavg()[0]:.1f}")

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


# --------------------------------------------------------------------------- --proof-size


def _build_product(start: int, end: int, signer) -> None:  # type: ignore[no-untyped-def]
    """Leaves [start, end) through the product's path: queued by ledger_append_many in
    business transactions of 1,000, integrated by ledger_integrate in its batches."""
    for first in range(start, end, services.INTEGRATION_BATCH):
        last = min(end, first + services.INTEGRATION_BATCH)
        for low in range(first, last, 1000):
            with transaction.atomic():
                ledger_append_many(entries=[(LeafKind.EVIDENCE_REGISTERED, fields(n))
                                            for n in range(low, min(last, low + 1000))])
        services.ledger_integrate(limit=last - first, signer=signer)


def _build_direct(start: int, end: int, signer) -> None:  # type: ignore[no-untyped-def]
    """Leaves [start, end) without the queue: what ledger_integrate does to queued rows (same
    encoder, leaf hash, CompactRange, tile writer and signer), the rows inserted as _move
    inserts them, one checkpoint per integration batch."""
    queued_at = connection.ops.adapt_datetimefield_value(datetime.now(UTC))
    for first in range(start, end, services.INTEGRATION_BATCH):
        last = min(end, first + services.INTEGRATION_BATCH)
        with transaction.atomic():
            head = Checkpoint.objects.order_by("-id").first()
            compact = (CompactRange(head.size, store.split_hashes(head.edge)) if head
                       else CompactRange())
            if compact.size != first:
                raise RuntimeError(f"log has {compact.size} leaves, expected {first}")
            business = [fields(n) for n in range(first, last)]
            data = [encode_leaf(LeafKind.EVIDENCE_REGISTERED, f) for f in business]
            hashes = [hashlib.sha256(b"\x00" + d).digest() for d in data]
            compact.extend(hashes)
            rows = [(first + i, "evidence_registered", d, h, f["sha256"], queued_at, queued_at)
                    for i, (d, h, f) in enumerate(zip(data, hashes, business, strict=True))]
            with connection.cursor() as cursor:
                cursor.executemany(services._INSERT_LEAF, rows)  # noqa: SLF001 - the product's
            services._write_tiles(first, last, hashes)  # noqa: SLF001
            services._sign(size=last, root=compact.root(), edge=compact.hashes,  # noqa: SLF001
                           signer=signer)


def build_log(size: int, how: str) -> None:
    signer = load_signer()
    if selectors.checkpoint_latest() is None:
        services.ledger_integrate(signer=signer)  # the empty tree's checkpoint
    have = selectors.tree_size()
    if have > size:
        raise SystemExit(f"--proof-db already holds {have:,} leaves, more than {size:,}")
    build = _build_product if how == "product" else _build_direct
    step = 500_000
    start = time.perf_counter()
    print(f"building {size - have:,} leaves ({how} path) from {have:,}", flush=True)
    for low in range(have, size, step):
        high = min(size, low + step)
        build(low, high, signer)
        spent = time.perf_counter() - start
        print(f"  {high:,} leaves, {(high - have) / spent:,.0f} leaves/s, {spent:.0f} s, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)


def _expected_leaf_hash(index: int) -> bytes:
    """Leaf ``index`` as the builder wrote it, re-encoded independently of the database."""
    data = encode_leaf(LeafKind.EVIDENCE_REGISTERED, fields(index))
    return hashlib.sha256(b"\x00" + data).digest()


def _timed(calls: list[Callable[[], object]]) -> tuple[list[object], list[float]]:
    results, seconds = [], []
    for call in calls:
        start = time.perf_counter()
        results.append(call())
        seconds.append(time.perf_counter() - start)
    return results, seconds


def _summary(seconds: list[float], unit: float = 1e3, name: str = "ms") -> str:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"median {statistics.median(ordered) * unit:.3f} {name}, p99 {p99 * unit:.3f} "
            f"{name}, max {ordered[-1] * unit:.3f} {name}")


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def bench_large_proofs(samples: int) -> tuple[float, float]:
    latest = selectors.checkpoint_latest()
    assert latest is not None
    size, root = latest.size, bytes(latest.root)
    heads = {s: bytes(r) for s, r in Checkpoint.objects.values_list("size", "root")}
    sizes = sorted(s for s in heads if s)
    print(f"database store: {size:,} leaves, {len(sizes):,} signed checkpoints, file "
          f"{os.path.getsize(connection.settings_dict['NAME']) / 2**30:.2f} GiB")
    rng = random.Random(3)
    counter = _QueryCounter()

    # Inclusion at the latest size.
    indexes = [rng.randrange(size) for _ in range(samples)]
    with connection.execute_wrapper(counter):
        proofs, gen = _timed([lambda i=i: selectors.inclusion_proof(index=i, size=size)
                              for i in indexes])
    queries = counter.count / samples
    checks, ver = _timed([lambda i=i, p=p: merkle.verify_inclusion(i, size, p[0], p[1], root)
                          for i, p in zip(indexes, proofs, strict=True)])
    assert all(checks), "an inclusion proof from the database did not verify"
    assert all(p[0] == _expected_leaf_hash(i) for i, p in zip(indexes, proofs, strict=True)), \
        "a stored leaf hash differs from its re-encoded leaf"
    print(f"inclusion, size {size:,}, {samples} random leaves ({queries:.1f} queries each): "
          f"generation {_summary(gen)}; verification {_summary(ver, 1e6, 'µs')}; "
          f"proof length {len(proofs[0][1])}")
    inclusion_median = statistics.median(gen)

    # Inclusion at random earlier checkpoints (a receipt issued in the past).
    pairs = []
    for _ in range(samples):
        old = rng.choice(sizes)
        pairs.append((rng.randrange(old), old))
    proofs, gen = _timed([lambda i=i, n=n: selectors.inclusion_proof(index=i, size=n)
                          for i, n in pairs])
    checks, ver = _timed([lambda i=i, n=n, p=p: merkle.verify_inclusion(i, n, p[0], p[1],
                                                                         heads[n])
                          for (i, n), p in zip(pairs, proofs, strict=True)])
    assert all(checks), "an inclusion proof at an earlier checkpoint did not verify"
    print(f"inclusion at random earlier checkpoints: generation {_summary(gen)}; "
          f"verification {_summary(ver, 1e6, 'µs')}")

    # Consistency between random checkpoints, and from random checkpoints to the latest.
    kinds = (("random checkpoint -> latest", lambda: (rng.choice(sizes[:-1]), size)),
             ("between random checkpoints", lambda: tuple(sorted(rng.sample(sizes, 2)))))
    for label, draw in kinds if len(sizes) > 1 else ():
        pairs = [draw() for _ in range(samples)]
        proofs, gen = _timed([lambda a=a, b=b: selectors.consistency_proof(first=a, second=b)
                              for a, b in pairs])
        checks, ver = _timed([lambda a=a, b=b, p=p: merkle.verify_consistency(
            a, b, heads[a], heads[b], p) for (a, b), p in zip(pairs, proofs, strict=True)])
        assert all(checks), f"a consistency proof ({label}) did not verify"
        print(f"consistency, {label}: generation {_summary(gen)}; "
              f"verification {_summary(ver, 1e6, 'µs')}")

    # Baseline: the per-node reads proofs used before (store.tree: one query per tile).
    few = indexes[: max(20, samples // 10)]
    old_proofs, old_gen = _timed([lambda i=i: merkle.inclusion_proof(i, size, store.tree(size))
                                  for i in few])
    assert all(merkle.verify_inclusion(i, size, _expected_leaf_hash(i), p, root)
               for i, p in zip(few, old_proofs, strict=True))
    print(f"baseline, per-node tile reads (store.tree), {len(few)} of the same leaves: "
          f"generation {_summary(old_gen)}")
    return inclusion_median, statistics.median(old_gen)


def proof_main(args: argparse.Namespace) -> None:
    if connection.vendor != "sqlite":
        raise SystemExit("--proof-size builds a scratch SQLite file; unset DATABASE_URL")
    path = args.proof_db or os.path.join(tempfile.mkdtemp(prefix="cw-bench-proof-"),
                                         "ledger.sqlite3")
    reuse = os.path.exists(path)
    connection.settings_dict["TEST"]["NAME"] = path
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=reuse, serialize=False)
    try:
        print(f"python {platform.python_version()}, {os.cpu_count()} cpus, SQLite "
              f"{connection.Database.sqlite_version} file {path}, load "
              f"{os.getloadavg()[0]:.1f}")
        build_log(args.proof_size, args.build)
        generation, baseline = bench_large_proofs(args.samples)
    finally:
        connection.close()
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            if not args.proof_db:
                os.rmdir(os.path.dirname(path))
        connection.settings_dict["NAME"] = old_name
    print(f"RESULT ledger_proof={generation * 1e3:.3f} ms baseline={baseline * 1e3:.3f} "
          f"ratio={baseline / generation:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--proof-size", type=int, default=0, metavar="N",
                    help="measure proofs at N leaves (built in a scratch SQLite file)")
    ap.add_argument("--proof-db", default="", metavar="FILE",
                    help="the scratch file (default: a temporary one); an existing one is grown")
    ap.add_argument("--keep", action="store_true", help="keep --proof-db afterwards")
    ap.add_argument("--build", choices=["product", "direct"], default="product",
                    help="product: queue and integrate; direct: integrate without the queue")
    ap.add_argument("--samples", type=int, default=1000, help="proofs timed per kind")
    ap.add_argument("--sqlite-file", action="store_true",
                    help="appends into a scratch SQLite file (WAL) instead of Django's "
                         "in-memory test database")
    args = ap.parse_args()
    if args.proof_size:
        proof_main(args)
        return
    appends, memory_size = (20_000, 1_000_000) if args.quick else (200_000, 10_000_000)
    scratch = ""
    if args.sqlite_file and connection.vendor == "sqlite":
        scratch = os.path.join(tempfile.mkdtemp(prefix="cw-bench-"), "appends.sqlite3")
        connection.settings_dict["TEST"]["NAME"] = scratch
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False, serialize=False)
    try:
        print(f"python {platform.python_version()}, {os.cpu_count()} cpus, "
              f"database {connection.vendor} {scratch or connection.settings_dict['NAME']}")
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
        for suffix in ("-wal", "-shm"):
            if scratch and os.path.exists(scratch + suffix):
                os.remove(scratch + suffix)
        if scratch:
            os.rmdir(os.path.dirname(scratch))
    bench_memory_proofs(memory_size)
    print(f"RESULT ledger={ledger_rate:.0f} appends/s baseline={baseline_rate:.0f} "
          f"ratio={ledger_rate / baseline_rate:.2f}")


if __name__ == "__main__":
    main()
