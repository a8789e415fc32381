from __future__ import annotations

import base64

import pytest
from django.db import connection

from custodywatch.accounts import services as account_services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.kernels import merkle
from custodywatch.kernels.checkpoint import parse_checkpoint
from custodywatch.kernels.signed_note import open_note
from custodywatch.ledger import db_guards, services
from custodywatch.ledger.models import Leaf
from tests.ledger.conftest import register_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(signer, people):
    for n in range(20):
        register_evidence(n)
    services.ledger_integrate_all()
    return signer


def bearer(user) -> dict[str, str]:
    raw, _token = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_checkpoint_is_public_plain_text_signed_note(client, log):
    response = client.get("/api/ledger/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    checkpoint = parse_checkpoint(open_note(body, [log.verifier()]).text)
    assert checkpoint.size == Leaf.objects.count()


def test_leaves_need_a_reader_and_return_exact_bytes(client, log, people):
    assert client.get("/api/ledger/leaves?start=0&end=2").status_code == 401
    assert client.get("/api/ledger/leaves?start=0&end=2",
                      **bearer(people["head_a"])).status_code == 403
    response = client.get("/api/ledger/leaves?start=1&end=3", **bearer(people["analyst"]))
    assert response.status_code == 200
    leaves = response.json()["leaves"]
    assert [leaf["index"] for leaf in leaves] == [1, 2]
    assert base64.b64decode(leaves[0]["data"]) == bytes(Leaf.objects.get(index=1).data)
    assert client.get("/api/ledger/leaves?start=5&end=2",
                      **bearer(people["analyst"])).status_code == 400


def test_leaves_are_capped_at_a_thousand(client, signer, people):
    for n in range(1005):
        register_evidence(n)
    services.ledger_integrate_all()
    response = client.get("/api/ledger/leaves?start=0&end=5000", **bearer(people["analyst"]))
    assert len(response.json()["leaves"]) == 1000


def test_public_proofs_verify_against_the_checkpoint(client, log):
    size = Leaf.objects.count()
    root = bytes(services.Checkpoint.objects.order_by("-id").first().root)
    body = client.get(f"/api/ledger/proof/inclusion?index=3&size={size}").json()
    assert set(body) == {"index", "size", "leaf_hash", "hashes"}
    assert merkle.verify_inclusion(3, size, base64.b64decode(body["leaf_hash"]),
                                   [base64.b64decode(h) for h in body["hashes"]], root)
    body = client.get(f"/api/ledger/proof/consistency?first=5&second={size}").json()
    assert set(body) == {"first", "second", "hashes"} and body["first"] == 5
    assert client.get(f"/api/ledger/proof/inclusion?index={size}&size={size}"
                      ).status_code == 400
    assert client.get("/api/ledger/proof/consistency?first=5&second=999").json()["detail"]
    assert client.get("/api/ledger/proof/inclusion?index=x&size=1").status_code == 422


def test_entry_page_shows_verified_and_the_file_check(signed_in, people, log):
    client = signed_in(people["gpo"])
    evidence = Leaf.objects.filter(kind="evidence_registered").first()
    page = client.get(f"/ledger/entries/{evidence.index}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "verified" in html and "NOT verified" not in html
    assert 'data-expected-sha256="' + evidence.sha256 in html
    assert "ledger/filecheck.js" in html and "<script>" not in html  # CSP: no inline script


def test_entry_page_says_not_verified_when_the_stored_leaf_was_changed(signed_in, people, log):
    db_guards.uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_leaf SET data = %s WHERE \"index\" = 4", [b"forged"])
    html = signed_in(people["gpo"]).get("/ledger/entries/4/").content.decode()
    assert "NOT verified" in html


def test_ledger_pages_are_closed_to_facility_staff(signed_in, people, log):
    client = signed_in(people["head_a"])
    assert client.get("/ledger/").status_code == 403
    assert client.get("/ledger/entries/1/").status_code == 403


def test_file_check_finds_entries_by_hash_only(signed_in, people, log):
    client = signed_in(people["analyst"])
    evidence = Leaf.objects.filter(kind="evidence_registered").first()
    page = client.get(f"/ledger/check/?sha256={evidence.sha256.upper()}").content.decode()
    assert f"/ledger/entries/{evidence.index}/" in page
    assert "No ledger entry" in client.get("/ledger/check/?sha256=" + "0" * 64).content.decode()
    assert "not a SHA-256" in client.get("/ledger/check/?sha256=abc").content.decode()
    overview = client.get("/ledger/")
    last = Leaf.objects.order_by("-index").first().index
    assert overview.status_code == 200
    assert f"/ledger/entries/{last}/" in overview.content.decode()
