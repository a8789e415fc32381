"""`custodywatch remediation_tickets [--loop SECONDS]`: open tickets for rooms blind and
cameras out of order too long, close those the footage proves fixed, escalate overdue ones
to the regional prosecutor (video/tickets.py). Safe to run in several copies."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from custodywatch.video.tickets import remediation_sweep


class Command(BaseCommand):
    help = ("Open, close (only on proof by footage) and escalate the remediation tickets of "
            "blind rooms and broken cameras.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0,
                            help="run again every this many seconds (default: once)")

    def handle(self, *args: object, loop: float = 0, **options: object) -> None:
        while True:
            result = remediation_sweep()
            self.stdout.write(f"tickets opened: {result.opened}, closed: {result.closed}, "
                              f"escalated: {result.escalated}")
            if not loop:
                return
            time.sleep(loop)
