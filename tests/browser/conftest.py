from __future__ import annotations

import os

import pytest

from tests.conftest import require_or_skip

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(chromium_path):
    require_or_skip(chromium_path is not None, "no Chromium at /usr/bin/chromium")
    # Playwright's sync API runs an event loop in this thread; the live server's database
    # work happens in its own thread, so Django's async-safety check does not apply here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def enrol_terminal(page, live_server, facility) -> None:  # type: ignore[no-untyped-def]
    """The device's steps: open the enrolment page, type the one-time code; the browser of
    ``page`` is then an enrolled complaint terminal of ``facility`` (issue 23)."""
    from tests.complaints.conftest import enrolment_code

    _terminal, code = enrolment_code(facility)
    page.goto(f"{live_server.url}/complaints/terminal/enrol/")
    page.locator("input[name=code]").fill(code)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"**/complaints/kiosk/{facility.code}/")
