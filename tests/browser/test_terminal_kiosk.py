"""Issue 23 in Chromium: a complaint typed on an enrolled terminal with the network cut is
stored, shown as stored with its code, and filed exactly once when the network returns; a
browser that is not an enrolled terminal is refused as kiosk; the short-code receipt prints on
one A6 page and an 80 mm roll, fits a 390 px screen, and its code and PIN open the status."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from custodywatch.complaints.models import Complaint
from custodywatch.core import sealing
from tests.browser.conftest import enrol_terminal
from tests.conftest import make_facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
SHORT = re.compile(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]")


@pytest.fixture
def kiosk_world(live_server, settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    key = tmp_path / "sealing.key"
    key.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(key))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://custodywatch.example.kz"
    return make_facility("FA-1", "KZ-75")


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def _complaints_soon(expected: int, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        count = Complaint.objects.count()
        if count >= expected:
            return count
        time.sleep(0.25)
    return Complaint.objects.count()


def test_a_complaint_typed_offline_is_filed_exactly_once_when_the_network_returns(
        browser, live_server, kiosk_world):
    facility = kiosk_world
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(15_000)
    enrol_terminal(page, live_server, facility)
    page.goto(f"{live_server.url}/complaints/kiosk/{facility.code}/form/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    sent = []
    page.on("request", lambda request: sent.append(request)
            if request.url.endswith("/queue/") else None)

    context.set_offline(True)
    page.get_by_label("What happened?").fill("Officers beat me in the corridor last night.")
    page.get_by_label("A PIN of your choice (4 to 8 digits)").fill("2468")
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.get_by_test_id("queued")).to_be_visible()
    code = page.get_by_test_id("queued-code").inner_text().strip()
    assert SHORT.fullmatch(code), code
    expect(page.get_by_text("Stored on this terminal: it will be sent")).to_be_visible()
    time.sleep(1)
    assert Complaint.objects.count() == 0

    context.set_offline(False)  # the browser's "online" event sends the stored complaint
    assert _complaints_soon(1) == 1
    expect(page.get_by_test_id("pending")).to_be_hidden()
    # Sending again with the same key (a retry after a lost answer) files nothing new.
    first = sent[0]
    replay = context.request.post(first.url, headers={
        "Content-Type": "application/json",
        "Idempotency-Key": first.headers["idempotency-key"]}, data=first.post_data)
    assert replay.status == 201 and replay.headers.get("idempotent-replayed") == "true"
    page.reload()  # the queue is empty: a new page sends nothing
    time.sleep(1)
    assert Complaint.objects.count() == 1
    complaint = Complaint.objects.get()
    assert complaint.channel == "kiosk" and complaint.terminal is not None

    # The code shown offline and the PIN open the status.
    status = context.new_page()
    status.goto(f"{live_server.url}/complaints/status/")
    status.get_by_label("Receipt code").fill(code)
    status.get_by_label("PIN (if you chose one)").fill("2468")
    status.get_by_role("button", name="Open").click()
    expect(status.get_by_test_id("status")).to_be_visible()
    context.close()


def test_a_browser_that_is_not_an_enrolled_terminal_is_refused_as_kiosk(browser, live_server,
                                                                        kiosk_world):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    response = page.goto(f"{live_server.url}/complaints/kiosk/{kiosk_world.code}/form/")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("refusal")).to_contain_text("not an enrolled complaint terminal")
    context.close()
    assert Complaint.objects.count() == 0


def test_the_short_code_receipt_prints_on_one_page_fits_a_phone_and_opens_the_status(
        browser, live_server, kiosk_world, tmp_path):
    facility = kiosk_world
    context = browser.new_context(viewport=PHONE, locale="ru-RU", timezone_id="Asia/Almaty",
                                  is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    enrol_terminal(page, live_server, facility)
    page.goto(f"{live_server.url}/complaints/kiosk/{facility.code}/form/")
    page.locator("textarea[name=text]").fill("Меня избили в изоляторе.")
    page.locator("input[name=pin]").fill("8642")
    page.get_by_role("button", name="Отправить жалобу").click()
    code = page.get_by_test_id("receipt-code").inner_text().strip()
    assert SHORT.fullmatch(code), code
    expect(page.get_by_test_id("where-to-read")).to_contain_text(
        "https://custodywatch.example.kz/complaints/status/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.emulate_media(media="print")
    a6 = page.pdf(format="A6", print_background=False)
    roll = page.pdf(width="80mm", height="200mm")
    (tmp_path / "receipt-a6.pdf").write_bytes(a6)
    assert _pdf_pages(a6) == 1, "the receipt takes more than one A6 page"
    assert _pdf_pages(roll) == 1, "the receipt does not fit an 80 mm roll"
    page.emulate_media(media="screen")

    status = context.new_page()
    status.goto(f"{live_server.url}/complaints/status/")
    status.locator("input[name=code]").fill(code.lower())
    status.locator("input[name=pin]").fill("8642")
    status.locator("form.card button[type=submit]").click()
    expect(status.get_by_test_id("status")).to_be_visible()
    expect(status.get_by_test_id("where-to-read")).to_be_visible()
    assert status.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
