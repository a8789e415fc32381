"""Medical's periodic jobs: the risk-moment rules (medical/risk.py) and the exit-examination
alerts (medical/exit_alerts.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from custodywatch.core.periodic import periodic
from custodywatch.medical.exit_alerts import exit_examination_alerts_raise
from custodywatch.medical.risk import risk_sweep as sweep


@periodic(every=dt.timedelta(minutes=5))
def risk_sweep() -> int:
    return sweep()


@periodic(every=dt.timedelta(minutes=1))
def exit_examination_alerts() -> int:
    """Once a minute, as the custody sweep did; the custody sweep e-mails what it raised."""
    return exit_examination_alerts_raise(now=timezone.now())
