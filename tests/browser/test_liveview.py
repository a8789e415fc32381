"""A relative watches an interrogation on a phone: an ffmpeg live source goes through the
agent's relay to the centre and into headless Chromium, where the picture advances; a
forwarded link is refused on a second device; at the end the page says so."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.accounts.services import token_create
from custodywatch.agent.relay import CameraRelay, RelayClient, RelaySettings
from custodywatch.custody.models import Interrogation
from custodywatch.liveview import services
from tests.agent.test_relay import live_source, relaying
from tests.liveview.conftest import interrogation_in, transparent_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "en-GB",
         "timezone_id": "Asia/Almaty", "is_mobile": True, "has_touch": True}


def picture_advances(page, picture, within_ms: int = 15_000) -> bool:
    """Whether the shown picture changes within the time allowed. The relay may still be
    reconnecting to its source (it retries once a second), so one fixed pause is not enough
    on a loaded machine; the source is a moving test pattern, so a live feed always changes."""
    first = picture.screenshot()
    waited = 0
    while waited < within_ms:
        page.wait_for_timeout(500)
        waited += 500
        if picture.screenshot() != first:
            return True
    return False


def test_relative_watches_live_frames_on_a_phone_until_the_end(browser, live_server, settings,
                                                                people, facility_a, tmp_path):
    settings.LIVEVIEW_FRAMES_DIR = tmp_path / "live"
    room, _camera = transparent_room(facility_a)
    interrogation = interrogation_in(room, people["duty_a"])
    named = services.viewer_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                interrogation=interrogation, full_name="Ержанова Айгуль",
                                relationship="parent")
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    link = f"{live_server.url}/live/v/{named.code}/"
    with live_source() as url:
        relay = CameraRelay("CAMT1", url, RelayClient(live_server.url, raw), threading.Event(),
                            RelaySettings(width=320, probe_seconds=0.5))
        with relaying(relay):
            phone = browser.new_context(**PHONE)
            page = phone.new_page()
            page.set_default_timeout(30_000)
            page.goto(link)
            page.get_by_role("button", name="Start watching").click()
            page.wait_for_url("**/live/watch/*/")
            expect(page.get_by_test_id("live-notice")).to_contain_text("recorded")
            picture = page.get_by_test_id("live-picture")
            expect(picture).to_be_visible()
            expect(page.get_by_test_id("live-frame-time")).not_to_have_text("—")
            assert picture_advances(page, picture), "the picture did not advance"
            box = picture.bounding_box()
            assert box is not None and box["width"] <= 390  # fits the phone's screen
            expect(page.get_by_test_id("live-frame-time")).not_to_have_text("—")
            page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)

            # The link forwarded to another device opens nothing there.
            other = browser.new_context(locale="en-GB")
            forwarded = other.new_page()
            forwarded.goto(link)
            forwarded.get_by_role("button", name="Start watching").click()
            expect(forwarded.get_by_test_id("live-refused")).to_contain_text(
                "already opened on another device")
            other.close()

            Interrogation.objects.filter(pk=interrogation.pk).update(
                ended_at=timezone.now() - dt.timedelta(seconds=1))
            expect(page.get_by_role("heading", name="The interrogation has ended")).to_be_visible()
            phone.close()
    assert AuditEvent.objects.filter(object_type="liveview.watching",
                                     action=AuditEvent.Action.READ).count() >= 1
