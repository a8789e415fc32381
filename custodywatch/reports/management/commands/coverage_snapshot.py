"""`custodywatch coverage_snapshot [--baseline-rooms N --baseline-cameras N --baseline-day D]`:
store today's blind-zone snapshot per facility, agency, region and country (run daily; a
second run the same day replaces the day's rows), or set the burn-down's baseline
(reports/coverage_history.py)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.reports.coverage_history import coverage_baseline_set, coverage_snapshot_take


class Command(BaseCommand):
    help = "Store today's coverage snapshot, or set the burn-down baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--baseline-rooms", type=int, default=None,
                            help="set the baseline: custody rooms without video")
        parser.add_argument("--baseline-cameras", type=int, default=None,
                            help="set the baseline: cameras out of order")
        parser.add_argument("--baseline-day", default="",
                            help="the baseline's day, YYYY-MM-DD (default: today)")

    def handle(self, *args: object, baseline_rooms: int | None = None,
               baseline_cameras: int | None = None, baseline_day: str = "",
               **options: object) -> None:
        if baseline_rooms is None and baseline_cameras is None:
            rows = coverage_snapshot_take()
            self.stdout.write(f"coverage snapshot: {rows} rows")
            return
        if baseline_rooms is None or baseline_cameras is None or min(
                baseline_rooms, baseline_cameras) < 0:
            raise CommandError("--baseline-rooms and --baseline-cameras go together, >= 0")
        try:
            day = dt.date.fromisoformat(baseline_day) if baseline_day else dt.date.today()
        except ValueError as error:
            raise CommandError(f"--baseline-day: {error}") from None
        rows = coverage_baseline_set(acting_user=None, origin=SYSTEM_ORIGIN, day=day,
                                     rooms_blind=baseline_rooms,
                                     cameras_out_of_order=baseline_cameras)
        self.stdout.write(f"baseline {day}: {rows} rows")
