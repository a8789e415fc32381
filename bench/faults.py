"""Fault scenarios against real processes, each ending in `VERDICT: PASS` or `VERDICT: FAIL`.

    python bench/faults.py [--quick] [--database-url postgresql://...]

1. web-kill: `custodywatch serve` is killed (SIGKILL) while custody batches with
   Idempotency-Keys stream in; it is restarted and every batch is sent again with the same
   key and body. Nothing acknowledged is lost, nothing is duplicated, replayed answers equal
   the first ones.
2. worker-kill: `custodywatch ledger run` is killed while it integrates audit events into
   the evidence ledger; it is restarted; `custodywatch ledger verify` must pass and every
   pending event must end up integrated exactly once.
On a fresh SQLite database in a temporary folder unless --database-url names an (empty,
throw-away) PostgreSQL database. Restarting PostgreSQL under load needs a cluster of one's
own (pg_ctl): not done here (docs/reliability.md says so).
The last line is `RESULT faults_passed=N scenarios baseline=N ratio=...`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = [str(BIN / "custodywatch")]

SETUP = """
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import user_create
from custodywatch.registry.models import Agency, Facility, Region
from custodywatch.registry.reference import load_reference_data
load_reference_data(Region, Agency)
facility = Facility.objects.create(code="FA-1", name="Facility FA-1", kind="temporary_detention",
    region=Region.objects.get(code="KZ-75"), agency=Agency.objects.get(code="MVD"))
user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="duty", password="",
    role=Role.DUTY_OFFICER, facility=facility)
"""

COUNT = """
from custodywatch.custody.models import CustodyRecord
from custodywatch.ledger.models import PendingLeaf
from custodywatch.accounts.models import AuditEvent
import json
print(json.dumps({"records": CustodyRecord.objects.count(),
                  "distinct": CustodyRecord.objects.values("external_ref").distinct().count(),
                  "pending": PendingLeaf.objects.filter(integrated_index__isnull=True).count()
                  if hasattr(PendingLeaf, "integrated_index") else None,
                  "audit": AuditEvent.objects.count()}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Environment:
    def __init__(self, database_url: str | None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cw-faults-"))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODYWATCH_")}
        self.env.update({"CUSTODYWATCH_VAR_DIR": str(self.folder), "DEBUG": "false",
                         "CUSTODYWATCH_REQUIRE_2FA": "false", "LOG_LEVEL": "ERROR"})
        if database_url:
            self.env["DATABASE_URL"] = database_url
        else:
            self.env.pop("DATABASE_URL", None)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*CLI, *args], env=self.env, cwd=ROOT, capture_output=True,
                              text=True, check=check)

    def shell(self, code: str) -> str:
        return self.run("shell", "-c", code).stdout

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*CLI, *args], env=self.env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def post(port: int, token: str, key: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/custody/records/batch", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def batch_body(number: int, size: int) -> bytes:
    return json.dumps({"items": [{
        "facility": "FA-1", "external_ref": f"B{number}-{n}", "full_name": f"Person {number}-{n}",
        "detained_at": "2026-01-05T10:00:00+05:00", "detained_place": "street",
        "detaining_officer": "officer", "grounds": "art. 188"} for n in range(size)]}).encode()


def web_kill(environment: Environment, batches: int, size: int) -> bool:
    token = environment.run("token", "create", "--username", "duty").stdout.strip().split()[-1]
    port = free_port()
    server = environment.start("serve", "--port", str(port), "--threads", "4")
    wait_for(port)
    acknowledged: dict[str, str] = {}
    stop = threading.Event()

    def client() -> None:
        for number in range(batches):
            if stop.is_set():
                return
            try:
                status, answer = post(port, token, f"key-{number}", batch_body(number, size))
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the server is gone: what was acknowledged is in `acknowledged`
            if status == 200:
                acknowledged[f"key-{number}"] = answer

    sender = threading.Thread(target=client)
    sender.start()
    while len(acknowledged) < batches // 3 and sender.is_alive():
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    sender.join()
    before_restart = len(acknowledged)
    print(f"  killed the web process after {before_restart} of {batches} batches were "
          "acknowledged")
    server = environment.start("serve", "--port", str(port), "--threads", "4")
    wait_for(port)
    replay_mismatch = 0
    for number in range(batches):
        key = f"key-{number}"
        status, answer = post(port, token, key, batch_body(number, size))
        if status != 200:
            print(f"  retry of {key}: {status} {answer[:200]}")
            replay_mismatch += 1
        elif key in acknowledged and json.loads(answer) != json.loads(acknowledged[key]):
            replay_mismatch += 1
    server.send_signal(signal.SIGTERM)
    server.wait()
    counts = json.loads(environment.shell(COUNT).strip().splitlines()[-1])
    expected = batches * size
    print(f"  after the retry: {counts['records']} records ({counts['distinct']} distinct), "
          f"expected {expected}; answers that differ from the first: {replay_mismatch}")
    return counts["records"] == counts["distinct"] == expected and replay_mismatch == 0


def worker_kill(environment: Environment) -> bool:
    worker = environment.start("ledger", "run", "--interval", "0.05")
    time.sleep(1.5)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    print("  killed `ledger run` while it integrated")
    finish = environment.run("ledger", "integrate", check=False)
    verify = environment.run("ledger", "verify", check=False)
    print(f"  restarted integration: exit {finish.returncode}; ledger verify: exit "
          f"{verify.returncode} {verify.stdout.strip()[:200]} {verify.stderr.strip()[:200]}")
    return finish.returncode == 0 and verify.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    batches, size = (30, 20) if args.quick else (120, 50)
    environment = Environment(args.database_url)
    started = time.perf_counter()
    environment.run("migrate", "--no-input", "-v", "0")
    environment.shell(SETUP)
    print(f"data size: {batches} custody batches of {size} records; database "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}")
    results = {}
    for name, scenario in (("web-kill", lambda: web_kill(environment, batches, size)),
                           ("worker-kill", lambda: worker_kill(environment))):
        print(f"== {name}")
        try:
            passed = scenario()
        except Exception as error:  # noqa: BLE001 - a scenario that breaks is a FAIL
            print(f"  error: {error!r}")
            passed = False
        results[name] = passed
        print(f"VERDICT: {'PASS' if passed else 'FAIL'} {name}")
    passed = sum(results.values())
    print(f"took {time.perf_counter() - started:.1f} s")
    print(f"RESULT faults_passed={passed} scenarios baseline={len(results)} "
          f"ratio={passed / len(results):.2f}")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
