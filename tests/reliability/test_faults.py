"""Faults that are cheap to cause in a test (the others: bench/faults.py, with verdicts).

- the agent's queue runs out of disk: the error says so, and nothing acknowledged is lost;
- a stored complaint attachment is damaged: the download refuses clearly, sends nothing;
- a batch is cut off after the centre wrote it but before the agent heard: the retry with
  the same Idempotency-Key writes nothing new and gives the first answer.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.agent import protocol
from custodywatch.agent.outbox import Outbox
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel
from custodywatch.custody.models import CustodyRecord
from tests.conftest import sign_in


def _span(n: int) -> dict:
    return {"camera": "CAM1", "start": f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z",
            "end": "2026-01-01T01:00:00Z", "state": "ok", "note": "x" * 200}


def test_a_full_disk_under_the_agent_queue_is_named_and_loses_nothing(tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite3", facility="FA-1")
    # SQLite's page limit gives the same error as a full disk (SQLITE_FULL), without root.
    outbox._db.execute("PRAGMA max_page_count = 24")
    acknowledged = 0
    with pytest.raises(sqlite3.OperationalError) as error:
        for n in range(100_000):
            outbox.put(protocol.STATE_SPANS, [_span(n)])
            acknowledged += 1
    assert "full" in str(error.value)  # "database or disk is full", not a side error
    assert acknowledged > 10
    assert outbox.counts()[protocol.STATE_SPANS] == acknowledged
    # Space again: the queue goes on, and every acknowledged span is in the next batch.
    outbox._db.execute("PRAGMA max_page_count = 1000000")
    outbox.put(protocol.STATE_SPANS, [_span(99_999)])
    batch = outbox.next_batch(limit=100_000)
    items = json.loads(batch.body)["items"]
    assert len(items) == acknowledged + 1
    assert len({item["start"] for item in items}) == len(items)  # nothing doubled
    outbox.close()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


@pytest.mark.django_db
def test_a_damaged_attachment_is_refused_clearly(client, people, facility_a, media_root):
    filed = complaints.complaint_file(
        acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB, facility=facility_a,
        text="В отделе меня избили дубинкой.",
        attachments=[SimpleUploadedFile("photo.png", PNG, content_type="image/png")])
    attachment = filed.complaint.attachments.get()
    url = reverse("complaints:attachment", args=[attachment.complaint_id, attachment.pk])
    sign_in(client, people["prosecutor_a"])
    intact = client.get(url)
    assert intact.status_code == 200 and b"".join(intact.streaming_content) == PNG
    stored = media_root / attachment.file.name
    stored.write_bytes(PNG[:-1] + b"\x02")  # one flipped byte on the disk
    damaged = client.get(url)
    assert damaged.status_code == 409
    assert "damaged" in damaged.content.decode() and "SHA-256" in damaged.content.decode()
    stored.unlink()  # and a file gone from the disk
    missing = client.get(url)
    assert missing.status_code == 410


@pytest.mark.django_db
def test_a_batch_retried_after_a_lost_answer_is_not_duplicated(client, people, bearer):
    body = {"items": [{"facility": "FA-1", "external_ref": f"EXT-{n}",
                       "full_name": f"Person {n}",
                       "detained_at": timezone.now().isoformat(timespec="seconds"),
                       "detained_place": "street",
                       "detaining_officer": "officer", "grounds": "art. 188"}
                      for n in range(5)]}
    auth = bearer("duty_a")  # the facility's custody system, with the duty officer's token
    first = client.post("/api/custody/records/batch", body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="batch-1", **auth)
    assert first.status_code == 200, first.content
    written = CustodyRecord.objects.count()
    # The answer was lost (the web process killed): the agent sends the same batch again.
    again = client.post("/api/custody/records/batch", body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="batch-1", **auth)
    assert again.status_code == first.status_code and again.json() == first.json()
    assert CustodyRecord.objects.count() == written == 5
