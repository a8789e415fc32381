"""Agents' frames: only their own facility's cameras, only JPEG, kept only while wanted.
Feed gaps: no frame during an interrogation opens a gap once, e-mails the facility head and
the region's prosecutor, shows on the record, and closes when the picture comes back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from custodywatch.accounts.models import AuditEvent
from custodywatch.liveview import frames, services
from custodywatch.liveview.models import FeedGap
from tests.conftest import sign_in
from tests.liveview.conftest import jpeg

pytestmark = pytest.mark.django_db


def _post(token: str, camera: str, data: bytes, facility: str = ""):
    url = reverse("api:live_frame_post", kwargs={"camera": camera})
    if facility:
        url += f"?facility={facility}"
    return Client().post(url, data=data, content_type="image/jpeg",
                         HTTP_AUTHORIZATION=f"Bearer {token}")


def test_agents_send_only_their_own_cameras_and_only_jpeg(client, people, live):
    # Facility B's agent names facility A: refused and audited; nothing kept.
    assert _post(live.token_b, "CAMT1", jpeg(1), facility="FA-1").status_code == 403
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     detail__live_camera="CAMT1").exists()
    # Its own CAMT1 (facility B's room, no interrogation): accepted but not kept.
    assert _post(live.token_b, "CAMT1", jpeg(1)).json()["stored"] is False
    assert frames.frame_received_at(live.camera_b.pk) is None
    assert frames.frame_received_at(live.camera.pk) is None
    assert _post(live.token_a, "NOPE", jpeg(1)).status_code == 422
    assert _post(live.token_a, "CAMT1", b"GIF89a not a jpeg").status_code == 422
    assert _post("cw_guess", "CAMT1", jpeg(1)).status_code == 401
    # A person signed in (even an administrator) does not send frames: agents do.
    sign_in(client, people["admin"])
    response = client.post(reverse("api:live_frame_post", kwargs={"camera": "CAMT1"}),
                           data=jpeg(1), content_type="image/jpeg")
    assert response.status_code == 403
    # Facility A's agent, its room in an interrogation: kept; the agent is asked often.
    wanted = Client().get(reverse("api:live_camera_wanted", kwargs={"camera": "CAMT1"}),
                          HTTP_AUTHORIZATION=f"Bearer {live.token_a}").json()
    assert wanted == {"wanted": True, "stored": False, "next_seconds": services.FRAME_SECONDS}
    assert _post(live.token_a, "CAMT1", jpeg(3)).json()["stored"] is True
    assert frames.frame_latest([live.camera.pk]).data == jpeg(3)


def test_feed_gap_opens_once_alerts_and_closes_when_the_picture_returns(
        client, people, live, monkeypatch):
    for username in ("prosecutor_a", "head_a", "head_b"):
        people[username].email = f"{username}@example.kz"
        people[username].save()
    started = live.interrogation.started_at
    # Frames flowing: no gap.
    _post(live.token_a, "CAMT1", jpeg(8))
    assert services.liveview_sweep().gaps_opened == 0
    # The picture stops: after the allowed gap, one gap from the last frame, e-mailed once.
    last = frames.frame_received_at(live.camera.pk)
    later = last + dt.timedelta(seconds=services.gap_seconds() + 1)
    result = services.liveview_sweep(now=later)
    assert (result.gaps_opened, result.mailed) == (1, 1)
    assert services.liveview_sweep(now=later + dt.timedelta(seconds=30)).gaps_opened == 0
    gap = FeedGap.objects.get()
    assert gap.started_at == last and gap.ended_at is None and gap.started_at >= started
    assert sorted(mail.outbox[0].to) == ["head_a@example.kz", "prosecutor_a@example.kz"]
    assert "T1" in mail.outbox[0].subject and "Ержанов" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(object_type="liveview.feedgap",
                                     action=AuditEvent.Action.CREATE).count() == 1

    # The record's pages show the gap: the live panel and the custody timeline.
    sign_in(client, people["prosecutor_a"])
    panel = client.get(reverse("liveview:record", args=[live.interrogation.custody_record_id]))
    assert b'data-testid="feed-gaps"' in panel.content
    record = client.get(reverse("custody:record", args=[live.interrogation.custody_record_id]))
    assert b"tl-feed-gap" in record.content

    # The picture comes back: the gap closes at that moment.
    _post(live.token_a, "CAMT1", jpeg(9))
    gap.refresh_from_db()
    assert gap.ended_at is not None and gap.ended_at >= gap.started_at


def test_a_room_that_never_sent_a_picture_has_a_gap_from_the_start(people, live):
    start = live.interrogation.started_at
    services.liveview_sweep(now=start + dt.timedelta(seconds=services.gap_seconds() - 1))
    assert not FeedGap.objects.exists()
    services.liveview_sweep(now=start + dt.timedelta(seconds=services.gap_seconds() + 1))
    assert FeedGap.objects.get().started_at == start
    # The interrogation ends without the picture: the gap ends with it.
    end = start + dt.timedelta(minutes=5)
    live.interrogation.ended_at = end
    live.interrogation.save()
    assert services.liveview_sweep(now=end + dt.timedelta(seconds=1)).gaps_closed == 1
    assert FeedGap.objects.get().ended_at == end


def test_a_changed_gap_setting_applies_without_a_restart(people, live, settings):
    start = live.interrogation.started_at
    settings.LIVEVIEW_GAP_SECONDS = 60
    services.liveview_sweep(now=start + dt.timedelta(seconds=30))
    assert not FeedGap.objects.exists()
    settings.LIVEVIEW_GAP_SECONDS = 20
    services.liveview_sweep(now=start + dt.timedelta(seconds=30))
    assert FeedGap.objects.get().started_at == start


def test_the_duty_page_shows_a_gap_when_no_picture_ever_arrived(people, live, settings):
    """Before the sweep stores it, a live interrogation with no frame is a gap, not "no gap"."""
    settings.LIVEVIEW_GAP_SECONDS = 15
    client = sign_in(Client(), people["duty_a"])
    page = client.get(reverse("liveview:record",
                              args=[live.interrogation.custody_record_id])).content.decode()
    assert 'data-testid="picture-lost-now"' in page
    assert "No gap longer than" not in page
    assert FeedGap.objects.count() == 0  # reading the page stores nothing

    frames.frame_put(live.camera.pk, jpeg(120))  # the picture arrives
    page = client.get(reverse("liveview:record",
                              args=[live.interrogation.custody_record_id])).content.decode()
    assert 'data-testid="picture-lost-now"' not in page
