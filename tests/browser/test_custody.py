"""A duty officer registers a detention, moves the person to an interrogation room, and
sees the clock and the timeline: with the keyboard where a form allows it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from custodywatch.registry.models import Room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_move_and_see_clock_and_timeline(page, live_server, settings, people,
                                                  facility_a, tmp_path):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    Room.objects.create(facility=facility_a, code="I1", name="Interrogation 1",
                        kind=Room.Kind.INTERROGATION, custody_use=True)
    page.goto(f"{live_server.url}/custody/")
    page.get_by_label("Username").fill("duty_a")
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/custody/desk/FA-1/")
    expect(page.get_by_test_id("desk-count")).to_have_text("0 people in custody now")

    page.get_by_role("link", name="Register a detention").first.click()
    almaty_now = dt.datetime.now(ZoneInfo("Asia/Almaty"))
    page.get_by_label("Full name").fill("Сейтказиев Асхат")
    page.get_by_label("Date of birth").fill("1991-07-14")
    page.get_by_label("Actual moment of detention").fill(
        (almaty_now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place of detention").fill("Almaty, Abai avenue 52")
    page.get_by_label("Detaining officer").fill("Lt. Omarov")
    page.get_by_label("Grounds").fill("Art. 128 CPC: caught in the act")
    page.get_by_label("Arrival at the facility").fill(
        (almaty_now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("First room").select_option(label="R1 · Cell 1")
    page.get_by_label("Full name").focus()
    page.keyboard.press("Enter")  # submits from the keyboard
    page.wait_for_url("**/custody/records/*/")

    clock = page.get_by_test_id("clock-detention")
    expect(clock).to_contain_text("Running")
    expect(clock).to_contain_text("44 h")  # 48 h from the actual detention, 3 h ago
    expect(page.get_by_test_id("timeline")).to_be_visible()

    page.get_by_label("Move to room").select_option(label="I1 · Interrogation 1")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    timeline = page.get_by_test_id("timeline")
    # The stay just began, so its bar is a sliver: its title names the room.
    moved = timeline.locator("g.tl-interrogation-room")
    expect(moved).to_have_count(1)
    expect(moved.locator("title")).to_contain_text("I1: ")
    expect(moved.locator("title")).to_contain_text("now")
    page.screenshot(path=str(tmp_path / "record.png"), full_page=True)

    page.get_by_role("link", name="Duty desk FA-1").click()
    row = page.locator("#desk-results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("I1")
    expect(row.get_by_test_id("clock-detention")).to_contain_text("left")
    page.screenshot(path=str(tmp_path / "desk.png"), full_page=True)
