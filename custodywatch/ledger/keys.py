"""The checkpoint signing key: a file outside the database, its path from the environment.

``LEDGER_SIGNING_KEY_FILE`` names a file holding one line, a note signer key
(``PRIVATE+KEY+<name>+<id>+<base64>``). The embedded default (no variable set) generates one under
``var/`` on first use, as the secret key is. Old public keys, kept so checkpoints signed before a
rotation still verify, come from ``LEDGER_VERIFIER_KEYS`` (comma-separated verifier keys) or the
file that ``LEDGER_VERIFIER_KEYS_FILE`` names (one per line). docs/ledger.md: key rotation.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from custodywatch.kernels.signed_note import Signer, Verifier, generate_key

DEFAULT_ORIGIN = "custodywatch.local/ledger"


def ledger_origin() -> str:
    """The log's name: the first line of every checkpoint; never changes for a log."""
    return getattr(settings, "LEDGER_ORIGIN", "") or os.environ.get("LEDGER_ORIGIN",
                                                                    DEFAULT_ORIGIN)


def signing_key_path() -> tuple[Path, bool]:
    """The key file, and whether it was configured (False: the embedded default)."""
    configured = getattr(settings, "LEDGER_SIGNING_KEY_FILE", "") or os.environ.get(
        "LEDGER_SIGNING_KEY_FILE", "")
    if configured:
        return Path(configured), True
    return Path(settings.VAR_DIR) / "ledger-signing.key", False


def load_signer() -> Signer:
    path, configured = signing_key_path()
    if not path.exists():
        if configured:
            # A configured key that is missing is an operator's mistake, never a reason to sign
            # with a new key nobody has published.
            raise FileNotFoundError(f"ledger signing key {path} does not exist")
        signer, _verifier = generate_key(ledger_origin())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(signer.to_text() + "\n")
        path.chmod(0o600)
    return Signer.from_text(path.read_text())


def trusted_verifiers() -> list[Verifier]:
    """The current public key and every old one still trusted."""
    texts: list[str] = [
        t for t in os.environ.get("LEDGER_VERIFIER_KEYS", "").split(",") if t.strip()
    ]
    keys_file = getattr(settings, "LEDGER_VERIFIER_KEYS_FILE", "") or os.environ.get(
        "LEDGER_VERIFIER_KEYS_FILE", "")
    if keys_file:
        texts += [line for line in Path(keys_file).read_text().splitlines() if line.strip()]
    verifiers = [Verifier.from_text(text) for text in texts]
    current = load_signer().verifier()
    return [current, *[v for v in verifiers if v != current]]
