"""`custodywatch video_sweep [--loop SECONDS]`: record cameras whose heartbeats stopped,
then recompute the stored coverage that changed (video/coverage_jobs.py), raise the blind
custody alerts (custody/alerts.py) and open or close coverage incidents (video/incidents.py).

Like healthchecks' sendalerts: run once from cron, or keep it running with --loop; several
copies may run at once, because each silent camera is claimed by a conditional UPDATE and
each coverage work row by a conditional DELETE.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from custodywatch.custody.alerts import blind_custody_alerts_raise
from custodywatch.video.coverage_jobs import coverage_work_drain, coverage_work_refresh
from custodywatch.video.incidents import coverage_incidents_sweep
from custodywatch.video.services import video_sweep


class Command(BaseCommand):
    help = ("Close the spans of cameras whose heartbeats stopped as no_signal; recompute the "
            "coverage of stays and investigative actions where it changed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0,
                            help="sweep again every this many seconds (default: once)")
        parser.add_argument("--no-coverage", action="store_true",
                            help="only the silence sweep; leave coverage work to "
                                 "`custodywatch coverage_work`")

    def handle(self, *args: object, loop: float = 0, no_coverage: bool = False,
               **options: object) -> None:
        while True:
            result = video_sweep()
            line = (f"newly silent: {result.newly_silent}, "
                    f"silences extended: {result.extended}")
            if not no_coverage:
                coverage_work_refresh()
                work = coverage_work_drain()
                line += (f", coverage work: {work.claimed}, stays: {work.stays}, "
                         f"actions: {work.interrogations}, camera alerts: {work.alerts}, "
                         f"withdrawn: {work.withdrawn}")
                blind = blind_custody_alerts_raise(now=timezone.now())
                incidents = coverage_incidents_sweep()
                line += (f", blind custody alerts: {blind}, incidents opened: "
                         f"{incidents.opened}, closed: {incidents.closed}")
            self.stdout.write(line)
            if not loop:
                return
            time.sleep(loop)
