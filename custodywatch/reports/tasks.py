"""Reports' periodic jobs: the precomputed figures and the daily coverage snapshot."""

from __future__ import annotations

import datetime as dt

from custodywatch.core.periodic import periodic
from custodywatch.reports.coverage_history import coverage_snapshot_take
from custodywatch.reports.services import figures_refresh


@periodic(every=dt.timedelta(minutes=15))
def reports_refresh() -> str:
    refresh = figures_refresh()
    return f"{refresh.facility_days} unit-days, {refresh.region_months} region-months"


@periodic(every=dt.timedelta(days=1))
def coverage_snapshot() -> int:
    return coverage_snapshot_take()
