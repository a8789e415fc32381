"""An analyst drops a file onto a ledger entry's page: the browser hashes it (Web Crypto) and
says whether it is the logged evidence. No request ever carries the file's bytes."""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.db import connection
from playwright.sync_api import expect

from custodywatch.accounts.models import Role
from custodywatch.kernels.signed_note import generate_key
from custodywatch.ledger import db_guards, services
from custodywatch.ledger.models import Leaf
from tests.conftest import make_user
from tests.ledger.conftest import ORIGIN, register_evidence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def empty_ledger_after():
    """The log tables refuse DELETE, so the transactional test's flush would fail: empty them
    the one sanctioned way (as the demo reset does) before it runs."""
    yield
    db_guards.reset_ledger_tables(connection)

# Bytes no page, header or form would contain by chance.
CONTENT = b"evidence-footage-7f3a91c2 " * 40

DROP = """([selector, name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "video/mp4"}));
  const zone = document.querySelector(selector);
  zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true,
                                                cancelable: true}));
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true,
                                            cancelable: true}));
}"""


def test_dropped_file_is_hashed_in_the_browser_and_never_uploaded(page, live_server, settings,
                                                                   tmp_path):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    key, _verifier = generate_key(ORIGIN)
    (tmp_path / "signing.key").write_text(key.to_text() + "\n")
    settings.LEDGER_SIGNING_KEY_FILE = str(tmp_path / "signing.key")
    settings.LEDGER_ORIGIN = ORIGIN
    make_user("analyst", Role.ANALYST)
    digest = register_evidence(1, content=CONTENT)
    services.ledger_integrate_all()
    index = Leaf.objects.get(sha256=digest).index

    sent: list[tuple[str, str, bytes]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data_buffer or b"")))

    page.goto(f"{live_server.url}/ledger/entries/{index}/")
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/ledger/entries/{index}/")  # not the login URL's ?next=
    expect(page.locator(".badge-ok")).to_have_text("verified")

    zone = "[data-ledger-dropzone]"
    result = page.locator(f"{zone} [data-ledger-result]")
    page.evaluate(DROP, [zone, "copy.mp4", base64.b64encode(CONTENT).decode()])
    expect(result).to_have_class("is-match")
    expect(result).to_contain_text(hashlib.sha256(CONTENT).hexdigest())
    page.evaluate(DROP, [zone, "edited.mp4", base64.b64encode(CONTENT + b"!").decode()])
    expect(result).to_have_class("is-mismatch")
    expect(result).to_contain_text("does NOT match")

    # The file check page: the browser sends the hash, and only the hash, to find the entry.
    sent_before = len(sent)
    page.goto(f"{live_server.url}/ledger/check/")
    with page.expect_navigation(url=f"**sha256={digest}**"):
        page.evaluate(DROP, [zone, "copy.mp4", base64.b64encode(CONTENT).decode()])
    found = page.get_by_role("link", name=f"Entry {index}: Evidence item registered")
    expect(found).to_be_visible()
    assert len(sent) > sent_before

    marker = CONTENT[:25]
    assert all(marker not in body and marker.decode() not in url for _m, url, body in sent)
    # After signing in, nothing was posted at all: hashing happened on this computer.
    assert [url for method, url, _b in sent if method == "POST" and "/accounts/" not in url] == []
