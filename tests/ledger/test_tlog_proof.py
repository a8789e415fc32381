"""The entry receipt (C2SP tlog-proof): download, verify offline, refuse tampering."""

from __future__ import annotations

from io import StringIO

import pytest

from custodywatch.kernels.signed_note import generate_key
from custodywatch.ledger import services, tlog_proof
from custodywatch.ledger.models import Leaf
from tests.ledger.conftest import ORIGIN, register_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(signer, people, settings):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    for n in range(20):
        register_evidence(n)
    services.ledger_integrate_all()
    return signer


def test_receipt_downloads_and_verifies_offline(client, log, people):
    client.force_login(people["analyst"])
    response = client.get("/ledger/entries/7/proof.tlog-proof")
    assert response.status_code == 200, response.content[:300]
    assert "ledger-entry-7.tlog-proof" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra ")
    size = Leaf.objects.count()
    assert "\nindex 7\n" in text and f"\n\n{ORIGIN}\n{size}\n" in text
    assert tlog_proof.verify_proof(text, [log.verifier()], origin=ORIGIN) == (7, size)
    parsed = tlog_proof.parse_proof(text)
    assert parsed.extra == bytes(Leaf.objects.get(index=7).data)
    assert tlog_proof.format_proof(parsed) == text  # one spelling

    # Another entry's bytes, a changed path hash, another key, another origin: all refused.
    with pytest.raises(tlog_proof.ProofFormatError, match="does not lead"):
        tlog_proof.verify_proof(text, [log.verifier()], leaf=bytes(Leaf.objects.get(index=8)
                                                                   .data))
    lines = text.split("\n")
    lines[3] = ("A" if lines[3][0] != "A" else "B") + lines[3][1:]
    with pytest.raises(tlog_proof.ProofFormatError):
        tlog_proof.verify_proof("\n".join(lines), [log.verifier()])
    _other, stranger = generate_key(ORIGIN)
    with pytest.raises(tlog_proof.ProofFormatError, match="checkpoint"):
        tlog_proof.verify_proof(text, [stranger])
    with pytest.raises(tlog_proof.ProofFormatError, match="not 'elsewhere'"):
        tlog_proof.verify_proof(text, [log.verifier()], origin="elsewhere")


@pytest.mark.parametrize("text", [
    "", "c2sp.org/tlog-proof@v2\nindex 0\n\ncp\n", "c2sp.org/tlog-proof@v1\nindex x\n\ncp\n",
    "c2sp.org/tlog-proof@v1\nindex 01\n\ncp\n", "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\ncp\n",
    "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\ncp\n",
])
def test_malformed_receipts_are_refused(text):
    with pytest.raises(tlog_proof.ProofFormatError):
        tlog_proof.parse_proof(text)


def test_receipts_only_for_leaf_readers_and_signed_entries(client, log, people):
    client.force_login(people["head_a"])
    assert client.get("/ledger/entries/7/proof.tlog-proof").status_code == 403
    client.force_login(people["analyst"])
    size = Leaf.objects.count()
    assert client.get(f"/ledger/entries/{size + 50}/proof.tlog-proof").status_code == 404
    register_evidence(99)  # queued, not yet in a checkpoint
    assert client.get(f"/ledger/entries/{size}/proof.tlog-proof").status_code == 404
    assert client.get(f"/ledger/entries/{size - 1}/proof.tlog-proof").status_code == 200


def test_verify_proof_command_exit_codes(client, log, people, tmp_path):
    from django.core.management import CommandError, call_command

    client.force_login(people["analyst"])
    receipt = tmp_path / "entry.tlog-proof"
    receipt.write_bytes(client.get("/ledger/entries/3/proof.tlog-proof").content)
    key = log.verifier().to_text()
    out = StringIO()
    call_command("ledger", "verify-proof", str(receipt), "--key", key, stdout=out)
    assert "entry 3 is in the signed tree" in out.getvalue()
    other = tmp_path / "other.bin"
    other.write_bytes(b"not the entry")
    with pytest.raises(CommandError) as failed:
        call_command("ledger", "verify-proof", str(receipt), "--key", key, "--leaf", str(other))
    assert failed.value.returncode == 1
    with pytest.raises(CommandError) as missing:
        call_command("ledger", "verify-proof", str(tmp_path / "none"), "--key", key)
    assert missing.value.returncode == 2
