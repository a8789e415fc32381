"""Complaints' periodic job (transfer alerts, silent complaint terminals) and purge
(receipt-code tries)."""

from __future__ import annotations

import datetime as dt

from custodywatch.complaints import rules
from custodywatch.complaints.models import ReceiptAttempt
from custodywatch.complaints.services import complaint_transfer_alerts_send
from custodywatch.complaints.terminals import silence_sweep
from custodywatch.core.periodic import housekeeping, periodic

# Tries older than this count for no throttle (rules.RECEIPT_WINDOW) and are removed.
ATTEMPTS_KEEP = dt.timedelta(days=1)


@periodic(every=dt.timedelta(minutes=1))
def complaints_sweep() -> int:
    return complaint_transfer_alerts_send() + silence_sweep()


@housekeeping
def receipt_attempts_purge(now: dt.datetime) -> int:
    keep = max(ATTEMPTS_KEEP, rules.RECEIPT_WINDOW)
    deleted, _ = ReceiptAttempt.objects.filter(at__lt=now - keep).delete()
    return deleted
