"""Visits' periodic job: alerts of overdue recommendations (visits/alerts.py)."""

from __future__ import annotations

import datetime as dt

from custodywatch.core.periodic import periodic
from custodywatch.visits import alerts


@periodic(every=dt.timedelta(hours=1))
def visits_sweep() -> alerts.SweepResult:
    return alerts.sweep()
