"""Fault scenarios against real processes, each ending in `VERDICT: PASS` or `VERDICT: FAIL`.

    python bench/faults.py [--quick] [--database-url postgresql://...]

1. web-kill: `custodywatch serve` is killed (SIGKILL) while custody batches with
   Idempotency-Keys stream in; it is restarted and every batch is sent again with the same
   key and body. Nothing acknowledged is lost, nothing is duplicated, replayed answers equal
   the first ones.
2. worker-kill: `custodywatch ledger run` is killed while it integrates audit events into
   the evidence ledger; it is restarted; `custodywatch ledger verify` must pass and every
   pending event must end up integrated exactly once.
3. hold-kill: the web process is killed while complaints naming a facility stream in through
   the e-appeals API (each places a legal hold on that facility's footage in the complaint's
   own transaction); restarted; every complaint sent again with its key. Every complaint
   exists once, with exactly one hold and one ledger entry for it; replayed answers (receipt
   codes included) equal the first.
4. db-restart (PostgreSQL with --restart-command only): the database server is restarted
   (`pg_ctl restart`) while custody batches stream in; the web process is NOT restarted.
   Every failed request must be a 503 that says nothing was saved (never a 500 or a hang);
   clients resend with the same key; every record is stored once; the server recovers by
   itself.
5. agent-disk-full (root only: it mounts a 16 MiB tmpfs): a real `custodywatch agent run`
   keeps its queue on the small disk; the centre is stopped, the disk filled by another
   file, the centre started again, the file deleted. The agent must never die, the centre
   must get its `disk_full` heartbeat flag (an open alert), then, with no restart, the
   alert must clear and fresh spans arrive; SIGTERM then stops the agent with exit 0.
6. simultaneous-filing: complaints are filed through the e-appeals API by many clients at
   the same moment (threads released together, each its own key). Every filing must be
   answered 201 with its own complaint number; none a 500 or "this number already exists".
7. damaged-evidence: an evidence file of a case is damaged on the disk (one flipped byte),
   then deleted. `custodywatch evidence check-files` must exit 1 naming it, the download must
   be refused (409 damaged, 410 missing) and never send the bytes, the court package must be
   refused; registering the genuine file again repairs the store (check-files exits 0).
8. two-nodes: two web nodes on one database, as behind a load balancer: one with several
   processes (`serve --workers 2`, gunicorn), one with one (waitress). Custody batches go to
   both in turn; the multi-process node is killed (its whole process group, SIGKILL) once a
   third are acknowledged; the client sends what failed, and then everything again with its
   key, to the other node. Nothing acknowledged is lost or doubled, replayed answers equal
   the first; and a figure one process computed is the one another process reads
   (CACHE_URL's default, the database cache, shared by every node). Two `custodywatch
   worker` processes sweep the custody clocks all along: no alert is raised twice, and each
   alert of the facility whose head has an e-mail address is mailed exactly once.
On a fresh SQLite database in a temporary folder unless --database-url names an (empty,
throw-away) PostgreSQL database; CI runs it on its throw-away cluster with
`--restart-command "pg_ctl -D ... restart"`.
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
user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="eappeals", password="",
    role=Role.STATE_SYSTEM)
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

PREFIXED = """
from custodywatch.custody.models import CustodyRecord
import json
records = CustodyRecord.objects.filter(external_ref__startswith="{prefix}")
print(json.dumps({{"records": records.count(),
                   "distinct": records.values("external_ref").distinct().count()}}))
"""

HOLDS = """
from django.db.models import Count
from custodywatch.complaints.models import Complaint, LegalHold
from custodywatch.ledger.models import Leaf, PendingLeaf
import json
per_complaint = Complaint.objects.annotate(n=Count("legal_holds")).values_list("n", flat=True)
entries = sum(model.objects.filter(kind="legal_hold").count() for model in (Leaf, PendingLeaf))
print(json.dumps({"complaints": Complaint.objects.count(),
                  # the text is sealed per row: compare the opened texts, not the ciphertexts
                  "texts": len({complaint.text for complaint in Complaint.objects.all()}),
                  "holds": LegalHold.objects.count(),
                  "holds_per_complaint": sorted(set(per_complaint)),
                  "hold_entries": entries}))
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


CUSTODY_BATCH = "/api/custody/records/batch"
COMPLAINT_INTAKE = "/api/complaints/intake"


