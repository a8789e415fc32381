"""Real `custodywatch worker` processes on PostgreSQL: one killed outright (SIGKILL) in the
middle of sending the custody sweep's e-mails, a second that finishes the work, and not one
e-mail twice; SIGTERM ends a worker with status 0."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from custodywatch.custody.models import CustodyAlert
from tests.custody.conftest import make_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120  # seconds: a deadline for a slow machine, not a measurement


def _on_postgresql() -> None:
    # CI runs the whole suite on PostgreSQL too (DATABASE_URL): this test runs there. The
    # workers are other processes and need a database they can reach: SQLite's test database
    # lives in this process's memory.
    if connection.vendor != "postgresql":
        pytest.skip("worker processes are tested on PostgreSQL (DATABASE_URL)")


def _database_url() -> str:
    db = connection.settings_dict
    return (f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}")


def _start_worker(tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONPATH": str(ROOT),
           "CUSTODYWATCH_VAR_DIR": str(tmp_path / "var"),
           "CUSTODYWATCH_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
           "EMAIL_BACKEND": "tests.mail_backends.HangingFileBackend",
           "EMAIL_FILE_PATH": str(tmp_path / "mail"), "LANGUAGE_CODE": "en",
           "CUSTODYWATCH_TEST_HANG_AT": str(tmp_path / "hang_at")}
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "custodywatch.cli", "worker", "--jobs", "custody_sweep",
         "--interval", "0.2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_for(condition, what: str, process: subprocess.Popen, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker ended ({process.returncode}) before {what}:\n"
                        + log.read_text())
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {WAIT} s:\n" + log.read_text())
        time.sleep(0.2)


def test_a_killed_worker_s_mail_is_sent_once_by_the_next_worker(people, facility_a,
                                                                 tmp_path):
    _on_postgresql()
    people["head_a"].email = "head_a@example.kz"
    people["head_a"].save()
    # Several clocks overdue (relatives, lawyer, medical, and the safeguards of the custody
    # law): an alert and an e-mail for each.
    make_record(facility_a, people["duty_a"], detained_at=timezone.now() - dt.timedelta(
        hours=49), arrived_at=None)
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    (tmp_path / "hang_at").write_text("1")  # the first worker hangs before its 2nd e-mail
    sent = lambda: sorted(mailbox.glob("*.log"))  # noqa: E731

    first = _start_worker(tmp_path, "first")
    _wait_for(lambda: (tmp_path / "hanging").exists(), "hang in the second e-mail", first,
              tmp_path / "first.log")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=WAIT)
    assert len(sent()) == 1
    alerts = CustodyAlert.objects.count()
    assert alerts >= 3
    assert CustodyAlert.objects.filter(mailed_at__isnull=False).count() == alerts

    (tmp_path / "hang_at").write_text("1000")
    second = _start_worker(tmp_path, "second")
    done = lambda: DBTaskResult.objects.filter(  # noqa: E731
        status=TaskResultStatus.SUCCESSFUL).count() == alerts
    _wait_for(done, "every e-mail sent", second, tmp_path / "second.log")
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=WAIT) == 0, (tmp_path / "second.log").read_text()

    # Django's file backend may append two messages to one file (a file per backend object
    # and second): count the messages, each ended by its separator line.
    messages = [message for path in sent() for message in path.read_text().split("-" * 79)
                if message.strip()]
    assert len(messages) == alerts
    subjects = {line for text in messages for line in text.splitlines()
                if line.startswith("Subject:")}
    assert len(subjects) == alerts  # each clock's e-mail once
    assert DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).count() == 0
    # The e-mail the first worker held was rolled back with it and run by the second alone.
    assert sorted(len(row.worker_ids) for row in DBTaskResult.objects.all()) == [1] * alerts
    assert CustodyAlert.objects.count() == alerts  # one per clock, none raised twice
