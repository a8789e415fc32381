"""`custodywatch video_sweep [--loop SECONDS]`: record cameras whose heartbeats stopped.

Like healthchecks' sendalerts: run once from cron, or keep it running with --loop; several
copies may run at once, because each silent camera is claimed by a conditional UPDATE.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from custodywatch.video.services import video_sweep


class Command(BaseCommand):
    help = "Close the spans of cameras whose heartbeats stopped as no_signal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0,
                            help="sweep again every this many seconds (default: once)")

    def handle(self, *args: object, loop: float = 0, **options: object) -> None:
        while True:
            result = video_sweep()
            self.stdout.write(f"newly silent: {result.newly_silent}, "
                              f"silences extended: {result.extended}")
            if not loop:
                return
            time.sleep(loop)