def post(port: int, token: str, key: str, body: bytes,
         path: str = CUSTODY_BATCH) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, method="POST",
        # English answers, so that the verdicts below can read them (the default is Russian).
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Accept-Language": "en",
                 "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def batch_body(number: int, size: int, prefix: str = "B", facility: str = "FA-1") -> bytes:
    return json.dumps({"items": [{
        "facility": facility, "external_ref": f"{prefix}{number}-{n}",
        "full_name": f"Person {number}-{n}",
        "detained_at": "2026-01-05T10:00:00+05:00", "detained_place": "street",
        "detaining_officer": "officer", "grounds": "art. 188"} for n in range(size)]}).encode()


def kill_during_stream(environment: Environment, token: str, path: str,
                       bodies: list[bytes]) -> tuple[dict[str, str], int]:
    """Send `bodies` (key-0, key-1, ...) to `path`; SIGKILL the web process once a third are
    acknowledged; restart it and send every body again with its key. Returns the answers
    acknowledged before the kill and how many replays were refused or differed from them."""
    port = free_port()
    server = environment.start("serve", "--port", str(port), "--threads", "4")
    wait_for(port)
    acknowledged: dict[str, str] = {}
    stop = threading.Event()

    def client() -> None:
        for number, body in enumerate(bodies):
            if stop.is_set():
                return
            try:
                status, answer = post(port, token, f"key-{number}", body, path)
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the server is gone: what was acknowledged is in `acknowledged`
            if status in (200, 201):
                acknowledged[f"key-{number}"] = answer

    sender = threading.Thread(target=client)
    sender.start()
    while len(acknowledged) < len(bodies) // 3 and sender.is_alive():
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    sender.join()
    print(f"  killed the web process after {len(acknowledged)} of {len(bodies)} requests were "
          "acknowledged")
    server = environment.start("serve", "--port", str(port), "--threads", "4")
    wait_for(port)
    replay_mismatch = 0
    for number, body in enumerate(bodies):
        key = f"key-{number}"
        status, answer = post(port, token, key, body, path)
        if status not in (200, 201):
            print(f"  retry of {key}: {status} {answer[:200]}")
            replay_mismatch += 1
        elif key in acknowledged and json.loads(answer) != json.loads(acknowledged[key]):
            replay_mismatch += 1
    server.send_signal(signal.SIGTERM)
    server.wait()
    return acknowledged, replay_mismatch


def token_for(environment: Environment, username: str) -> str:
    return environment.run("token", "create", "--username", username).stdout.strip().split()[-1]


def web_kill(environment: Environment, batches: int, size: int) -> bool:
    bodies = [batch_body(number, size) for number in range(batches)]
    _acknowledged, replay_mismatch = kill_during_stream(
        environment, token_for(environment, "duty"), CUSTODY_BATCH, bodies)
    counts = json.loads(environment.shell(COUNT).strip().splitlines()[-1])
    expected = batches * size
    print(f"  after the retry: {counts['records']} records ({counts['distinct']} distinct), "
          f"expected {expected}; answers that differ from the first: {replay_mismatch}")
    return counts["records"] == counts["distinct"] == expected and replay_mismatch == 0


def complaint_body(number: int) -> bytes:
    return json.dumps({
        "text": f"Complaint {number}: officers beat me with a baton in the cell and demanded a "
                "confession.",
        "facility": "FA-1", "incident_started_at": "2026-01-05T10:00:00+05:00",
        "incident_ended_at": "2026-01-05T14:00:00+05:00", "still_in_custody": True,
        "external_reference": f"EA-{number}"}).encode()


def hold_kill(environment: Environment, complaints: int) -> bool:
    bodies = [complaint_body(number) for number in range(complaints)]
    acknowledged, replay_mismatch = kill_during_stream(
        environment, token_for(environment, "eappeals"), COMPLAINT_INTAKE, bodies)
    counts = json.loads(environment.shell(HOLDS).strip().splitlines()[-1])
    codes = {json.loads(answer)["receipt_code"] for answer in acknowledged.values()}
    print(f"  after the retry: {counts['complaints']} complaints ({counts['texts']} distinct), "
          f"{counts['holds']} legal holds (per complaint: {counts['holds_per_complaint']}), "
          f"{counts['hold_entries']} hold entries in the ledger, expected {complaints} each; "
          f"answers that differ from the first: {replay_mismatch}")
    return (counts["complaints"] == counts["texts"] == counts["holds"]
            == counts["hold_entries"] == complaints and counts["holds_per_complaint"] == [1]
            and replay_mismatch == 0 and len(codes) == len(acknowledged))


