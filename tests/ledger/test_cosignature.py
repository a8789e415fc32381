"""Witness cosignatures (C2SP tlog-cosignature): the witness countersigns what it checked."""

from __future__ import annotations

from io import StringIO

import pytest

from custodywatch.kernels.checkpoint import parse_checkpoint
from custodywatch.kernels.signed_note import generate_key, open_note, sign_note
from custodywatch.ledger import cosignature, services
from custodywatch.ledger.management.commands.ledger import Command
from tests.ledger.conftest import register_evidence
from tests.ledger.test_witness_and_package import pull, server  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_cosigned_checkpoint_verifies_for_both_keys_and_refuses_tampering(tmp_path, signer,
                                                                          server):  # noqa: F811
    for n in range(12):
        register_evidence(n)
    services.ledger_integrate_all()
    report = pull(tmp_path, server, signer)
    witness, _verifier = generate_key("ombudsperson.example.kz")
    key_file = tmp_path / "witness.key"
    key_file.write_text(witness.to_text() + "\n")

    out = StringIO()
    command = Command(stdout=out)
    command._cosign(tmp_path / "ombudsperson", key_file)
    note = (tmp_path / "ombudsperson" / "cosigned.checkpoint").read_text()
    public = cosignature.witness_key_text(witness)
    assert public in out.getvalue()
    assert cosignature.verify_cosignature(note, public) > 1_700_000_000
    # The log's own signature still opens; the witness line is kept as not the log's.
    opened = open_note(note, [signer.verifier()])
    assert parse_checkpoint(opened.text).size == report.size
    assert [s.name for s in opened.unverified] == [witness.name]

    forged = note.replace(f"\n{report.size}\n", f"\n{report.size + 1}\n", 1)
    with pytest.raises(cosignature.CosignatureError, match="does not verify"):
        cosignature.verify_cosignature(forged, public)
    other, _v = generate_key("ombudsperson.example.kz")
    with pytest.raises(cosignature.CosignatureError, match="no cosignature"):
        cosignature.verify_cosignature(note, cosignature.witness_key_text(other))
    with pytest.raises(cosignature.CosignatureError, match="malformed"):
        cosignature.verify_cosignature(note, "nonsense")


def test_fixed_timestamp_gives_the_spec_message_layout(signer):
    body = "example.com/log\n5\n" + "A" * 43 + "=\n"
    assert cosignature.cosigned_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + body.encode())
    witness, _verifier = generate_key("w.example")
    log, _log_verifier = generate_key("example.com/log")
    note = cosignature.cosign(sign_note(body, log), witness, timestamp=1679315147)
    assert cosignature.verify_cosignature(note, cosignature.witness_key_text(witness)) == \
        1679315147
