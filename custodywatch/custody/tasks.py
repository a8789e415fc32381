"""Custody's periodic job: raise, e-mail and escalate custody alerts (custody/alerts.py)."""

from __future__ import annotations

import datetime as dt

from custodywatch.core.periodic import periodic
from custodywatch.custody.alerts import SweepResult
from custodywatch.custody.alerts import custody_sweep as sweep


@periodic(every=dt.timedelta(minutes=1))
def custody_sweep() -> SweepResult:
    return sweep()


@periodic(every=dt.timedelta(minutes=5))
def mass_review_queues() -> int:
    """Issue 22, item 7: everyone detained in a mass detention's area joins its review queue,
    however registered (custody/mass.py)."""
    from custodywatch.custody.mass import review_queues_fill

    return review_queues_fill()
