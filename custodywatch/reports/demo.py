"""The demo's precomputed figures: a year back, rebuilt once the registers are loaded; and
last month's open-data release and last year's NPM annual report."""

from __future__ import annotations

import datetime as dt

from custodywatch.reports.models import OpenDataFile, OpenDataRelease
from custodywatch.reports.services import (
    default_since,
    figures_refresh,
    npm_annual_report_publish,
    open_data_release_publish,
)

DEMO_MONTHS = 13  # the dashboard's twelve months and the month before


def build_reports(*, now: dt.datetime) -> None:
    figures_refresh(since=(now - dt.timedelta(days=31 * DEMO_MONTHS)).date(), now=now)
    open_data_release_publish(month=default_since(now), refresh=False,
                              base_url="/reports/open-data/")
    npm_annual_report_publish(year=now.year - 1)


def wipe_reports() -> None:
    OpenDataFile.objects.all().delete()
    OpenDataRelease.objects.all().delete()
