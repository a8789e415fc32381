"""Choosing among thousands of facilities: typing part of a name, region or code narrows the
list and picks the first match; without JavaScript the list is still there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import make_facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_narrows_the_facility_list(page, live_server):
    first = make_facility("FA-1", "KZ-75")
    second = make_facility("FB-1", "KZ-35")
    page.goto(f"{live_server.url}/complaints/file/")
    select = page.locator("select[name=facility]")
    search = page.get_by_role("searchbox", name="Search: Where did it happen?")
    search.fill(second.code.lower())
    expect(select).to_have_value(str(second.pk))
    assert page.locator(f"select[name=facility] option[value='{first.pk}']").evaluate(
        "option => option.hidden")
    search.fill("")
    assert not page.locator(f"select[name=facility] option[value='{first.pk}']").evaluate(
        "option => option.hidden")


def test_without_javascript_the_list_is_a_plain_select(browser, live_server):
    facility = make_facility("FA-1", "KZ-75")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/complaints/file/")
    expect(page.get_by_role("searchbox")).to_have_count(0)
    page.locator("select[name=facility]").select_option(str(facility.pk))
    context.close()
