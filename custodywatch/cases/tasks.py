"""Cases' periodic job: the response clock of referrals to crisis centres."""

from __future__ import annotations

import datetime as dt

from custodywatch.cases import referral_clock
from custodywatch.core.periodic import periodic


@periodic(every=dt.timedelta(hours=1))
def referrals_sweep() -> referral_clock.SweepResult:
    return referral_clock.sweep()
