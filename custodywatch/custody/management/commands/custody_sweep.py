"""`custodywatch custody_sweep`: raise, e-mail and escalate custody alerts.

Run it every minute (a systemd timer or cron), or with `--loop SECONDS` as a service.
Several may run at once: every row is claimed with a conditional UPDATE.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from custodywatch.custody.alerts import custody_sweep


class Command(BaseCommand):
    help = "Raise alerts for custody clocks due soon or overdue; e-mail and escalate them."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS",
                            help="Sweep again every SECONDS instead of once.")

    def handle(self, *args, loop: int = 0, **options) -> None:  # type: ignore[no-untyped-def]
        while True:
            result = custody_sweep()
            self.stdout.write(f"raised={result.raised} mailed={result.mailed} "
                              f"escalated={result.escalated}")
            if loop <= 0:
                return
            time.sleep(loop)