def db_restart(environment: Environment, restart_command: str, batches: int,
               size: int) -> bool:
    """Restart the database server under load; the web process stays up."""
    token = token_for(environment, "duty")
    port = free_port()
    server = environment.start("serve", "--port", str(port), "--threads", "4")
    wait_for(port)
    failures: dict[int, int] = {}  # status (0: no answer) -> count
    unclear: list[str] = []
    stored: set[str] = set()

    def client(first: int, step: int) -> None:
        for number in range(first, batches, step):
            key, body = f"db-{number}", batch_body(number, size, prefix="D")
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    status, answer = post(port, token, key, body)
                except (urllib.error.URLError, ConnectionError, OSError):
                    status, answer = 0, ""
                if status == 200:
                    stored.add(key)
                    break
                failures[status] = failures.get(status, 0) + 1
                if status != 503 or "nothing was saved" not in answer:
                    unclear.append(f"{status} {answer[:120]}")
                time.sleep(0.3)

    senders = [threading.Thread(target=client, args=(n, 3)) for n in range(3)]
    for sender in senders:
        sender.start()
    while len(stored) < batches // 3 and any(s.is_alive() for s in senders):
        time.sleep(0.01)
    started = time.perf_counter()
    # No pipes: the restarted server inherits them and would hold them open for ever.
    restarted = subprocess.run(restart_command, shell=True, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=False, timeout=120)
    print(f"  restarted the database after {len(stored)} of {batches} batches: exit "
          f"{restarted.returncode} in {time.perf_counter() - started:.1f} s")
    for sender in senders:
        sender.join()
    alive = server.poll() is None
    server.send_signal(signal.SIGTERM)
    server.wait()
    counts = json.loads(environment.shell(PREFIXED.format(prefix="D")).strip().splitlines()[-1])
    expected = batches * size
    print(f"  refused while the database was away (status: count; 0 = no answer): "
          f"{dict(sorted(failures.items()))}; unclear answers: {len(unclear)} "
          f"{unclear[:3]}; web process still up: {alive}")
    print(f"  stored: {counts['records']} records ({counts['distinct']} distinct), expected "
          f"{expected}")
    return (restarted.returncode == 0 and len(stored) == batches and not unclear and alive
            and counts["records"] == counts["distinct"] == expected)


AGENT_SETUP = """
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import user_create
from custodywatch.registry.models import Camera, Facility, Recorder, Room
facility = Facility.objects.get(code="FA-1")
recorder = Recorder.objects.create(facility=facility, code="NVR1")
room = Room.objects.create(facility=facility, code="R1", name="Cell 1", kind=Room.Kind.CELL,
    custody_use=True)
Camera.objects.create(facility=facility, recorder=recorder, code="CAM1").rooms.add(room)
user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="agent", password="",
    role=Role.EDGE_AGENT, facility=facility)
"""

AGENT_STATE = """
import json
from custodywatch.video.models import AgentDiskAlert, CameraHealth, CameraStateSpan
health = CameraHealth.objects.filter(camera__code="CAM1").first()
last = CameraStateSpan.objects.filter(camera__code="CAM1", source="agent").order_by(
    "-ended_at").first()
print(json.dumps({"heartbeat": health is not None,
                  "open_alerts": AgentDiskAlert.objects.filter(cleared_at__isnull=True).count(),
                  "alerts": AgentDiskAlert.objects.count(),
                  "last_span_end": last.ended_at.timestamp() if last else 0}))
"""

AGENT_CONFIG = """
[centre]
url = "http://127.0.0.1:{port}"
token = "{token}"

[agent]
state_dir = "{state_dir}"
report_seconds = 2
heartbeat_seconds = 2

[[cameras]]
code = "CAM1"
url = "{video}"
loop = true
"""


