"""In a real browser: a facility head proposes to point a working camera at a blind room; the
blind count does not move until an NPM monitor approves the proposal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from custodywatch.accounts.models import Role
from custodywatch.registry.models import Camera
from custodywatch.video.models import CameraHealth, CameraState
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"  # tests/conftest.py make_user


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def test_a_proposal_changes_nothing_until_a_monitor_approves(browser, live_server, settings,
                                                             people, facility_a):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    make_user("monitor", Role.NPM_MONITOR)
    now = timezone.now() + dt.timedelta(hours=1)  # the heartbeats stay fresh for the test
    for camera in Camera.objects.filter(facility=facility_a):
        CameraHealth.objects.create(camera=camera, last_heartbeat_at=now,
                                    reported_state=CameraState.OK, state_since=now,
                                    silent_after=now + dt.timedelta(minutes=2))
    url = f"{live_server.url}/registry/facilities/FA-1/cameras/"

    head = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty").new_page()
    sign_in(head, live_server, "head_a")
    head.goto(url)
    expect(head.get_by_test_id("blind-now")).to_contain_text("1 custody room blind now")
    head.get_by_label("Camera code").fill("CAM1")
    head.get_by_label("R1 Cell 1").check()
    head.get_by_label("R3 Cell 3").check()
    head.get_by_role("button", name="Propose").click()
    expect(head.get_by_test_id("pending")).to_contain_text("R1, R3")
    expect(head.get_by_test_id("blind-now")).to_contain_text("1 custody room blind now")
    expect(head.get_by_role("button", name="Decide")).to_have_count(0)

    monitor = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty").new_page()
    sign_in(monitor, live_server, "monitor")
    monitor.goto(url)
    monitor.get_by_role("radio", name="Approve").check()
    monitor.get_by_label("Reason").fill("Checked on the visit")
    monitor.get_by_role("button", name="Decide").click()
    expect(monitor.get_by_test_id("blind-now")).to_contain_text("0 custody rooms blind now")
    expect(monitor.get_by_text("No change awaits approval.")).to_be_visible()
