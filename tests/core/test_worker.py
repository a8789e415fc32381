"""`custodywatch worker` in one process: periodic runs claimed once per slot, a failing job
logged without stopping the others, a stop signal honoured after the job in hand, the task
queue, housekeeping, and the command's options."""

from __future__ import annotations

import datetime as dt
import logging
import signal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from custodywatch.complaints.models import ReceiptAttempt
from custodywatch.core import periodic
from custodywatch.core.mail import mail_queue, retry_delay
from custodywatch.core.models import IdempotencyRecord, ScheduledJob
from custodywatch.core.worker import Worker, run_one_task
from custodywatch.liveview.models import LinkAttempt

pytestmark = pytest.mark.django_db
MINUTE = dt.timedelta(minutes=1)


def counting_job(name: str, runs: list[str]) -> periodic.Periodic:
    return periodic.Periodic(name=name, every=MINUTE, run=lambda: runs.append(name))


def test_a_periodic_run_is_taken_by_one_worker_per_slot():
    runs: list[str] = []
    job = counting_job("count", runs)
    now = timezone.now()
    assert periodic.run_due(job, worker="node-1", now=now)
    assert not periodic.run_due(job, worker="node-2", now=now)
    assert not periodic.run_due(job, worker="node-2", now=now + MINUTE / 2)
    assert periodic.run_due(job, worker="node-2", now=now + MINUTE)
    assert runs == ["count", "count"]
    row = ScheduledJob.objects.get(name="count")
    assert row.worker == "node-2" and row.finished_at is not None and not row.failed


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    runs: list[str] = []

    def broken() -> None:
        raise RuntimeError("the sweep broke")

    jobs = [periodic.Periodic(name="broken", every=MINUTE, run=broken),
            counting_job("after", runs)]
    worker = Worker(jobs=jobs, tasks=False, worker="node-1")
    with caplog.at_level(logging.ERROR, logger="custodywatch.worker"):
        assert worker.run_round()
    assert runs == ["after"]
    assert "periodic job broken failed" in caplog.text
    assert ScheduledJob.objects.get(name="broken").failed
    assert not ScheduledJob.objects.get(name="after").failed


def test_a_stop_signal_lets_the_job_in_hand_finish_then_the_worker_returns():
    runs: list[str] = []
    worker = Worker(jobs=[], tasks=False, worker="node-1")

    def signalled_mid_job() -> None:
        worker.stop(signal.SIGTERM, None)  # as the signal handler would, mid-job
        runs.append("finished")

    worker.jobs = [periodic.Periodic(name="first", every=MINUTE, run=signalled_mid_job),
                   counting_job("second", runs)]
    worker.run()  # returns: no loop left running
    assert runs == ["finished"]
    assert not ScheduledJob.objects.filter(name="second").exists()


def test_a_failing_task_is_recorded_failed_and_the_queue_goes_on(settings, task_queue,
                                                                  mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    broken = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, priority=0, task_path="custodywatch.no.such",
        queue_name="default", backend_name="default")
    assert mail_queue(subject="s", body="b", to=["a@example.kz", "", "a@example.kz"])
    assert task_queue() == 2
    broken.refresh_from_db()
    assert broken.status == TaskResultStatus.FAILED
    assert [m.to for m in mailoutbox] == [["a@example.kz"]]
    assert not run_one_task(worker="test")


def test_no_addresses_queue_nothing(task_queue):
    assert not mail_queue(subject="s", body="b", to=["", ""])
    assert DBTaskResult.objects.count() == 0


def test_retry_delays_grow_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3)] == [MINUTE, 2 * MINUTE, 4 * MINUTE]
    assert retry_delay(7) == retry_delay(50) == dt.timedelta(hours=1)


def test_housekeeping_purges_expired_idempotency_keys_throttle_rows_and_old_tasks():
    periodic.autodiscover()
    now = timezone.now()
    old, recent = now - dt.timedelta(days=31), now - dt.timedelta(minutes=5)
    for n, created in enumerate((old, recent)):
        record = IdempotencyRecord.objects.create(principal="p", key=f"k{n}", request_hash="h",
                                                  status_code=201, content_type="x",
                                                  content=b"")
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=created)
        ReceiptAttempt.objects.create(address_key=f"a{n}", at=now - dt.timedelta(days=2 - 2 * n))
        LinkAttempt.objects.create(address_key=f"a{n}", at=now - dt.timedelta(days=2 - 2 * n))
        DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}}, priority=0, task_path=f"t{n}",
            queue_name="default", backend_name="default", status=TaskResultStatus.SUCCESSFUL,
            finished_at=now - dt.timedelta(days=31 - 31 * n))
    DBTaskResult.objects.create(  # waiting to run: never purged, whatever its age
        args_kwargs={"args": [], "kwargs": {}}, priority=0, task_path="ready",
        queue_name="default", backend_name="default")
    removed = periodic.run_housekeeping(now)
    assert removed == {"custodywatch.complaints.tasks.receipt_attempts_purge": 1,
                       "custodywatch.core.tasks.idempotency_records_purge": 1,
                       "custodywatch.core.tasks.task_results_purge": 1,
                       "custodywatch.liveview.tasks.link_attempts_purge": 1}
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == ["ready", "t1"]
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k1"]
    assert list(ReceiptAttempt.objects.values_list("address_key", flat=True)) == ["a1"]
    assert list(LinkAttempt.objects.values_list("address_key", flat=True)) == ["a1"]


def test_the_worker_runs_every_sweep_that_had_a_loop_process(capsys):
    call_command("worker", "--list")
    names = {line.split("\t")[0] for line in capsys.readouterr().out.splitlines()}
    assert {"custody_sweep", "video_sweep", "complaints_sweep", "visits_sweep",
            "liveview_sweep", "remediation_tickets", "risk_sweep", "evidence_check_files",
            "reports_refresh", "coverage_snapshot", "escrow_retention", "housekeeping"} <= names


def test_an_unknown_job_is_refused():
    with pytest.raises(CommandError, match="--jobs: no periodic job bogus"):
        call_command("worker", "--jobs", "bogus", "--once")


def test_the_old_loop_option_is_gone():
    with pytest.raises(CommandError, match="--loop"):
        call_command("custody_sweep", "--loop", "60")
