"""A person files at the kiosk with the keyboard alone, keeps the receipt code, opens the
status page with it; a prosecutor answers; the person reads the answer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from custodywatch.complaints.models import Complaint
from custodywatch.core import sealing
from tests.browser.conftest import enrol_terminal
from tests.conftest import make_facility, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_kiosk_complaint_receipt_status_and_answer(browser, live_server, settings, tmp_path,
                                                   monkeypatch):
    from custodywatch.accounts.models import Role

    key = tmp_path / "sealing.key"
    key.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(key))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    facility = make_facility("FA-1", "KZ-75")
    make_user("prosecutor", Role.REGIONAL_PROSECUTOR, region=facility.region)

    kiosk = browser.new_context(locale="ru-RU", timezone_id="Asia/Almaty")
    page = kiosk.new_page()
    page.set_default_timeout(15_000)
    enrol_terminal(page, live_server, facility)  # once, by whoever installs the terminal
    page.goto(f"{live_server.url}/complaints/kiosk/{facility.code}/")
    # The terminal's browser asks for Russian: the start screen speaks it.
    expect(page.get_by_role("link", name="Быстрый выход")).to_be_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/form/")
    # Keyboard only: focus the text, type, tick the box, submit with Enter on the button.
    page.get_by_label("What happened?").focus()
    page.keyboard.type("Officers beat me with a baton until I signed a confession.")
    page.get_by_label("File anonymously").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Send the complaint").focus()
    page.keyboard.press("Enter")
    code = page.get_by_test_id("receipt-code").inner_text().strip()
    assert re.fullmatch(r"([0-9A-Z]{4}-){6}[0-9A-Z]{4}", code)
    expect(page.get_by_role("img", name="The receipt code as a QR code")).to_be_visible()
    page.screenshot(path=str(tmp_path / "kiosk-receipt.png"), full_page=True)
    page.get_by_role("link", name="Finish and clear the screen").click()
    page.wait_for_url(f"**/complaints/kiosk/{facility.code}/")
    expect(page.get_by_text(code)).to_have_count(0)
    # Nothing of the person stays: only the CSRF cookie and the terminal's own credential.
    assert {c["name"] for c in kiosk.cookies()} <= {"csrftoken", "cw_device"}
    kiosk.close()

    complaint = Complaint.objects.get()
    assert complaint.channel == "kiosk" and complaint.is_anonymous

    official = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty")
    staff = official.new_page()
    staff.set_default_timeout(15_000)
    staff.goto(f"{live_server.url}/complaints/")
    staff.get_by_label("Username").fill("prosecutor")
    staff.get_by_label("Password").fill("correct horse battery")
    staff.keyboard.press("Enter")
    staff.wait_for_url(f"{live_server.url}/complaints/")  # not the login URL's ?next=
    staff.get_by_role("link", name=complaint.reference).click()
    expect(staff.get_by_test_id("suggested")).to_have_text("Torture")
    staff.get_by_label("Message to the complainant").fill("A criminal case has been opened.")
    staff.get_by_label("Kind").select_option("answer")
    staff.get_by_role("button", name="Send", exact=True).click()
    expect(staff.get_by_test_id("status")).to_have_text("Answered")
    official.close()

    public = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty")
    person = public.new_page()
    person.set_default_timeout(15_000)
    person.goto(f"{live_server.url}/complaints/status/")
    person.get_by_label("Receipt code").fill(code.lower())  # typed loosely still opens
    person.keyboard.press("Enter")
    expect(person.get_by_test_id("status")).to_have_text("Answered")
    expect(person.get_by_test_id("thread")).to_contain_text("A criminal case has been opened.")
    public.close()
