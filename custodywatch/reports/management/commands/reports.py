"""``custodywatch reports refresh [--since YYYY-MM-DD]``: rebuild the precomputed figures.

Run it from cron or a timer (every 15 minutes keeps "this month" fresh); the demo runs it
once after loading. Exit 0 on success, 2 on bad input.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodywatch.reports.services import figures_refresh


class Command(BaseCommand):
    help = "Reports: rebuild the precomputed unit-day and region-month figures."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="rebuild the figures from a day on")
        refresh.add_argument("--since", help="first day to rebuild (YYYY-MM-DD); its month "
                                             "is rebuilt whole. Default: last month.")

    def handle(self, *args: Any, action: str, since: str | None = None, **options: Any) -> None:
        day = None
        if since:
            try:
                day = dt.date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since: not a date (YYYY-MM-DD): {since!r}",
                                   returncode=2) from None
        refresh = figures_refresh(since=day)
        self.stdout.write(f"figures rebuilt from {refresh.since}: {refresh.facility_days} "
                          f"unit-days, {refresh.region_months} region-months in "
                          f"{refresh.seconds:.1f} s")
