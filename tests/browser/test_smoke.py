"""A person signs in, opens the facility list, filters it, and switches the language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from custodywatch.demo import generator
from custodywatch.registry.models import Facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_facility_list_and_language_switch(page, live_server, settings, tmp_path):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    generator.load(scale_name="small", seed=0)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("gpo")
    page.get_by_label("Password").fill(generator.DEMO_PASSWORD)
    page.keyboard.press("Enter")  # the form works from the keyboard alone
    page.wait_for_url(f"{live_server.url}/")
    # The small demo's 60 facilities and the temporary places of its two mass detentions.
    expected = Facility.objects.count()
    assert expected == 60 + Facility.objects.filter(kind=Facility.Kind.TEMPORARY_PLACE).count()
    assert page.get_by_test_id("facility-count").inner_text() == str(expected)

    page.get_by_role("link", name="Registry").click()
    page.wait_for_url("**/registry/facilities/")
    assert page.locator("#facility-results tbody tr").count() == 50
    page.get_by_label("Region").select_option("KZ-75")  # htmx swaps the results in place
    expect(page.locator("#facility-results tbody tr")).to_have_count(
        Facility.objects.filter(region__code="KZ-75").count())
    assert "region=KZ-75" in page.url
    page.screenshot(path=str(tmp_path / "facilities.png"), full_page=True)

    with page.expect_navigation():
        page.locator("#language-select").select_option("kk")  # app.js submits the form
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Мекемелер")
