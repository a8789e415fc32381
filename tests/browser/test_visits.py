"""A monitor records a finding with the network cut, syncs, and issues a recommendation
that shows on the tracker."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.visits import services
from custodywatch.visits.models import Finding, Recommendation, TeamMember, Visit
from tests.conftest import make_facility, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_offline_finding_sync_and_recommendation_on_the_tracker(page, live_server, settings):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    facility = make_facility("FV-1", "KZ-75")
    monitor = make_user("monitor", Role.NPM_MONITOR)
    today = dt.date.today()
    visit = services.visit_plan(
        acting_user=monitor, origin=SYSTEM_ORIGIN, facility=facility,
        kind=Visit.Kind.UNANNOUNCED, starts_on=today, ends_on=today,
        team=[services.TeamMemberInput(full_name="Monitor", user=monitor,
                                       affiliation=TeamMember.Affiliation.NPM)])
    services.visit_status_set(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                              status=Visit.Status.IN_PROGRESS)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("monitor")
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/visits/{visit.pk}/offline/")
    expect(page.locator("#network-state")).to_have_text("Online")
    page.context.set_offline(True)
    expect(page.locator("#network-state")).to_have_text("Offline")
    page.get_by_label("Category").select_option("treatment")
    page.get_by_label("Severity").select_option("high")
    page.get_by_label("Room").select_option("R2")
    page.get_by_label("Finding", exact=True).fill("Detainee in R2 reports beatings at arrest.")
    page.get_by_role("button", name="Save the finding on this device").click()
    expect(page.get_by_test_id("sync-status")).to_contain_text("kept on this device")
    expect(page.get_by_test_id("device-finding")).to_contain_text("waiting to sync")
    assert not Finding.objects.exists()

    page.context.set_offline(False)  # the `online` event syncs by itself
    expect(page.get_by_test_id("sync-status")).to_have_text("All findings are on the server.")
    expect(page.get_by_test_id("device-finding")).to_contain_text("on the server")
    finding = Finding.objects.get()
    assert (finding.category, finding.severity, finding.room.code) == ("treatment", "high", "R2")

    page.goto(f"{live_server.url}/visits/{visit.pk}/")
    expect(page.get_by_test_id("finding")).to_contain_text("beatings at arrest")
    page.get_by_role("link", name="Recommend on this finding").click()
    page.get_by_label("Recommendation", exact=True).fill(
        "Record every arrest on a body-worn camera and examine every detainee at admission.")
    page.get_by_label("Responsible official").fill("Head of the police department")
    page.get_by_role("button", name="Issue the recommendation").click()
    expect(page.get_by_test_id("recommendation-status")).to_have_text("Not started")
    recommendation = Recommendation.objects.get()
    assert recommendation.finding == finding and recommendation.visit == visit

    page.get_by_role("link", name="Recommendation tracker").first.click()
    expect(page.get_by_test_id("recommendation-row")).to_contain_text("body-worn camera")
