"""Load: people on the main pages and edge agents posting spans, at once, on loopback.

    DATABASE_URL=postgresql://... python bench/load.py [--quick] [--users 100] [--agents 50]

Serves the database (a loaded demo: `custodywatch demo --no-serve`) with `custodywatch
serve` (waitress), as production would. Each virtual person opens the main pages one after
the other as a country-wide prosecutor (the heaviest scope); each virtual agent posts a
batch of state spans for its facility's cameras, with an Idempotency-Key, every second.
A person reads a page before opening the next (`--think`, mean seconds, exponential; 0 gives
the closed-loop stress figure, every person clicking as fast as the server answers). The site
runs as `--processes` servers (default: one per core, as behind a load balancer), the client
spreading requests over them. Baseline in the same run: the same pages, one person alone.
Reports throughput, p50, p95, p99 and errors per group; the goal is no errors and p95 under
300 ms.
The last line: `RESULT load_pages_p95=X ms baseline=Y ratio=Z`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "custodywatch")
PAGES = ["/", "/registry/facilities/", "/custody/", "/custody/alerts/", "/video/",
         "/complaints/", "/visits/", "/visits/recommendations/", "/ledger/",
         "/accounts/audit/", "/reports/"]

PREPARE = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.accounts.services import token_create, user_create
from custodywatch.registry.models import Camera, Facility
person = User.objects.filter(role=Role.GENERAL_PROSECUTOR).first()
sessions = []
for _ in range({users}):
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
agents = []
facilities = (Facility.objects.filter(cameras__isnull=False).distinct().order_by("code")
              [:{agents}])
for facility in facilities:
    name = "load-" + facility.code.lower()
    user = User.objects.filter(username=name).first() or user_create(
        acting_user=None, origin=SYSTEM_ORIGIN, username=name, password=None,
        role=Role.EDGE_AGENT, facility=facility)
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=user,
                               facility=facility, name="bench/load.py")
    cameras = list(Camera.objects.filter(facility=facility).values_list("code", flat=True)[:8])
    agents.append({{"token": raw, "cameras": cameras}})
print("JSON" + json.dumps({{"sessions": sessions, "agents": agents}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {"pages": [], "spans": []}
        self.errors: dict[str, list[str]] = {"pages": [], "spans": []}
        self.by_page: dict[str, list[float]] = {}

    def report(self, group: str, seconds: float) -> dict:
        values = self.latencies[group]
        return {"requests": len(values), "per_second": len(values) / seconds,
                "p50_ms": percentile(values, 50) * 1000, "p95_ms": percentile(values, 95) * 1000,
                "p99_ms": percentile(values, 99) * 1000, "errors": len(self.errors[group]),
                "first_errors": self.errors[group][:3]}


async def person(clients: list[httpx.AsyncClient], session: str, pages: list[str],
                 until: float, recorder: Recorder, think: float) -> None:
    cookies = {"sessionid": session}
    index = hash(session) % len(pages)
    rng = random.Random(session)  # noqa: S311 - think times, not secrets
    if think:
        await asyncio.sleep(rng.uniform(0, think))  # people do not all arrive at once
    while time.monotonic() < until:
        path = pages[index % len(pages)]
        client = clients[index % len(clients)]
        index += 1
        started = time.perf_counter()
        try:
            response = await client.get(path, cookies=cookies)
            recorder.latencies["pages"].append(time.perf_counter() - started)
            recorder.by_page.setdefault(path, []).append(time.perf_counter() - started)
            if response.status_code != 200:
                recorder.errors["pages"].append(f"{path}: {response.status_code}")
        except httpx.HTTPError as error:
            recorder.errors["pages"].append(f"{path}: {error!r}")
        if think:
            # Reading stops when the run does: requests per second are over the run's length.
            await asyncio.sleep(min(rng.expovariate(1 / think),
                                    max(0.0, until - time.monotonic())))


async def agent(client: httpx.AsyncClient, agent: dict, until: float, recorder: Recorder,
                period: float) -> None:
    headers = {"Authorization": f"Bearer {agent['token']}"}
    # Long before the demo's own recordings, a fresh stretch each run: spans never overlap.
    moment = 1_500_000_000 + (int(time.time()) % 1_000_000) * 100
    while time.monotonic() < until:
        items = [{"camera": camera, "state": "ok",
                  "start": _stamp(moment), "end": _stamp(moment + 1)}
                 for camera in agent["cameras"]]
        moment += 1
        started = time.perf_counter()
        try:
            response = await client.post(
                "/api/video/state-spans", content=json.dumps({"items": items}),
                headers={**headers, "Content-Type": "application/json",
                         "Idempotency-Key": str(uuid.uuid4())})
            recorder.latencies["spans"].append(time.perf_counter() - started)
            if response.status_code != 200:
                recorder.errors["spans"].append(f"{response.status_code} {response.text[:120]}")
        except httpx.HTTPError as error:
            recorder.errors["spans"].append(repr(error))
        await asyncio.sleep(max(0.0, period - (time.perf_counter() - started)))


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".000Z"


async def run_load(bases: list[str], sessions: list[str], agents: list[dict], pages: list[str],
                   seconds: float, period: float, think: float) -> tuple[Recorder, float]:
    recorder = Recorder()
    limits = httpx.Limits(max_connections=len(sessions) + len(agents) + 10)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for base in bases]
    try:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *(person(clients, s, pages, until, recorder, think) for s in sessions),
            *(agent(clients[n % len(clients)], a, until, recorder, period)
              for n, a in enumerate(agents)))
        return recorder, time.monotonic() - started
    finally:
        for client in clients:
            await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 s, 30 people, 15 agents")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=16, help="waitress threads")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="servers behind the client's round robin (default: one per core)")
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean seconds a person reads a page (0: closed loop)")
    args = parser.parse_args()
    if args.quick:
        args.users, args.agents, args.seconds = 30, 15, 20
    environment = {**os.environ, "CUSTODYWATCH_REQUIRE_2FA": "false", "LOG_LEVEL": "ERROR"}
    prepared = subprocess.run(
        [CLI, "shell", "-c", PREPARE.format(users=args.users, agents=args.agents)],
        env=environment, cwd=ROOT, capture_output=True, text=True, check=True)
    data = json.loads(prepared.stdout.split("JSON", 1)[1])
    ports = [free_port() for _ in range(args.processes)]
    servers = [subprocess.Popen([CLI, "serve", "--port", str(port), "--threads",
                                 str(args.threads)], env=environment, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    base = bases[0]
    try:
        for server_base in bases:
            for _ in range(150):
                try:
                    urllib.request.urlopen(server_base + "/health/", timeout=2)  # noqa: S310 - loopback
                    break
                except OSError:
                    time.sleep(0.2)
        # Pages this person may open (a page that refuses him is not a load figure).
        probe = httpx.get(base + "/", cookies={"sessionid": data["sessions"][0]})
        pages = [p for p in PAGES
                 if httpx.get(base + p, cookies={"sessionid": data["sessions"][0]},
                              timeout=60).status_code == 200]
        print(f"database: {environment.get('DATABASE_URL', 'SQLite (var/)').split('@')[-1]}; "
              f"{args.processes} server process(es) x {args.threads} waitress threads; "
              f"think time {args.think:.1f} s; home page {probe.status_code}")
        print(f"data size: {args.users} people on {len(pages)} pages {pages}; "
              f"{len(data['agents'])} agents with {sum(len(a['cameras']) for a in data['agents'])}"
              f" cameras posting every second; {args.seconds:.0f} s")
        alone, alone_seconds = asyncio.run(run_load(bases, data["sessions"][:1], [], pages,
                                                    min(10.0, args.seconds / 3), 1.0, 0.0))
        baseline = alone.report("pages", alone_seconds)
        loaded, seconds = asyncio.run(run_load(bases, data["sessions"], data["agents"], pages,
                                               args.seconds, 1.0, args.think))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
    pages_report = loaded.report("pages", seconds)
    spans_report = loaded.report("spans", seconds)
    for label, report in (("baseline, one person alone", baseline),
                          ("pages under load", pages_report),
                          ("agents' span batches under load", spans_report)):
        print(f"{label}: {report['requests']} requests, {report['per_second']:.1f}/s, "
              f"p50 {report['p50_ms']:.0f} ms, p95 {report['p95_ms']:.0f} ms, "
              f"p99 {report['p99_ms']:.0f} ms, errors {report['errors']} "
              f"{report['first_errors'] or ''}")
    # Which pages make the tail: the next place to look.
    for path, values in sorted(loaded.by_page.items(),
                               key=lambda item: -percentile(item[1], 95)):
        print(f"  {path}: {len(values)} requests, p50 {percentile(values, 50) * 1000:.0f} ms, "
              f"p95 {percentile(values, 95) * 1000:.0f} ms")
    total_errors = pages_report["errors"] + spans_report["errors"]
    goal = total_errors == 0 and pages_report["p95_ms"] < 300 and spans_report["p95_ms"] < 300
    print(f"goal (no errors, p95 < 300 ms): {'met' if goal else 'NOT met'}")
    ratio = pages_report["p95_ms"] / baseline["p95_ms"] if baseline["p95_ms"] else float("nan")
    print(f"RESULT load_pages_p95={pages_report['p95_ms']:.0f} ms "
          f"baseline={baseline['p95_ms']:.0f} ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
