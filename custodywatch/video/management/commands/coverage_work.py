"""`custodywatch coverage_work [--loop SECONDS]`: recompute stored coverage where it changed.

`video_sweep` runs the same job after each sweep; this command runs it alone (more workers
on a busy queue). Several copies may run at once: each work row is claimed by a conditional
DELETE, and only the worker whose DELETE removed it processes it.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from custodywatch.video.coverage_jobs import coverage_work_drain, coverage_work_refresh


class Command(BaseCommand):
    help = "Recompute the blind time of stays and investigative actions whose coverage changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0,
                            help="run again every this many seconds (default: once)")

    def handle(self, *args: object, loop: float = 0, **options: object) -> None:
        while True:
            queued = coverage_work_refresh()
            work = coverage_work_drain()
            self.stdout.write(f"refreshed: {queued}, coverage work: {work.claimed}, "
                              f"stays: {work.stays}, actions: {work.interrogations}, "
                              f"camera alerts: {work.alerts}")
            if not loop:
                return
            time.sleep(loop)
