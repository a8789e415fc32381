"""Issue 22 in a real browser: a remand record's clock is its court term, its late safeguards
show as flags and chips, and the person's timeline across facilities is drawn, in Kazakh."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.custody import services
from custodywatch.registry.models import Facility, Room
from tests.custody.conftest import make_record
from tests.custody.test_person_timeline import valid_iin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def test_remand_clock_flags_and_person_timeline(page, live_server, settings, people,
                                                facility_a, facility_b, tmp_path):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    now = timezone.now()
    iin = valid_iin()
    van = facility_a.rooms.create(code="V1", name="Van", kind=Room.Kind.VEHICLE,
                                  custody_use=True)
    sent = make_record(facility_a, people["duty_a"], iin=iin, detained_at=now - 30 * H,
                       arrived_at=now - 29 * H, language="kk", rights_language="ru",
                       rights_explained_at=now - 29 * H)
    services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=sent,
                            room=van, at=now - 6 * H)
    services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=sent, ended_at=now - 5 * H, end_reason="transferred")
    Facility.objects.filter(pk=facility_b.pk).update(kind=Facility.Kind.PRETRIAL_DETENTION,
                                                     region=facility_a.region)
    facility_b.refresh_from_db()
    make_record(facility_b, people["head_b"], iin=iin, detained_at=now - 30 * H,
                arrived_at=now - 4 * H, court_order_at=now - 3 * H,
                court_order_ref="2-11/2026", term_ends_at=now + 60 * D)

    page.goto(f"{live_server.url}/custody/")
    page.get_by_label("Username").fill("prosecutor_a")
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/custody/overruns/")
    with page.expect_navigation():
        page.locator("#language-select").select_option("kk")
    page.goto(f"{live_server.url}/custody/records/{sent.pk}/")
    expect(page.get_by_test_id("flag-rights_language")).to_contain_text("аудармашысыз")
    page.get_by_test_id("person-link").click()
    timeline = page.get_by_test_id("person-timeline")
    expect(timeline).to_be_visible()
    expect(timeline.locator("g.tl-vehicle")).to_have_count(1)
    expect(timeline.locator("g.tl-transit")).to_have_count(1)
    expect(page.get_by_test_id("person-record")).to_have_count(2)
    expect(page.get_by_test_id("handover-received")).to_be_visible()
    page.screenshot(path=str(tmp_path / "person.png"), full_page=True)
    page.get_by_test_id("person-record").nth(1).get_by_role("link").click()
    clock = page.get_by_test_id("clock-detention")
    expect(clock).to_contain_text("Күзетпен ұстау мерзімі")  # the remand term, not 48 h
    expect(page.get_by_test_id("clock-extension")).to_be_visible()
    page.screenshot(path=str(tmp_path / "remand.png"), full_page=True)
