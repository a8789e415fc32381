"""Every role walks through every page its menu and its dashboard offer, in kk, ru and en.

On each page: the page answers 200 (a menu or a tile never leads to a refusal), the browser
logs no console error (an SVG coordinate written with a decimal comma is one), and axe-core
finds no critical or serious accessibility violation. All problems are collected and reported
together, so one run shows the whole list.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from custodywatch.demo import generator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["admin", "gpo", "prosecutor", "ombudsperson", "monitor", "head", "duty", "forensic",
         "compensation", "analyst", "ngo"]
SERIOUS = {"critical", "serious"}
SCREENSHOTS = os.environ.get("CUSTODYWATCH_SCREENSHOTS", "")
# Pages whose links are data, not navigation: one of each kind is enough for the tour.
MAX_LINKS_PER_PAGE = 30


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _tour_links(page, origin: str) -> list[str]:
    """The menu's links and the dashboard's tiles (same-origin pages, not downloads)."""
    hrefs = page.eval_on_selector_all(
        "nav.mainnav a[href], main a.tile[href], main [data-tile] a[href]",
        "els => els.map(e => e.getAttribute('href'))")
    links = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc and f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path and path not in links and not path.endswith((".pdf", ".xlsx", ".csv", ".zip")):
            links.append(path)
    return links[:MAX_LINKS_PER_PAGE]


def _watch_errors(page) -> list[str]:
    """The page's console errors and uncaught exceptions, appended as they happen."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _first_record_link(page, origin: str) -> str | None:
    """The first row's link of a list page (a record, a complaint, a case, a camera wall...),
    so the tour reaches the detail pages too."""
    hrefs = page.eval_on_selector_all("main table tbody a[href], main .camerawall a[href]",
                                      "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        parts = urlsplit(href)
        if (parts.netloc and f"{parts.scheme}://{parts.netloc}" != origin) or \
                parts.path.endswith((".pdf", ".xlsx", ".csv", ".zip", ".png", ".json")):
            continue
        return parts.path
    return None


def _visit(page, errors: list[str], url: str, problems: list[str], label: str, axe) -> None:
    errors.clear()
    response = page.goto(url)
    page.wait_for_load_state("load")
    if response is None or response.status != 200:
        problems.append(f"{label}: HTTP {response.status if response else 'none'}")
        return
    for error in errors:
        problems.append(f"{label}: console: {error[:200]}")
    if SCREENSHOTS:  # for a person to look at: CUSTODYWATCH_SCREENSHOTS=folder
        name = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")[:120]
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
    results = axe.run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{label}: axe {violation['id']} ({violation['impact']}, "
                            f"{len(violation['nodes'])} nodes) {targets}")


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_every_role_tours_its_pages_without_errors(browser, live_server, settings, language):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the tour checks pages, not the database: it runs once, on SQLite")
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    generator.load(scale_name="small", seed=0)
    axe = _axe()
    problems: list[str] = []
    host = urlsplit(live_server.url).hostname
    for username in ROLES:
        context = browser.new_context(locale="en-GB", timezone_id="Asia/Almaty")
        context.add_cookies([{"name": "django_language", "value": language, "domain": host,
                              "path": "/"}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = _watch_errors(page)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", generator.DEMO_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("html").get_attribute("lang") == language
        links = _tour_links(page, live_server.url)
        _visit(page, errors, f"{live_server.url}/", problems, f"{language} {username} /", axe)
        details: list[str] = []
        for path in links:
            if path == "/":
                continue
            _visit(page, errors, f"{live_server.url}{path}", problems,
                   f"{language} {username} {path}", axe)
            detail = _first_record_link(page, live_server.url)
            if detail and detail not in links and detail not in details:
                details.append(detail)
        for path in details:
            _visit(page, errors, f"{live_server.url}{path}", problems,
                   f"{language} {username} {path}", axe)
        context.close()
    assert problems == [], "\n".join(problems)
