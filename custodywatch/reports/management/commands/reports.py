"""``custodywatch reports refresh [--since YYYY-MM-DD]``: rebuild the precomputed figures.
``custodywatch reports publish-open-data [--month YYYY-MM] [--note TEXT]``: publish the open
data of a finished month (default: last month) as the next release version.

Run it from cron or a timer (every 15 minutes keeps "this month" fresh); the demo runs it
once after loading. Exit 0 on success, 2 on bad input.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from custodywatch.reports.models import OpenDataRelease
from custodywatch.reports.services import (
    default_since,
    figures_refresh,
    npm_annual_report_publish,
    open_data_release_publish,
)


class Command(BaseCommand):
    help = "Reports: rebuild the precomputed unit-day and region-month figures."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="rebuild the figures from a day on")
        refresh.add_argument("--since", help="first day to rebuild (YYYY-MM-DD); its month "
                                             "is rebuilt whole. Default: last month.")
        publish = sub.add_parser("publish-open-data",
                                 help="publish a finished month's open data as a new release")
        publish.add_argument("--month", help="YYYY-MM (default: last month)")
        publish.add_argument("--note", default="", help="what this version corrects, if any")
        npm = sub.add_parser("publish-npm-report",
                             help="publish the NPM's annual report of a finished year")
        npm.add_argument("--year", type=int, help="default: last year")
        npm.add_argument("--note", default="", help="what this version corrects, if any")

    def handle(self, *args: Any, action: str, since: str | None = None, **options: Any) -> None:
        if action == "publish-open-data":
            self._publish(options["month"], options["note"])
            return
        if action == "publish-npm-report":
            year = options["year"] or timezone.localdate().year - 1
            try:
                release = npm_annual_report_publish(year=year, note=options["note"])
            except ValueError as error:
                raise CommandError(f"--{error}", returncode=2) from None
            self._published(release)
            return
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

    def _publish(self, month_text: str | None, note: str) -> None:
        if month_text:
            try:
                month = dt.date.fromisoformat(f"{month_text}-01")
            except ValueError:
                raise CommandError(f"--month: not a month (YYYY-MM): {month_text!r}",
                                   returncode=2) from None
        else:
            month = default_since(timezone.now())
        base_url = f"{settings.PUBLIC_BASE_URL}/reports/open-data/" if \
            settings.PUBLIC_BASE_URL else "/reports/open-data/"
        try:
            release = open_data_release_publish(month=month, note=note, base_url=base_url)
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from None
        self._published(release)

    def _published(self, release: OpenDataRelease) -> None:
        for file in release.files.all():
            self.stdout.write(f"{file.sha256}  {file.name}")
        self.stdout.write(f"{release.get_kind_display()} {release.month:%Y-%m} published as "
                          f"version {release.version}; the files' hashes are queued for the "
                          "ledger")
