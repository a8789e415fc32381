"""Simultaneous filings on PostgreSQL (issue 18, item 1): real threads, real transactions.

"Highest number + 1" gave 8 of 10 simultaneous complaints a 500 and told others "a complaint
with this number already exists"; a counter row taken with a lock gives every one its own.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import Role
from custodywatch.complaints.models import Complaint
from custodywatch.core.counters import next_number
from tests.conftest import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FILERS = 50


def _on_postgresql() -> None:
    # CI runs the whole suite on PostgreSQL too (DATABASE_URL): this test runs there. On
    # SQLite, writers queue behind BEGIN IMMEDIATE and the race cannot happen.
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (DATABASE_URL)")


def _all_at_once(count: int, send) -> list:  # type: ignore[no-untyped-def]
    """Run send(n) in `count` threads released together; answers (or exceptions)."""
    start = threading.Barrier(count)
    answers: list = [None] * count

    def run(n: int) -> None:
        try:
            start.wait()
            answers[n] = send(n)
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            answers[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_fifty_simultaneous_api_filings_all_succeed_with_distinct_numbers(facility_a, bearer,
                                                                         people):
    _on_postgresql()
    people["eappeals"] = make_user("eappeals", Role.STATE_SYSTEM)
    auth = bearer("eappeals")

    def send(n: int):  # type: ignore[no-untyped-def]
        # Half with an Idempotency-Key, half without (both are allowed to e-appeals).
        key = {"HTTP_IDEMPOTENCY_KEY": f"filing-{n}"} if n % 2 else {}
        return Client().post("/api/complaints/intake", {
            "text": f"Complaint {n}: officers beat me with a baton in the cell.",
            "facility": facility_a.code, "still_in_custody": True,
            "external_reference": f"EA-{n}"},
            content_type="application/json", **key, **auth)

    answers = _all_at_once(FILERS, send)
    errors = [a if isinstance(a, Exception) else (a.status_code, a.content[:200])
              for a in answers if isinstance(a, Exception) or a.status_code != 201]
    assert errors == []
    numbers = {a.json()["reference"] for a in answers}
    assert len(numbers) == FILERS
    assert Complaint.objects.count() == FILERS
    assert set(Complaint.objects.values_list("reference", flat=True)) == numbers


def test_simultaneous_users_of_the_public_form_all_get_a_receipt(facility_a):
    _on_postgresql()
    users = 12

    def send(n: int):  # type: ignore[no-untyped-def]
        return Client().post(reverse("complaints:intake"), {
            "text": f"Жалоба {n}: в отделе меня избили дубинкой.", "facility": facility_a.pk,
            "full_name": "Ерлан", "contact": "+7 701 000 0000"})

    answers = _all_at_once(users, send)
    statuses = [a if isinstance(a, Exception) else a.status_code for a in answers]
    assert statuses == [200] * users
    assert Complaint.objects.values("reference").distinct().count() == users


def test_a_counter_continues_numbers_given_before_it_existed(facility_a):
    """The first use of a numbering starts after the highest existing number; a rolled back
    transaction gives its number back."""
    from django.db import transaction

    with transaction.atomic():
        assert next_number("test numbering", last_existing=lambda: 41) == 42
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number("test numbering") == 43
        raise RuntimeError("rolled back")
    with transaction.atomic():
        assert next_number("test numbering", last_existing=lambda: 0) == 43
    with pytest.raises(RuntimeError, match="transaction"):
        next_number("test numbering")


def test_the_same_recordings_batch_from_twenty_threads_is_stored_once(facility_a, bearer,
                                                                      people):
    """A retrying agent sent one batch 20 times at once: the raw COPY's unique-key error
    escaped the idempotent replay as 7 x 500. Every answer is now the first one."""
    _on_postgresql()
    from custodywatch.video.models import RecordingSegment

    auth = bearer("agent_a")
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    items = [{"camera": "CAM1", "start": (start + dt.timedelta(minutes=n)).isoformat(),
              "end": (start + dt.timedelta(minutes=n + 1)).isoformat(),
              "sha256": f"{n:064x}"} for n in range(30)]

    def send(_n: int):  # type: ignore[no-untyped-def]
        return Client().post("/api/video/recordings", {"items": items},
                             content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY="segments-1", **auth)

    answers = _all_at_once(20, send)
    statuses = [a if isinstance(a, Exception) else a.status_code for a in answers]
    assert statuses == [200] * 20, [a.content[:200] for a in answers
                                    if not isinstance(a, Exception) and a.status_code != 200]
    assert len({a.content for a in answers}) == 1  # replays give the first answer
    assert RecordingSegment.objects.count() == 30


def test_a_unique_key_clash_in_the_raw_copy_is_an_integrity_error(facility_a):
    """What the replay above relies on: the COPY's unique-key error is Django's
    IntegrityError (the one `idempotent` catches), not psycopg's own, which gave 500s."""
    _on_postgresql()
    from django.db import IntegrityError, transaction

    from custodywatch.registry.models import Camera
    from custodywatch.video.bulk import insert_rows, time_adapter
    from custodywatch.video.models import RecordingSegment

    camera = Camera.objects.get(facility=facility_a, code="CAM1")
    adapt = time_adapter(connection)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    ms = int(start.timestamp() * 1000)
    row = [camera.pk, adapt(ms), adapt(ms + 60_000), "a" * 64, adapt(ms)]
    fields = ["camera", "started_at", "ended_at", "sha256", "received_at"]
    insert_rows(RecordingSegment, fields, [row])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(RecordingSegment, fields, [row])
