"""Core's periodic jobs: housekeeping (every app's purges, core/periodic.py) and the daily
re-hash of stored evidence files."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django_tasks_db.models import DBTaskResult

from custodywatch.core.models import IdempotencyRecord
from custodywatch.core.periodic import housekeeping, periodic, run_housekeeping
from custodywatch.core.stored_files import check_stored_files


def idempotency_keep() -> dt.timedelta:
    """How long a stored answer is replayed: an agent back from an outage this long still
    gets its first answer for a retried request."""
    return dt.timedelta(days=int(getattr(settings, "CUSTODYWATCH_IDEMPOTENCY_DAYS", 30)))


@housekeeping
def idempotency_records_purge(now: dt.datetime) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - idempotency_keep()).delete()
    return deleted


# Finished tasks (an e-mail sent, or given up) are kept this long to look into, then purged.
TASK_RESULTS_KEEP = dt.timedelta(days=30)


@housekeeping
def task_results_purge(now: dt.datetime) -> int:
    deleted, _ = DBTaskResult.objects.finished().filter(
        finished_at__lt=now - TASK_RESULTS_KEEP).delete()
    return deleted


@periodic(every=dt.timedelta(hours=1), name="housekeeping")
def housekeeping_run() -> dict[str, int]:
    return run_housekeeping()


@periodic(every=dt.timedelta(days=1))
def evidence_check_files() -> str:
    result = check_stored_files()
    return f"checked {result.checked}, missing or damaged {len(result.problems)}"
