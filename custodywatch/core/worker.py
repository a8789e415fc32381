"""`custodywatch worker`: the one background process. It runs the task queue (django-tasks,
database backend: e-mail, core/mail.py) and the periodic jobs every app declares in its
``tasks.py`` (core/periodic.py). Any number of workers may run at once, on any number of nodes,
on PostgreSQL:

- a task is run inside one transaction that holds its row locked (``SELECT ... FOR UPDATE SKIP
  LOCKED``): other workers skip it; its result (and what it wrote, e.g. its next try) commits
  with it; a worker killed in the middle loses its connection, PostgreSQL rolls the transaction
  back, and the task is ready again for the next worker, which runs it once;
- a periodic run is claimed by a conditional UPDATE of its ``ScheduledJob`` row.

SIGTERM or SIGINT: the job in hand is finished, then the worker exits with status 0. An
exception in one job or task is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Iterable
from types import FrameType

from django.db import close_old_connections, connection, transaction
from django_tasks_db.models import DBTaskResult

from custodywatch.core.periodic import Periodic, run_due

logger = logging.getLogger("custodywatch.worker")

# Tasks run between two looks at the periodic jobs, so a long queue does not hold them up.
TASKS_PER_ROUND = 50
IDLE_SLICE = 0.2  # seconds: how often an idle worker looks whether it was asked to stop


def fresh_connection() -> None:
    """Drop a connection that broke or outlived CONN_MAX_AGE, as a request would; never
    inside a transaction (a test's, or a caller's that runs a round itself)."""
    if not connection.in_atomic_block:
        close_old_connections()


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def run_one_task(*, worker: str, backend: str = "default") -> bool:
    """Run the next ready task, if any, inside one transaction; True if one ran."""
    with transaction.atomic():
        row = DBTaskResult.objects.ready().filter(backend_name=backend).get_locked()
        if row is None:
            return False
        row.claim(worker)
        try:
            # What a failed task wrote is undone and its failure kept; a result that cannot
            # be stored (not JSON) fails the task rather than leave it to run again.
            with transaction.atomic():
                task = row.task
                result = row.task_result
                row.set_successful(task.call(*result.args, **result.kwargs))
        except Exception as error:
            logger.exception("task %s (%s) failed", row.task_path, row.pk)
            row.set_failed(error)
    return True


class Worker:
    def __init__(self, *, jobs: Iterable[Periodic], tasks: bool = True,
                 interval: float = 1.0, worker: str = "") -> None:
        self.jobs = list(jobs)
        self.tasks = tasks
        self.interval = interval
        self.worker = worker or worker_id()
        self.stopping = False

    def stop(self, signum: int, frame: FrameType | None) -> None:
        logger.warning("worker %s: %s received, finishing the job in hand",
                       self.worker, signal.Signals(signum).name)
        self.stopping = True

    def install_signal_handlers(self) -> None:
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, self.stop)

    def run_round(self) -> bool:
        """Every due periodic job, then up to ``TASKS_PER_ROUND`` tasks; True if any ran."""
        did = False
        for job in self.jobs:
            if self.stopping:
                return did
            fresh_connection()
            did |= self._guarded(lambda job=job: run_due(job, worker=self.worker), job.name)
        for _ in range(TASKS_PER_ROUND if self.tasks else 0):
            if self.stopping:
                break
            fresh_connection()
            if not self._guarded(lambda: run_one_task(worker=self.worker), "tasks"):
                break
            did = True
        return did

    def _guarded(self, step, name: str) -> bool:
        """A step whose failure outside the job itself (the database gone a moment) is logged;
        the next round tries again."""
        try:
            return bool(step())
        except Exception:
            logger.exception("worker %s: %s failed", self.worker, name)
            return False

    def run(self) -> None:
        logger.info("worker %s: %d periodic job(s), tasks %s", self.worker, len(self.jobs),
                    "on" if self.tasks else "off")
        while not self.stopping:
            if not self.run_round():
                self._idle()
        fresh_connection()
        logger.info("worker %s: stopped", self.worker)

    def _idle(self) -> None:
        waited = 0.0
        while waited < self.interval and not self.stopping:
            time.sleep(IDLE_SLICE)
            waited += IDLE_SLICE
