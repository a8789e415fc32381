from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from custodywatch.kernels.signed_note import Signer, generate_key
from custodywatch.ledger.appends import evidence_registered_fields, ledger_append
from custodywatch.ledger.models import LeafKind

ORIGIN = "test.custodywatch.kz/ledger"


@pytest.fixture
def signer(settings, tmp_path) -> Signer:
    """A signing key in a file outside the database, as production has it."""
    key, _verifier = generate_key(ORIGIN)
    path = tmp_path / "signing.key"
    path.write_text(key.to_text() + "\n")
    settings.LEDGER_SIGNING_KEY_FILE = str(path)
    settings.LEDGER_ORIGIN = ORIGIN
    settings.LEDGER_VERIFIER_KEYS_FILE = ""
    return key


def register_evidence(n: int, *, content: bytes | None = None) -> str:
    data = content if content is not None else f"evidence file {n}".encode()
    digest = hashlib.sha256(data).hexdigest()
    ledger_append(kind=LeafKind.EVIDENCE_REGISTERED, fields=evidence_registered_fields(
        evidence=f"E-{n}", sha256=digest, size=len(data), by="forensic",
        at=datetime(2024, 1, 5, 10, 0, tzinfo=UTC), case="C-1", name=f"file{n}.mp4"))
    return digest
