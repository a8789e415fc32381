"""Accountability's periodic job: proceedings proposed where a conviction, a substantiated
complaint or a pattern of risk moments falls in a head's tenure (idempotent)."""

from __future__ import annotations

import datetime as dt

from custodywatch.accountability.services import proceedings_propose
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.core.periodic import periodic


@periodic(every=dt.timedelta(hours=6))
def proceedings_proposal() -> int:
    return len(proceedings_propose(origin=SYSTEM_ORIGIN))
