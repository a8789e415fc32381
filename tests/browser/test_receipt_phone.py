"""A receipt is kept on a phone: it fits a 390 px screen in ru and kk, has a print button, and
prints without the site's menus."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from custodywatch.core import sealing
from tests.browser.conftest import enrol_terminal
from tests.conftest import make_facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(("language", "send"), [("ru", "Отправить жалобу"),
                                                 ("kk", "Шағымды жіберу")])
def test_web_receipt_fits_a_phone_and_prints(browser, live_server, settings, tmp_path,
                                             monkeypatch, language, send):
    key = tmp_path / "sealing.key"
    key.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(key))
    settings.MEDIA_ROOT = tmp_path / "media"
    make_facility("FA-1", "KZ-75")
    context = browser.new_context(viewport=PHONE, locale=language, timezone_id="Asia/Almaty",
                                  is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/complaints/file/")
    page.locator("textarea[name=text]").fill("Меня избили в изоляторе, требовали признание.")
    page.locator("select[name=facility]").select_option(index=1)
    page.get_by_role("button", name=send).click()
    expect(page.get_by_test_id("receipt-code")).to_be_visible()
    page.screenshot(path=str(tmp_path / f"receipt-{language}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = page.locator("[data-print]")
    expect(button).to_be_visible()
    page.emulate_media(media="print")
    expect(button).to_be_hidden()
    expect(page.locator("nav.mainnav")).to_have_count(0)  # not signed in: no menu anyway
    expect(page.get_by_test_id("receipt-code")).to_be_visible()
    context.close()


def test_kiosk_receipt_has_a_print_button_and_the_status_address(
        browser, live_server, settings, tmp_path, monkeypatch):
    key = tmp_path / "sealing.key"
    key.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(key))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://custodywatch.example.kz"
    facility = make_facility("FA-1", "KZ-75")
    context = browser.new_context(viewport=PHONE, locale="ru-RU", timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(15_000)
    enrol_terminal(page, live_server, facility)
    page.goto(f"{live_server.url}/complaints/kiosk/{facility.code}/form/")
    page.locator("textarea[name=text]").fill("Меня избили в изоляторе.")
    page.get_by_role("button", name="Отправить жалобу").click()
    expect(page.get_by_test_id("receipt-code")).to_be_visible()
    expect(page.get_by_text("https://custodywatch.example.kz/complaints/status/")).to_be_visible()
    expect(page.get_by_role("button", name="Распечатать квитанцию")).to_be_visible()
    page.screenshot(path=str(tmp_path / "kiosk-receipt.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
