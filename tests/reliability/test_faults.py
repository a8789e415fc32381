"""Faults that are cheap to cause in a test (the others: bench/faults.py, with verdicts).

- the agent's queue runs out of disk: it drops its oldest spans, never a segment hash, and
  goes on by itself when there is room;
- a stored complaint attachment is damaged: the download refuses clearly, sends nothing;
- a batch is cut off after the centre wrote it but before the agent heard: the retry with
  the same Idempotency-Key writes nothing new and gives the first answer.
"""

from __future__ import annotations

import json

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


def test_a_full_disk_under_the_agent_queue_drops_old_spans_never_a_segment(tmp_path):
    """Issue 18: a full disk is a condition the agent lives through (tests/agent/
    test_disk_full.py has it on a real tmpfs): the oldest routine spans go, segment hashes
    stay, nothing is doubled, and the queue leaves the condition by itself."""
    outbox = Outbox(tmp_path / "outbox.sqlite3", facility="FA-1", reserve_bytes=0)
    # SQLite's page limit gives the same error as a full disk (SQLITE_FULL), without root.
    outbox._db.execute("PRAGMA max_page_count = 40")
    segments = []
    for n in range(3000):
        # Before, the first write past the limit raised "database or disk is full" into the
        # camera thread, which died.
        outbox.put(protocol.STATE_SPANS, [_span(n)])
        if n % 100 == 0:
            segments.append(protocol.recording("CAM1", 1.7e9 + n, 1.7e9 + n + 10, f"{n:064x}"))
            outbox.put_segment(segments[-1], f"/nvr/{n}.mp4", 1, 1.0)
    assert outbox.disk_full and outbox.dropped > 0
    # Space again: the queue goes on by itself.
    outbox._db.execute("PRAGMA max_page_count = 1000000")
    assert outbox.check_space() is False
    outbox.put(protocol.STATE_SPANS, [_span(3000)])
    sent: dict[str, list[dict]] = {}
    while (batch := outbox.next_batch(limit=100_000)) is not None:
        sent.setdefault(batch.kind, []).extend(json.loads(batch.body)["items"])
        outbox.delivered(batch)
    assert sent[protocol.RECORDINGS] == segments  # every segment hash, in order
    spans = sent[protocol.STATE_SPANS]
    assert len({item["start"] for item in spans}) == len(spans)  # nothing doubled
    assert spans[-2]["start"] == _span(2999)["start"]  # the newest kept, the oldest dropped
    assert len(spans) + outbox.dropped == 3001  # every span sent or counted as dropped
    assert spans[0]["start"] != _span(0)["start"]
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
    assert missing.status_code == 409


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
