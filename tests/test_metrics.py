"""/metrics: Prometheus text for a scraper with the token, nothing for anyone else, and
figures read from the database (so every web node answers the same)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from custodywatch.core.mail import mail_queue
from custodywatch.ledger.models import PendingLeaf
from custodywatch.video.models import CoverageWork

pytestmark = pytest.mark.django_db
TOKEN = "scraper-token-0123456789"


def scrape(client) -> dict[str, float]:
    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/plain")
    return {(sample.name + (f"{{{sample.labels['kind']}}}" if "kind" in sample.labels
                            else "")): sample.value
            for family in text_string_to_metric_families(answer.content.decode())
            for sample in family.samples}


def test_no_token_configured_means_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


def test_a_wrong_or_missing_token_is_refused(client, settings, signed_in, people):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    # A signed-in person is no scraper either, whatever the role.
    assert signed_in(people["admin"]).get("/metrics").status_code == 401


def test_queue_depths_and_lag_come_from_the_database(client, settings, facility_a):
    settings.METRICS_TOKEN = TOKEN
    before = scrape(client)
    assert before["custodywatch_coverage_work_depth"] == 0
    assert before["custodywatch_coverage_work_lag_seconds"] == 0
    room = facility_a.rooms.first()
    now = timezone.now()
    CoverageWork.objects.create(room=room, starts_at=now - dt.timedelta(hours=1), ends_at=now,
                                queued_at=now - dt.timedelta(minutes=10))
    CoverageWork.objects.create(room=room, starts_at=now - dt.timedelta(hours=1), ends_at=now,
                                queued_at=now)
    after = scrape(client)
    assert after["custodywatch_coverage_work_depth"] == 2
    assert 590 <= after["custodywatch_coverage_work_lag_seconds"] <= 3600
    pending = PendingLeaf.objects.count()
    assert after["custodywatch_ledger_integration_depth"] == pending
    assert "custodywatch_alerts_unmailed{custody}" in after
    assert "custodywatch_custody_records_total" in after


def test_the_task_queue_is_measured(client, settings, task_queue):
    settings.METRICS_TOKEN = TOKEN
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    assert mail_queue(subject="s", body="b", to=["a@example.kz"])
    assert mail_queue(subject="s", body="b", to=["b@example.kz"])
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=10))
    before = scrape(client)
    assert before["custodywatch_tasks_depth"] == 2
    assert 590 <= before["custodywatch_tasks_lag_seconds"] <= 3600
    assert task_queue() == 2  # both refused: each queues its retry for later
    after = scrape(client)
    assert (after["custodywatch_tasks_depth"], after["custodywatch_tasks_deferred"]) == (0, 2)
    assert after["custodywatch_tasks_lag_seconds"] == 0
