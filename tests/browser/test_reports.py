"""A prosecutor opens the national dashboard, clicks a region on the map and lands on that
region's video list (blind zones); with the map shaded by detentions, on that region's
custody overruns."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from custodywatch.demo import generator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_map_click_opens_the_region_list(page, live_server, settings):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    generator.load(scale_name="small", seed=0)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("gpo")
    page.get_by_label("Password").fill(generator.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("National dashboard")
    expect(page.get_by_test_id("tile-in_custody")).to_be_visible()

    page.locator('.regionmap a[href$="region=KZ-75"]').click()
    page.wait_for_url("**/video/?region=KZ-75")
    expect(page.get_by_label("Region")).to_have_value("KZ-75")
    expect(page.get_by_test_id("blind-rooms")).to_be_visible()

    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.get_by_label("Shade the map by").select_option("detentions")  # reports.js
    assert "indicator=detentions" in page.url
    page.locator('.regionmap a[href*="region=KZ-35"]').click()
    page.wait_for_url("**/custody/overruns/?region=KZ-35*")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
