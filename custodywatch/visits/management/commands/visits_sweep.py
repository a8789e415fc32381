"""`custodywatch visits_sweep`: alert addressees and their superiors of overdue recommendations.

Run it daily (a systemd timer or cron), or with `--loop SECONDS` as a service. Several may
run at once: every alert is raised once (a unique constraint) and mailed once (a claim).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from custodywatch.visits.alerts import sweep


class Command(BaseCommand):
    help = "Raise and e-mail alerts for recommendations past their deadline."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS",
                            help="Sweep again every SECONDS instead of once.")

    def handle(self, *args, loop: int = 0, **options) -> None:  # type: ignore[no-untyped-def]
        while True:
            result = sweep()
            self.stdout.write(f"raised={result.raised} mailed={result.mailed}")
            if loop <= 0:
                return
            time.sleep(loop)