def agent_disk_full(environment: Environment) -> bool | None:
    """None (skipped) where a tmpfs cannot be mounted."""
    if os.geteuid() != 0:
        print("  skipped: mounting a small tmpfs needs root")
        return None
    disk = environment.folder / "agent-disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        print(f"  skipped: cannot mount a tmpfs: {mounted.stderr.strip()}")
        return None
    from custodywatch.demo.footage import ClipPlan, write_clip

    environment.shell(AGENT_SETUP)
    token = token_for(environment, "agent")
    video = write_clip(ClipPlan("CAM1", seed=5), environment.folder / "cam1.mp4", seconds=20)
    port = free_port()
    config = environment.folder / "agent.toml"
    config.write_text(AGENT_CONFIG.format(port=port, token=token, video=video,
                                          state_dir=disk / "state"))
    log = open(environment.folder / "agent.log", "wb")  # noqa: SIM115 - closed below
    server = environment.start("serve", "--port", str(port), "--threads", "4")
    agent = subprocess.Popen([*CLI, "agent", "run", "--config", str(config)], env=environment.env,
                             cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    filler = disk / "filler"

    def state() -> dict:
        return json.loads(environment.shell(AGENT_STATE).strip().splitlines()[-1])

    def wait(condition, seconds: float) -> dict | None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and agent.poll() is None:
            now = state()
            if condition(now):
                return now
            time.sleep(1)
        return None

    began = time.monotonic()
    timings: dict[str, float] = {}

    class Checks(dict):
        def __setitem__(self, name: str, passed: bool) -> None:
            timings[name] = time.monotonic() - began
            super().__setitem__(name, passed)

    checks = Checks()
    try:
        wait_for(port)
        checks["first heartbeat"] = wait(lambda s: s["heartbeat"], 90) is not None
        server.send_signal(signal.SIGTERM)
        server.wait()
        # Another program fills the disk to the last byte (a short write, then ENOSPC).
        descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(descriptor, b"\0" * (1 << 20)):
                pass
        except OSError:
            pass
        finally:
            os.close(descriptor)
        time.sleep(8)
        checks["alive while the disk is full and the centre down"] = agent.poll() is None
        server = environment.start("serve", "--port", str(port), "--threads", "4")
        wait_for(port)
        checks["the centre hears disk_full (an open alert)"] = wait(
            lambda s: s["open_alerts"] == 1, 90) is not None
        filler.unlink()
        freed = time.time()
        checks["the alert clears by itself once space is back"] = wait(
            lambda s: s["alerts"] == 1 and s["open_alerts"] == 0, 90) is not None
        checks["fresh spans after the recovery, no restart"] = wait(
            lambda s: s["last_span_end"] > freed, 90) is not None
        checks["never died"] = agent.poll() is None
        agent.send_signal(signal.SIGTERM)
        checks["SIGTERM: exit 0"] = agent.wait(timeout=60) == 0
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        server.send_signal(signal.SIGTERM)
        server.wait()
        log.close()
        subprocess.run(["umount", "-l", str(disk)], check=False)
    for name, passed in checks.items():
        print(f"  {name}: {'yes' if passed else 'NO'} (at {timings[name]:.0f} s)")
    if not all(checks.values()):
        tail = (environment.folder / "agent.log").read_text(errors="replace")[-1500:]
        print("  agent log (end):\n" + tail)
    return bool(checks) and all(checks.values())


def simultaneous_filing(environment: Environment, filers: int) -> bool:
    """Many complaints at the same moment: every one gets its own number."""
    token = token_for(environment, "eappeals")
    port = free_port()
    server = environment.start("serve", "--port", str(port), "--threads", "16")
    wait_for(port)
    start = threading.Barrier(filers)
    answers: list[tuple[int, str]] = [(0, "")] * filers

    def filer(number: int) -> None:
        body = json.dumps({"text": f"Simultaneous complaint {number}: officers beat me in the "
                                   "cell.", "facility": "FA-1",
                           "external_reference": f"SIM-{number}"}).encode()
        start.wait()
        try:
            answers[number] = post(port, token, f"sim-{number}", body, COMPLAINT_INTAKE)
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            answers[number] = (0, repr(error))

    threads = [threading.Thread(target=filer, args=(n,)) for n in range(filers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    server.send_signal(signal.SIGTERM)
    server.wait()
    statuses: dict[int, int] = {}
    for status, _answer in answers:
        statuses[status] = statuses.get(status, 0) + 1
    numbers = {json.loads(answer)["reference"] for status, answer in answers if status == 201}
    failed = [answer[:120] for status, answer in answers if status != 201]
    print(f"  {filers} filings released together, answered in {took:.1f} s: statuses "
          f"{dict(sorted(statuses.items()))}; distinct complaint numbers: {len(numbers)}; "
          f"first failures: {failed[:2]}")
    return statuses == {201: filers} and len(numbers) == filers


DAMAGE_SETUP = """
import datetime as dt, json
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.accounts.services import user_create
from custodywatch.cases import services
from custodywatch.registry.models import Facility
facility = Facility.objects.get(code="FA-1")
prosecutor = User.objects.filter(username="prosecutor").first() or user_create(
    acting_user=None, origin=SYSTEM_ORIGIN, username="prosecutor", password="",
    role=Role.REGIONAL_PROSECUTOR, region=facility.region)
case = services.case_open(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
    register_number="261575031009999", title="Faults: a damaged file", facility=facility,
    ex_officio=True, registered_at=timezone.now() - dt.timedelta(days=1))
item = services.evidence_register(acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=case,
    label="E1", kind="document", description="Statement", found_at="Office", collected_by="K.",
    collected_at=timezone.now() - dt.timedelta(hours=1), holder="K.", location="Safe",
    upload=SimpleUploadedFile("statement.pdf", {genuine!r}))
print(json.dumps({{"item": item.pk, "case": case.pk, "path": item.file.path}}))
"""

DAMAGE_READ = """
import json
from django.test import Client
from custodywatch.accounts.models import User
client = Client(HTTP_HOST="localhost")
client.force_login(User.objects.get(username="prosecutor"))
download = client.get("/cases/evidence/{item}/file/")
body = b"".join(download.streaming_content) if download.streaming else download.content
package = client.get("/cases/{case}/evidence-package/")
print(json.dumps({{"download": download.status_code, "sent_genuine_bytes": {marker!r} in body,
                   "package": package.status_code}}))
"""

DAMAGE_REPAIR = """
import datetime as dt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import User
from custodywatch.cases import services
from custodywatch.cases.models import Case
services.evidence_register(acting_user=User.objects.get(username="prosecutor"),
    origin=SYSTEM_ORIGIN, case=Case.objects.get(pk={case}), label="E1-genuine",
    kind="document", description="Statement, the genuine file again", found_at="Office",
    collected_by="K.", collected_at=timezone.now() - dt.timedelta(hours=1), holder="K.",
    location="Safe", upload=SimpleUploadedFile("statement.pdf", {genuine!r}))
"""


def damaged_evidence(environment: Environment) -> bool:
    """A flipped byte and a deleted file: found, refused, alerted, repaired."""
    genuine = b"%PDF-1.4\n" + b"witness statement " * 200
    marker = b"witness statement"
    made = json.loads(environment.shell(DAMAGE_SETUP.format(genuine=genuine))
                      .strip().splitlines()[-1])
    path = Path(made["path"])
    intact = environment.run("evidence", "check-files", check=False)
    path.write_bytes(genuine[:-1] + b"!")  # one flipped byte on the disk
    damaged = environment.run("evidence", "check-files", check=False)
    read_damaged = json.loads(environment.shell(DAMAGE_READ.format(
        item=made["item"], case=made["case"], marker=marker)).strip().splitlines()[-1])
    path.unlink()  # and then gone
    read_missing = json.loads(environment.shell(DAMAGE_READ.format(
        item=made["item"], case=made["case"], marker=marker)).strip().splitlines()[-1])
    environment.shell(DAMAGE_REPAIR.format(case=made["case"], genuine=genuine))
    repaired = environment.run("evidence", "check-files", check=False)
    read_repaired = json.loads(environment.shell(DAMAGE_READ.format(
        item=made["item"], case=made["case"], marker=marker)).strip().splitlines()[-1])
    print(f"  check-files: intact exit {intact.returncode}, damaged exit {damaged.returncode} "
          f"({damaged.stdout.strip().splitlines()[0] if damaged.stdout.strip() else ''}), "
          f"after the genuine file was registered again exit {repaired.returncode}")
    print(f"  damaged: {read_damaged}; missing: {read_missing}; repaired: {read_repaired}")
    return (intact.returncode == 0 and damaged.returncode == 1
            and "DAMAGED" in damaged.stdout and repaired.returncode == 0
            and read_damaged == {"download": 409, "sent_genuine_bytes": False, "package": 409}
            and read_missing == {"download": 410, "sent_genuine_bytes": False, "package": 410}
            and read_repaired["download"] == 200 and read_repaired["sent_genuine_bytes"])


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


SHARED_FIGURE = """
import os
from custodywatch.core.shared_figures import shared
print(shared("faults:two-nodes", 600, lambda: os.getpid()))
"""


# Two workers' facility: a head with an e-mail address, so every alert the custody sweep
# raises there is also an e-mail, and a duty officer to send its records.
MAILED_FACILITY = """
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import user_create
from custodywatch.registry.models import Agency, Facility, Region
facility = Facility.objects.create(code="FM-2", name="Facility FM-2",
    kind="temporary_detention", region=Region.objects.get(code="KZ-75"),
    agency=Agency.objects.get(code="MVD"))
user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="duty_m", password="",
    role=Role.DUTY_OFFICER, facility=facility)
head = user_create(acting_user=None, origin=SYSTEM_ORIGIN, username="head_m", password="",
    role=Role.FACILITY_HEAD, facility=facility)
head.email = "head_m@example.kz"
head.save()
"""

MAILED_ALERTS = """
import json
from django.db.models import Count
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from custodywatch.custody.models import CustodyAlert
alerts = CustodyAlert.objects.all()
clocks = alerts.values("custody_record", "clock", "level", "warning_seconds", "interrogation",
                       "room_stay").annotate(n=Count("pk"))
print(json.dumps({
    "alerts": alerts.count(), "raised_twice": clocks.filter(n__gt=1).count(),
    "mailed_facility": alerts.filter(custody_record__facility__code="FM-2").count(),
    "unmailed_facility": alerts.filter(custody_record__facility__code="FM-2",
                                       mailed_at__isnull=True).count(),
    "tasks_waiting": DBTaskResult.objects.exclude(status__in=[
        TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]).count(),
    "tasks_failed": DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count()}))
"""


def mail_messages(folder: Path) -> list[str]:
    """Django's file backend may append two messages to one file: split on its separator."""
    return [message for path in folder.glob("*.log")
            for message in path.read_text().split("-" * 79) if message.strip()]


def two_nodes(environment: Environment, batches: int, size: int) -> bool:
    token = token_for(environment, "duty")
    environment.shell(MAILED_FACILITY)
    mailbox = environment.folder / "two-nodes-mail"
    mailbox.mkdir()
    worker_env = {**environment.env,
                  "CUSTODYWATCH_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                  "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                  "EMAIL_FILE_PATH": str(mailbox)}
    workers = [subprocess.Popen([*CLI, "worker", "--jobs", "custody_sweep", "--interval", "0.2"],
                                env=worker_env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(2)]
    ports = free_port(), free_port()
    nodes = [subprocess.Popen([*CLI, "serve", "--port", str(ports[0]), "--workers", "2",
                               "--threads", "2"], env=environment.env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True),
             environment.start("serve", "--port", str(ports[1]), "--threads", "4")]
    for port in ports:
        wait_for(port)
    # Overdue records in the mailed facility, sent to both nodes while the two workers sweep.
    mailed_token = token_for(environment, "duty_m")
    for number, port in enumerate(ports):
        post(port, mailed_token, f"mailed-{number}", batch_body(number, 3, prefix="M",
                                                                 facility="FM-2"))
    bodies = [batch_body(number, size, prefix="N") for number in range(batches)]
    acknowledged: dict[str, str] = {}
    failed: list[int] = []
    killed = threading.Event()

    def client() -> None:
        for number, body in enumerate(bodies):
            port = ports[number % 2]
            try:
                status, answer = post(port, token, f"node-{number}", body)
            except (urllib.error.URLError, ConnectionError, OSError):
                failed.append(number)
                continue
            if status in (200, 201):
                acknowledged[f"node-{number}"] = answer
            else:
                failed.append(number)

    sender = threading.Thread(target=client)
    sender.start()
    while len(acknowledged) < len(bodies) // 3 and sender.is_alive():
        time.sleep(0.01)
    os.killpg(nodes[0].pid, signal.SIGKILL)
    nodes[0].wait()
    killed.set()
    sender.join()
    print(f"  killed the multi-process node after {len(acknowledged)} of {len(bodies)} "
          f"batches were acknowledged; {len(failed)} failed and are sent to the other node")
    mismatch = 0
    for number, body in enumerate(bodies):
        key = f"node-{number}"
        status, answer = post(ports[1], token, key, body)
        if status not in (200, 201):
            print(f"  retry of {key}: {status} {answer[:200]}")
            mismatch += 1
        elif key in acknowledged and json.loads(answer) != json.loads(acknowledged[key]):
            mismatch += 1
    nodes[1].send_signal(signal.SIGTERM)
    nodes[1].wait()
    counts = json.loads(environment.shell(PREFIXED.format(prefix="N")).strip().splitlines()[-1])
    expected = batches * size
    figures = [environment.shell(SHARED_FIGURE).strip().splitlines()[-1] for _ in range(2)]
    deadline = time.monotonic() + 180  # a deadline for a slow machine, not a measurement
    while True:
        mail = json.loads(environment.shell(MAILED_ALERTS).strip().splitlines()[-1])
        settled = (mail["mailed_facility"] and not mail["unmailed_facility"]
                   and not mail["tasks_waiting"])
        if settled or time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            break
        time.sleep(1)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    # SIGTERM lets a worker finish the job in hand (a sweep of every record) first.
    stopped = [worker.wait(timeout=300) for worker in workers]
    messages = mail_messages(mailbox)
    # The text names the record, the clock and its level: one text per alert.
    texts = {message.split("\n\n", 1)[-1].strip() for message in messages}
    print(f"  stored: {counts['records']} records ({counts['distinct']} distinct), expected "
          f"{expected}; answers that differ from the first: {mismatch}")
    print(f"  a figure computed by process {figures[0]} is read by the next process as "
          f"{figures[1]} (shared: {figures[0] == figures[1]})")
    print(f"  two workers: {mail['alerts']} alerts, {mail['raised_twice']} raised twice; the "
          f"mailed facility's {mail['mailed_facility']} alerts gave {len(messages)} e-mails "
          f"({len(texts)} different), {mail['tasks_failed']} tasks failed; workers ended "
          f"with {stopped}")
    return (counts["records"] == counts["distinct"] == expected and mismatch == 0
            and figures[0] == figures[1] and mail["raised_twice"] == 0
            and mail["mailed_facility"] > 0 and mail["unmailed_facility"] == 0
            and len(messages) == len(texts) == mail["mailed_facility"]
            and mail["tasks_failed"] == 0 and stopped == [0, 0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--restart-command", default="",
                        help="a shell command that restarts the database server (PostgreSQL "
                        "only), e.g. 'pg_ctl -D DATA -w -m fast restart'")
    parser.add_argument("--only", action="append", default=[],
                        help="run only this scenario (repeat for several), e.g. damaged-evidence")
    args = parser.parse_args()
    batches, size = (30, 20) if args.quick else (120, 50)
    environment = Environment(args.database_url)
    started = time.perf_counter()
    environment.run("migrate", "--no-input", "-v", "0")
    environment.shell(SETUP)
    print(f"data size: {batches} custody batches of {size} records; database "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}")
    results = {}
    scenarios = [("web-kill", lambda: web_kill(environment, batches, size)),
                 ("worker-kill", lambda: worker_kill(environment)),
                 ("hold-kill", lambda: hold_kill(environment, batches)),
                 ("agent-disk-full", lambda: agent_disk_full(environment)),
                 ("simultaneous-filing", lambda: simultaneous_filing(
                     environment, 30 if args.quick else 50)),
                 ("damaged-evidence", lambda: damaged_evidence(environment)),
                 ("two-nodes", lambda: two_nodes(environment, batches, size))]
    if args.database_url and args.restart_command:
        scenarios.append(("db-restart", lambda: db_restart(environment, args.restart_command,
                                                           batches, size)))
    else:
        print("db-restart: skipped (needs --database-url and --restart-command)")
    if args.only:
        scenarios = [(name, run) for name, run in scenarios if name in args.only]
    for name, scenario in scenarios:
        print(f"== {name}")
        try:
            passed = scenario()
        except Exception as error:  # noqa: BLE001 - a scenario that breaks is a FAIL
            print(f"  error: {error!r}")
            passed = False
        if passed is None:
            print(f"VERDICT: SKIPPED {name}")
            continue
        results[name] = passed
        print(f"VERDICT: {'PASS' if passed else 'FAIL'} {name}")
    passed = sum(results.values())
    print(f"took {time.perf_counter() - started:.1f} s")
    print(f"RESULT faults_passed={passed} scenarios baseline={len(results)} "
          f"ratio={passed / len(results):.2f}")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
