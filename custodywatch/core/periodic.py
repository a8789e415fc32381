"""Periodic jobs of `custodywatch worker`: each app declares its own in its ``tasks.py``.

    @periodic(every=dt.timedelta(minutes=1))
    def custody_sweep() -> object: ...

The worker imports every installed app's ``tasks`` module (``autodiscover``), so core never
imports an app above it. A job's run is claimed on its ``ScheduledJob`` row by a conditional
UPDATE (the healthchecks ``sendalerts`` pattern): the worker whose UPDATE moved ``due_at`` on
runs it; any other worker, on any node, finds the row no longer due. A worker killed in the
middle of a job leaves the run to the next slot: every job is idempotent (it raises each alert
once, claims each row it mails), so running it again does what the killed run left undone.

Housekeeping (``@housekeeping``) gathers the small purges of many apps in one daily-ish job.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from custodywatch.core.models import ScheduledJob

logger = logging.getLogger("custodywatch.worker")


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    run: Callable[[], object]


JOBS: dict[str, Periodic] = {}
PURGES: dict[str, Callable[[dt.datetime], int]] = {}


def periodic(*, every: dt.timedelta, name: str = "") -> Callable[[Callable[[], object]],
                                                                 Callable[[], object]]:
    """Register a function as a periodic job, run every ``every`` by one worker."""

    def register(function: Callable[[], object]) -> Callable[[], object]:
        job_name = name or function.__name__
        JOBS[job_name] = Periodic(name=job_name, every=every, run=function)
        return function

    return register


def housekeeping(function: Callable[[dt.datetime], int]) -> Callable[[dt.datetime], int]:
    """Register a purge ``f(now) -> rows removed`` with the ``housekeeping`` job."""
    PURGES[f"{function.__module__}.{function.__name__}"] = function
    return function


def autodiscover() -> dict[str, Periodic]:
    """Import every installed app's ``tasks`` module; return the jobs they declared."""
    autodiscover_modules("tasks")
    return JOBS


def run_housekeeping(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {name: purge(now) for name, purge in sorted(PURGES.items())}


def claim(job: Periodic, *, worker: str, now: dt.datetime) -> bool:
    """Take this run of ``job`` if it is due; True for exactly one worker per due run."""
    due = ScheduledJob.objects.filter(name=job.name, due_at__lte=now)
    taken = due.update(due_at=now + job.every, started_at=now, finished_at=None, worker=worker)
    if not taken and not ScheduledJob.objects.filter(name=job.name).exists():
        # A job's first run: its row is written once, by whichever worker comes first.
        ScheduledJob.objects.bulk_create([ScheduledJob(name=job.name, due_at=now)],
                                         ignore_conflicts=True)
        taken = due.update(due_at=now + job.every, started_at=now, finished_at=None,
                           worker=worker)
    return bool(taken)


def run_due(job: Periodic, *, worker: str, now: dt.datetime | None = None) -> bool:
    """Run ``job`` if this worker claims it; an exception is logged and recorded, not raised,
    so one failing job never stops the others. True when it ran (failed or not)."""
    now = now or timezone.now()
    if not claim(job, worker=worker, now=now):
        return False
    failed = False
    try:
        result = job.run()
    except Exception:
        failed = True
        logger.exception("periodic job %s failed; it runs again in %s", job.name, job.every)
    else:
        logger.debug("periodic job %s: %s", job.name, result)
    ScheduledJob.objects.filter(name=job.name, worker=worker, started_at=now).update(
        finished_at=timezone.now(), failed=failed)
    return True
