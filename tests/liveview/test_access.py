"""Who may watch: a named viewer's link, bound to the first browser, only while the
interrogation lasts, only the room's camera, revocable; guessing throttled; every viewing
in the audit trail; staff outside the facility can neither see nor name viewers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.custody.models import Interrogation
from custodywatch.liveview import services
from custodywatch.liveview.models import LinkAttempt, Viewer, Watching
from tests.conftest import sign_in
from tests.liveview.conftest import interrogation_in, jpeg

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Chrome/126"


def _name_viewer(client: Client, interrogation: Interrogation, name: str = "Ержанова Айгуль",
                 relationship: str = "spouse") -> str:
    response = client.post(reverse("liveview:viewer_add", args=[interrogation.custody_record_id]),
                           {"interrogation": interrogation.pk, "full_name": name,
                            "relationship": relationship})
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    code = re.search(r'data-testid="slip-code">([0-9A-Z-]+)<', html).group(1)
    link = re.search(r'data-testid="slip-link">([^<]+)<', html).group(1)
    assert link.endswith(reverse("liveview:open", args=[code.replace("-", "")]))
    assert 'src="data:image/svg+xml' in html  # the QR code
    return code.replace("-", "")


def _post_frame(client: Client, token: str, camera: str, data: bytes, **query: str):
    url = reverse("api:live_frame_post", kwargs={"camera": camera})
    return client.post(url, data=data, content_type="image/jpeg", QUERY_STRING="&".join(
        f"{k}={v}" for k, v in query.items()), HTTP_AUTHORIZATION=f"Bearer {token}")


def _open(code: str, client: Client | None = None) -> tuple[Client, int]:
    client = client or Client(HTTP_USER_AGENT=BROWSER)
    response = client.post(reverse("liveview:open", args=[code]))
    viewer_id = int(response["Location"].rstrip("/").split("/")[-1]) if (
        response.status_code == 302) else 0
    return client, viewer_id if viewer_id else response.status_code


def _frame(client: Client, viewer_id: int, watching: int | None = None):
    if watching is None:
        watching = Watching.objects.filter(viewer_id=viewer_id).order_by("-pk").values_list(
            "pk", flat=True).first() or 0
    return client.get(reverse("api:live_viewer_frame", kwargs={"viewer_id": viewer_id}),
                      {"watching": watching})


def test_named_viewer_watches_the_room_and_every_viewing_is_audited(client, people, live):
    sign_in(client, people["duty_a"])
    code = _name_viewer(client, live.interrogation)
    viewer = Viewer.objects.get()
    assert viewer.code_hash != code and code not in viewer.code_hash  # only a hash is kept

    # A link preview (GET) only shows a button: it does not use the link up.
    anonymous = Client(HTTP_USER_AGENT=BROWSER)
    landing = anonymous.get(reverse("liveview:open", args=[code]))
    assert landing.status_code == 200 and b"Start watching" in landing.content
    assert Viewer.objects.get().bound_at is None

    browser, viewer_id = _open(code, anonymous)
    assert viewer_id == viewer.pk
    page = browser.get(reverse("liveview:watch", args=[viewer_id]))
    assert page.status_code == 200
    assert "Your viewing is recorded" in page.content.decode()
    assert "T1" in page.content.decode()
    assert _frame(browser, viewer_id).status_code == 204  # no picture yet

    assert _post_frame(Client(), live.token_a, "CAMT1", jpeg(40)).json() == {
        "wanted": True, "stored": True, "next_seconds": services.FRAME_SECONDS}
    served = _frame(browser, viewer_id)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served.content == jpeg(40) and served["Cache-Control"] == "no-store"
    _post_frame(Client(), live.token_a, "CAMT1", jpeg(200))
    assert _frame(browser, viewer_id).content == jpeg(200)  # the picture advances

    # Reopening the link in the same browser works; the watching is in the audit trail.
    assert _open(code, browser)[1] == viewer_id
    assert browser.get(reverse("liveview:watch", args=[viewer_id])).status_code == 200
    watching = Watching.objects.filter(viewer=viewer).first()
    event = AuditEvent.objects.get(object_type="liveview.watching", object_id=str(watching.pk),
                                   action=AuditEvent.Action.READ)
    assert event.ip_address == "127.0.0.1" and event.user_agent == BROWSER
    assert event.detail["viewer_name"] == "Ержанова Айгуль"
    assert event.detail["room"] == "T1" and event.detail["interrogation"] == (
        live.interrogation.pk)

    # Left the page: the sweep ends the watching with its duration, audited.
    later = timezone.now() + services.WATCHING_STALE + dt.timedelta(seconds=5)
    services.liveview_sweep(now=later)
    ended = AuditEvent.objects.filter(object_type="liveview.watching",
                                      action=AuditEvent.Action.UPDATE)
    assert {e.detail["ended"] for e in ended} >= {"reopened", "left"}
    assert all("duration_seconds" in e.detail for e in ended)
    assert not Watching.objects.filter(ended_at__isnull=True).exists()


def test_second_device_revoked_link_and_another_room_are_refused(client, people, live):
    sign_in(client, people["duty_a"])
    code = _name_viewer(client, live.interrogation)
    other = interrogation_in(live.other_room, people["duty_a"], name="Другой Человек")
    other_code = _name_viewer(client, other, name="Другая Родственница")
    browser, viewer_id = _open(code)
    other_browser, other_id = _open(other_code)

    # A forwarded link: the second device is refused, and so are its frame requests.
    second = Client(HTTP_USER_AGENT="Other phone")
    refused = second.post(reverse("liveview:open", args=[code]))
    assert refused.status_code == 403 and refused.context["reason"] == "other_device"
    assert _frame(second, viewer_id).status_code == 403
    # A viewer's cookie opens only its own viewer, not another viewer's page or frames.
    assert _frame(other_browser, viewer_id, watching=0).status_code == 403
    assert browser.get(reverse("liveview:watch", args=[other_id])).status_code == 302

    # Each viewer sees only the camera of its own room.
    browser.get(reverse("liveview:watch", args=[viewer_id]))
    other_browser.get(reverse("liveview:watch", args=[other_id]))
    _post_frame(Client(), live.token_a, "CAMT2", jpeg(99))
    assert _frame(browser, viewer_id).status_code == 204
    assert _frame(other_browser, other_id).content == jpeg(99)
    _post_frame(Client(), live.token_a, "CAMT1", jpeg(11))
    assert _frame(browser, viewer_id).content == jpeg(11)

    # Revoked: the watching page and the frames are refused at once.
    viewer = Viewer.objects.get(pk=viewer_id)
    response = client.post(reverse("liveview:viewer_revoke", args=[
        live.interrogation.custody_record_id, viewer.pk]))
    assert response.status_code == 302
    assert _frame(browser, viewer_id).status_code == 403
    page = browser.get(reverse("liveview:watch", args=[viewer_id]))
    assert page.status_code == 403 and page.context["reason"] == "revoked"
    assert browser.post(reverse("liveview:open", args=[code])).status_code == 403
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     detail__reason="other_device").exists()


def test_link_refused_before_the_start_and_after_the_end(client, people, live):
    sign_in(client, people["duty_a"])
    soon = interrogation_in(live.other_room, people["duty_a"],
                            started=-dt.timedelta(minutes=3), name="Позже Начнётся")
    code = _name_viewer(client, soon)
    response = Client().post(reverse("liveview:open", args=[code]))
    assert response.status_code == 403 and response.context["reason"] == "not_started"
    assert Viewer.objects.get().bound_at is None
    # The agent is not asked for this room's picture before the start either.
    assert _post_frame(Client(), live.token_a, "CAMT2", jpeg(5)).json()["stored"] is False

    code = _name_viewer(client, live.interrogation)
    browser, viewer_id = _open(code)
    _post_frame(Client(), live.token_a, "CAMT1", jpeg(70))
    browser.get(reverse("liveview:watch", args=[viewer_id]))
    assert _frame(browser, viewer_id).status_code == 200
    Interrogation.objects.filter(pk=live.interrogation.pk).update(
        ended_at=timezone.now() - dt.timedelta(seconds=1))
    assert _frame(browser, viewer_id).status_code == 410
    ended = browser.get(reverse("liveview:watch", args=[viewer_id]))
    assert ended.status_code == 410
    assert "The interrogation has ended" in ended.content.decode()
    assert Client().post(reverse("liveview:open", args=[code])).status_code == 410
    # After the end the agent is told to stop, and frames are not kept.
    assert _post_frame(Client(), live.token_a, "CAMT1", jpeg(71)).json()["wanted"] is False
    assert services.liveview_sweep().frames_discarded == 1
    assert _frame(browser, viewer_id).status_code == 410


def test_guessed_codes_are_refused_then_throttled(client, people, live):
    sign_in(client, people["duty_a"])
    code = _name_viewer(client, live.interrogation)
    guesser = Client()
    for n in range(services.ATTEMPT_LIMIT):
        guess = f"{n:025d}"
        response = guesser.post(reverse("liveview:code"), {"code": guess})
        assert response.status_code == 403 and response.context["reason"] == "unknown"
    # Throttled now: even the right code waits, and nothing is bound.
    response = guesser.post(reverse("liveview:code"), {"code": code})
    assert response.status_code == 429
    assert Viewer.objects.get().bound_at is None
    assert LinkAttempt.objects.filter(succeeded=False).count() == services.ATTEMPT_LIMIT
    # Typed with dashes and in lower case from another address, the code works.
    typed = "-".join(code[i:i + 5] for i in range(0, 25, 5)).lower()
    response = Client(REMOTE_ADDR="10.0.0.9").post(reverse("liveview:code"), {"code": typed})
    assert response.status_code == 302


def test_staff_outside_the_facility_neither_see_nor_name_viewers(client, people, live):
    record_pk = live.interrogation.custody_record_id
    add = reverse("liveview:viewer_add", args=[record_pk])
    payload = {"interrogation": live.interrogation.pk, "full_name": "X", "relationship": "parent"}
    sign_in(client, people["head_b"])
    assert client.get(reverse("liveview:record", args=[record_pk])).status_code == 404
    assert client.post(add, payload).status_code == 404
    client.logout()
    # The prosecutor of the region sees the panel but may not name viewers.
    sign_in(client, people["prosecutor_a"])
    page = client.get(reverse("liveview:record", args=[record_pk]))
    assert page.status_code == 200 and b"Create a one-time link" not in page.content
    assert client.post(add, payload).status_code == 403
    assert not Viewer.objects.exists()
    client.logout()
    sign_in(client, people["duty_a"])
    # Bad input: a clear error naming the field, nothing written.
    response = client.post(add, {**payload, "full_name": "  "})
    assert response.status_code == 422 and not Viewer.objects.exists()
    # A room that is not transparent has no live view.
    cell = Interrogation.objects.create(
        custody_record_id=record_pk, room=live.room.facility.rooms.get(code="R1"),
        started_at=timezone.now(), investigator="Cpt.", lawyer_present=False)
    response = client.post(add, {**payload, "interrogation": cell.pk})
    assert response.status_code == 404 and not Viewer.objects.exists()
    index = client.get(reverse("liveview:index"))
    assert index.status_code == 200
    assert [p.interrogation for p in index.context["panels"]] == [live.interrogation]


def test_the_slip_prints_the_public_address_and_where_to_type_the_code(people, live, settings):
    settings.PUBLIC_BASE_URL = "https://watch.example.kz"
    client = sign_in(Client(), people["duty_a"])
    response = client.post(reverse("liveview:viewer_add",
                                   args=[live.interrogation.custody_record_id]),
                           {"interrogation": live.interrogation.pk, "full_name": "Ержанова А.",
                            "relationship": "spouse"})
    html = response.content.decode()
    link = re.search(r'data-testid="slip-link">([^<]+)<', html).group(1)
    assert link.startswith("https://watch.example.kz/") and "testserver" not in html
    assert f"https://watch.example.kz{reverse('liveview:code')}" in html
