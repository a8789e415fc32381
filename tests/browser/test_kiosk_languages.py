"""Issue 23, item 5 in Chromium: the kiosk in Uyghur (right to left) and in Kyrgyz, chosen on
the terminal's first screen; its form, receipt and rights leaflet are axe-clean, and the
complaint typed in the language is filed and triaged."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from custodywatch.complaints.models import Category, Complaint
from custodywatch.core import sealing
from tests.browser.conftest import enrol_terminal
from tests.conftest import make_facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{violation['id']} ({violation['impact']}): "
            f"{[node['target'] for node in violation['nodes'][:3]]}"
            for violation in results.response["violations"]]


@pytest.mark.parametrize(("language", "button", "heading", "text", "category", "direction"), [
    ("ug", "ئۇيغۇرچە", "شىكايىتىڭىز", "تەكشۈرگۈچى مېنى ئۇردى ۋە توك بىلەن قىينىدى",
     Category.TORTURE, "rtl"),
    ("ky", "Кыргызча", "Сиздин арызыңыз",
     "Алар мени коркутушту, арыз жазсаң үй-бүлөңө жаман болот деп", Category.THREATS, "ltr"),
])
def test_the_kiosk_in_the_language_of_the_person_held(browser, live_server, settings, tmp_path,
                                                      monkeypatch, language, button, heading,
                                                      text, category, direction):
    key = tmp_path / "sealing.key"
    key.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(key))
    settings.MEDIA_ROOT = tmp_path / "media"
    facility = make_facility("FA-1", "KZ-75")
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(15_000)
    enrol_terminal(page, live_server, facility)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"**/complaints/kiosk/{facility.code}/form/")
    expect(page.locator("h1")).to_have_text(heading)
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert _axe_violations(page) == []

    page.locator("textarea[name=text]").fill(text)
    page.locator("input[name=anonymous]").check()
    page.locator("input[name=pin]").fill("4821")
    page.locator("form[data-kiosk-form] button[type=submit]").click()
    expect(page.locator("[data-testid=where-to-read]")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert _axe_violations(page) == []
    complaint = Complaint.objects.get()
    assert (complaint.language, complaint.category) == (language, category)

    page.goto(f"{live_server.url}/complaints/kiosk/{facility.code}/rights/?language={language}")
    expect(page.locator("[data-testid=rights-leaflet]")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert _axe_violations(page) == []
    # Nothing overflows sideways: in right-to-left too the page fits the terminal's screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()


def test_the_public_rights_leaflet_in_uyghur_fits_the_screen(browser, live_server):
    """base.html's skip link was hidden 999 px off to the left: in a right-to-left page that
    is a page's width of sideways scroll, and the leaflet opened on an empty screen."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/complaints/rights/?language=ug")
    expect(page.locator("[data-testid=rights-leaflet]")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # The skip link still shows itself to a keyboard user.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_in_viewport()
    assert _axe_violations(page) == []
    context.close()
