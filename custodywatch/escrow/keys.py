"""The centre's escrow key pair (X25519). The private key lives in a file, never in the
database: ``CUSTODYWATCH_ESCROW_KEY_FILE`` in production (a secrets mount), else
``var/escrow.key`` (mode 0600, created on first use). One base64 private key per line; the
FIRST is the one agents seal for (its public key is in every agent's configuration), the
others still open what was sealed for them (rotation: ``kernels.escrow_envelope.rewrap``).
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings

from custodywatch.kernels.escrow_envelope import fingerprint, public_bytes

KEY_FILE_ENV = "CUSTODYWATCH_ESCROW_KEY_FILE"


class EscrowKeyError(Exception):
    pass


def key_file_path() -> Path:
    configured = os.environ.get(KEY_FILE_ENV, "").strip()
    if configured:
        return Path(configured)
    path = Path(settings.VAR_DIR) / "escrow.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path
        raw = X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption())
        with os.fdopen(descriptor, "w") as handle:
            handle.write("# CustodyWatch escrow private key: opens all escrowed footage. "
                         "Keep it off the database host's backups.\n")
            handle.write(base64.b64encode(raw).decode() + "\n")
    return path


def private_keys() -> list[X25519PrivateKey]:
    path = key_file_path()
    try:
        text = path.read_text()
    except OSError as error:
        raise EscrowKeyError(f"cannot read the escrow key file {path}: {error}") from None
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            keys.append(X25519PrivateKey.from_private_bytes(base64.b64decode(line, validate=True)))
        except (binascii.Error, ValueError):
            raise EscrowKeyError(f"{path}:{number}: not a base64 X25519 private key") from None
    if not keys:
        raise EscrowKeyError(f"{path}: no key")
    return keys


def public_key() -> bytes:
    """The public key agents seal for (32 bytes)."""
    return public_bytes(private_keys()[0].public_key())


def public_key_b64() -> str:
    return base64.b64encode(public_key()).decode()


def private_key_for(envelope: bytes) -> X25519PrivateKey:
    """The private key an envelope was sealed for (by its recipient fingerprint)."""
    wanted = bytes(envelope[4:12])
    for key in private_keys():
        if fingerprint(public_bytes(key.public_key())) == wanted:
            return key
    raise EscrowKeyError("sealed for a key that is not in the escrow key file")
