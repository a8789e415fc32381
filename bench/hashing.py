"""Benchmark file hashing (custodywatch.kernels.filehash.file_sha256) beside ``sha256sum``.

    python bench/hashing.py            # a 1 GiB file
    python bench/hashing.py --quick    # a 256 MiB file, well under a minute

The same file, already in the page cache (one warm-up read), hashed by our kernel and by
coreutils ``sha256sum``, best of three each; the digests must agree. Goal: at least 90 % of
``sha256sum``'s throughput.

Last line: ``RESULT hashing=<MB/s> MB/s baseline=<MB/s> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from custodywatch.kernels.filehash import file_sha256  # noqa: E402


def best_of(runs: int, job) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), ""
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    size = (256 if args.quick else 1024) * 1024 * 1024
    tool = shutil.which("sha256sum")
    if tool is None:
        sys.exit("sha256sum not found: the baseline is missing")
    with tempfile.TemporaryDirectory(prefix="cw-hash-") as directory:
        path = os.path.join(directory, "evidence.bin")
        block = os.urandom(1 << 20)
        with open(path, "wb") as out:
            for _ in range(size >> 20):
                out.write(block)
        file_sha256(path)  # into the page cache: both sides hash, neither waits on the disk
        ours, digest = best_of(3, lambda: file_sha256(path))
        theirs, output = best_of(3, lambda: subprocess.run(
            [tool, path], capture_output=True, text=True, check=True).stdout.split()[0])
    if digest != output:
        sys.exit(f"digests differ: {digest} vs {output}")
    mb = size / 1e6
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.machine()}")
    print(f"data: one file of {size >> 20} MiB, in the page cache")
    print(f"file_sha256: {ours:.3f} s = {mb / ours:,.0f} MB/s")
    print(f"sha256sum:   {theirs:.3f} s = {mb / theirs:,.0f} MB/s")
    print(f"RESULT hashing={mb / ours:.0f} MB/s baseline={mb / theirs:.0f} "
          f"ratio={theirs / ours:.2f}")


if __name__ == "__main__":
    main()
