from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone, translation
from tqdm import tqdm

from custodywatch.core.processes import spawn_tied_to_this_process
from custodywatch.custody.demo_mass import whereabouts_example
from custodywatch.demo import edge_agent, generator
from custodywatch.escrow import store as escrow_store
from custodywatch.escrow.embedded import EmbeddedStore, StoreError
from custodywatch.ledger.services import ledger_integrate_all
from custodywatch.video import demo as video_demo


class Command(BaseCommand):
    help = "Load the deterministic demo dataset, print one login per role, and serve the UI."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=sorted(generator.SCALES), default="small")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-serve", action="store_true", help="load and print, then exit")
        parser.add_argument("--reset", action="store_true",
                            help="reload even if this database holds the same dataset")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options) -> None:
        # The catalogues of a fresh checkout (only what changed since the last run): without
        # them every page would be in English whatever the reader chose.
        call_command("compile_translations", verbosity=0)
        translation.activate("en")  # the console speaks English; the UI follows the browser
        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        with tqdm(total=generator.expected_rows(options["scale"]), unit=" rows",
                  desc=f"Demo data ({options['scale']})", disable=options["verbosity"] == 0,
                  file=self.stderr._out) as bar:
            logins, loaded = generator.load(scale_name=options["scale"], seed=options["seed"],
                                            progress=bar.update, reset=options["reset"])
            if loaded:
                bar.update(bar.total - bar.n if bar.n < bar.total else 0)
        checkpoints = ledger_integrate_all()  # the demo's audit trail, into the evidence ledger
        verb = "Loaded" if loaded else "Reusing the loaded"
        self.stdout.write(f"{verb} demo dataset scale={options['scale']} seed={options['seed']} "
                          f"in {time.perf_counter() - started:.1f} s; "
                          f"{len(checkpoints)} ledger checkpoint(s) signed.")
        self.stdout.write("\nDemo logins (one per role):")
        width = max(len(login.role) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.role:<{width}}  user: {login.username:<13} "
                              f"password: {login.password}   scope: {login.scope}")
        example = whereabouts_example()
        if example is not None:
            born = f", born {example.date_of_birth:%Y-%m-%d}" if example.date_of_birth else ""
            self.stdout.write(f"\n\"Where is he held?\" (lawyer, operator): ask about "
                              f"{example.full_name}, IIN {example.iin}{born} "
                              f"(held at {example.facility}).")
        if not options["no_serve"]:
            self.stdout.write("")
            # Stopped by a signal, the demo still runs its exit handlers, which stop the agent.
            for stop_signal in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(stop_signal, _exit_on_signal)
            self._start_escrow_store()
            self._start_worker()
            real = self._start_edge_agent(options)
            _play_edge_agents_in_background(real.camera_ids if real else ())
            call_command("serve", host=options["host"], port=options["port"])

    def _start_escrow_store(self) -> None:
        """The embedded SeaweedFS (Object Lock bucket) under var/, unless an S3 endpoint is
        configured; stopped when the demo ends. The demo goes on without escrow if it fails."""
        if escrow_store.configured():
            return
        embedded = EmbeddedStore(Path(settings.VAR_DIR) / "escrow-store")
        try:
            embedded.start()
        except (StoreError, OSError) as error:
            self.stderr.write(f"No footage escrow in this demo: {error}")
            return
        atexit.register(embedded.stop)
        for name, value in embedded.environment().items():
            setattr(settings, name.removeprefix("CUSTODYWATCH_"), value)
            os.environ[name] = value  # for the worker started next
        self.stdout.write(f"Footage escrow: embedded SeaweedFS at {embedded.endpoint} "
                          f"(bucket {embedded.bucket}, Object Lock), data in "
                          f"{embedded.data_dir}")

    def _start_worker(self) -> None:
        """`custodywatch worker` (the sweeps, the e-mail queue), ended when the demo ends. Its
        e-mail goes to files under var/mail unless EMAIL_BACKEND names a mail server."""
        log_path = Path(settings.VAR_DIR) / "worker.log"
        spawn_tied_to_this_process([sys.executable, "-m", "custodywatch.cli", "worker"],
                                   log=log_path.open("ab"))
        self.stdout.write(f"Worker: sweeps and e-mail in the background; log {log_path}")

    def _start_edge_agent(self, options) -> edge_agent.DemoAgent | None:
        """A real agent on rendered footage for the home facility (custodywatch/demo/
        edge_agent.py); the demo goes on without it if the footage cannot be made."""
        host = "127.0.0.1" if options["host"] in ("0.0.0.0", "::", "") else options["host"]  # noqa: S104 - compared, not bound
        self.stdout.write("Rendering footage for the edge agent of the home facility ...")
        try:
            agent = edge_agent.prepare(centre_url=f"http://{host}:{options['port']}")
        except (OSError, ValueError) as error:
            self.stderr.write(f"No real edge agent in this demo: {error}")
            return None
        if agent is None:
            return None
        edge_agent.start(agent)
        covered = [code for code, fault in agent.cameras if fault]
        self.stdout.write(
            f"Edge agent: {len(agent.cameras)} cameras of {agent.facility.code} judged from "
            f"real video ({', '.join(covered)} with its lens covered); log {agent.log_path}")
        return agent


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def _play_edge_agents_in_background(real_agent_cameras: Sequence[int] = (),
                                    interval_seconds: float = 30) -> None:
    """Beat for the demo's other live cameras, so camera health stays current while the demo
    is served (the worker sweeps the silent ones and refreshes the figures); integrate the
    ledger as its integrator would. Some of the home facility's cameras have a real agent."""

    def play() -> None:
        while True:
            try:
                video_demo.demo_tick(now=timezone.now(),
                                     real_agent_cameras=real_agent_cameras)
                ledger_integrate_all()  # the ledger integrator's job (`custodywatch ledger run`)
            finally:
                close_old_connections()
            time.sleep(interval_seconds)

    # At once: the demo may have been stopped a while.
    video_demo.demo_tick(now=timezone.now(), real_agent_cameras=real_agent_cameras)
    ledger_integrate_all()
    threading.Thread(target=play, name="demo-edge-agents", daemon=True).start()
