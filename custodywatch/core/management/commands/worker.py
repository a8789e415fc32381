"""`custodywatch worker [--jobs NAME,...] [--no-tasks] [--once] [--list]`: the background
process (core/worker.py): the task queue (e-mail) and every periodic job (core/periodic.py).
Run one or more on any node; SIGTERM finishes the job in hand and exits 0."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodywatch.core.periodic import autodiscover
from custodywatch.core.worker import Worker

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Run the task queue (e-mail) and the periodic jobs (sweeps, housekeeping)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", default="",
                            help="only these periodic jobs, comma-separated (default: all; "
                                 "'none' for none)")
        parser.add_argument("--no-tasks", action="store_true",
                            help="leave the task queue to other workers")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds an idle worker waits before looking again")
        parser.add_argument("--once", action="store_true",
                            help="one round (every due job, the ready tasks), then exit")
        parser.add_argument("--list", action="store_true",
                            help="print the periodic jobs and their intervals, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = autodiscover()
        if options["list"]:
            for job in sorted(jobs.values(), key=lambda job: job.name):
                self.stdout.write(f"{job.name}\tevery {int(job.every.total_seconds())} s")
            return
        chosen = sorted(jobs)
        if options["jobs"] == "none":
            chosen = []
        elif options["jobs"]:
            chosen = [name.strip() for name in options["jobs"].split(",") if name.strip()]
            unknown = [name for name in chosen if name not in jobs]
            if unknown:
                raise CommandError(f"--jobs: no periodic job {', '.join(unknown)} "
                                   f"(known: {', '.join(sorted(jobs))})", returncode=BAD_INPUT)
        if options["interval"] <= 0:
            raise CommandError("--interval: a positive number of seconds", returncode=BAD_INPUT)
        # -v 2 logs every job's result; -v 1 the start, the stop and the failures.
        levels = {0: logging.WARNING, 1: logging.INFO}
        logging.getLogger("custodywatch.worker").setLevel(
            levels.get(options["verbosity"], logging.DEBUG))
        worker = Worker(jobs=[jobs[name] for name in chosen], tasks=not options["no_tasks"],
                        interval=options["interval"])
        if options["once"]:
            worker.run_round()
            return
        worker.install_signal_handlers()
        self.stdout.write(f"worker {worker.worker}: {len(chosen)} periodic job(s), "
                          f"tasks {'off' if options['no_tasks'] else 'on'}; SIGTERM stops it")
        self.stdout.flush()
        worker.run()
