"""Medical's periodic job: the risk-moment rules (medical/risk.py)."""

from __future__ import annotations

import datetime as dt

from custodywatch.core.periodic import periodic
from custodywatch.medical.risk import risk_sweep as sweep


@periodic(every=dt.timedelta(minutes=5))
def risk_sweep() -> int:
    return sweep()
