"""Reports' periodic jobs: the precomputed figures, the daily coverage snapshot, and the
publications due (last month's open data, last year's NPM report) once each."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from custodywatch.core.periodic import periodic
from custodywatch.reports.coverage_history import coverage_snapshot_take
from custodywatch.reports.models import OpenDataRelease
from custodywatch.reports.services import (
    default_since,
    figures_refresh,
    npm_annual_report_publish,
    open_data_release_publish,
)


@periodic(every=dt.timedelta(minutes=15))
def reports_refresh() -> str:
    refresh = figures_refresh()
    return f"{refresh.facility_days} unit-days, {refresh.region_months} region-months"


@periodic(every=dt.timedelta(days=1))
def coverage_snapshot() -> int:
    return coverage_snapshot_take()


@periodic(every=dt.timedelta(hours=6))
def publications() -> str:
    """Last month's open data and last year's NPM report, each published once: a later
    correction is a person's decision (`reports publish-open-data --note`)."""
    done = []
    month = default_since(timezone.now())
    releases = OpenDataRelease.objects
    if not releases.filter(kind=OpenDataRelease.Kind.UNITS_MONTH, month=month).exists():
        base = f"{settings.PUBLIC_BASE_URL}/reports/open-data/"
        done.append(str(open_data_release_publish(month=month, base_url=base)))
    year = timezone.localdate().year - 1
    if not releases.filter(kind=OpenDataRelease.Kind.NPM_ANNUAL,
                           month=dt.date(year, 1, 1)).exists():
        done.append(str(npm_annual_report_publish(year=year)))
    return ", ".join(done) or "nothing due"
