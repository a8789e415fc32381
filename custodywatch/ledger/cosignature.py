"""Witness cosignatures on checkpoints (C2SP tlog-cosignature, Ed25519, version 1).

A witness that has checked a checkpoint consistent with everything it saw before adds one
signature line to the note::

    — <witness name> base64(key id (4) || timestamp (8, big-endian seconds) || signature (64))

The signed message is ``"cosignature/v1\\ntime <timestamp>\\n" + checkpoint body``; the key id
is the first 4 bytes of ``SHA-256(name || 0x0A || 0x04 || public key)`` (algorithm 0x04 marks
a cosignature key, so a log key can never pass for a witness). A note with extra signature
lines still opens with the log's own key (signed_note keeps unknown lines as unverified).
Standard library and ``cryptography`` only; no Django import.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from custodywatch.kernels.signed_note import SIGNATURE_PREFIX, NoteError, Signer, split_note

ALGORITHM_COSIGNATURE_V1 = 0x04


class CosignatureError(ValueError):
    pass


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALGORITHM_COSIGNATURE_V1])
                          + public_key).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()


def witness_key_text(signer: Signer) -> str:
    """The witness's public key as ``name+<hex key id>+base64(0x04 || key)``, to publish."""
    public = signer.verifier().public_key
    key_id = cosigner_key_id(signer.name, public)
    encoded = base64.b64encode(bytes([ALGORITHM_COSIGNATURE_V1]) + public).decode()
    return f"{signer.name}+{key_id.hex()}+{encoded}"


def cosign(note: str, signer: Signer, *, timestamp: int | None = None) -> str:
    """``note`` (a signed checkpoint, already verified by the caller) with the witness's line."""
    body, _signatures = split_note(note)
    when = int(time.time()) if timestamp is None else timestamp
    signature = signer.sign(cosigned_message(body, when))
    key_id = cosigner_key_id(signer.name, signer.verifier().public_key)
    blob = base64.b64encode(key_id + when.to_bytes(8, "big") + signature).decode()
    return note + f"{SIGNATURE_PREFIX}{signer.name} {blob}\n"


def verify_cosignature(note: str, witness_key: str) -> int:
    """The timestamp of the cosignature by ``witness_key`` (``witness_key_text`` form) on
    ``note``; CosignatureError when it is missing or does not verify."""
    try:
        name, key_hex, encoded = witness_key.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise CosignatureError("malformed witness key") from None
    if len(raw) != 33 or raw[0] != ALGORITHM_COSIGNATURE_V1:
        raise CosignatureError("not an Ed25519 cosignature key")
    public = raw[1:]
    key_id = cosigner_key_id(name, public)
    if key_id.hex() != key_hex:
        raise CosignatureError("witness key id does not match its key")
    try:
        body, _signatures = split_note(note)
    except NoteError as error:
        raise CosignatureError(str(error)) from None
    for line in note[len(body) + 1:].split("\n"):
        if not line.startswith(f"{SIGNATURE_PREFIX}{name} "):
            continue
        blob = base64.b64decode(line.rsplit(" ", 1)[1])
        if len(blob) != 4 + 8 + 64 or blob[:4] != key_id:
            continue
        when = int.from_bytes(blob[4:12], "big")
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[12:],
                                                              cosigned_message(body, when))
        except InvalidSignature:
            raise CosignatureError(f"cosignature by {name} does not verify") from None
        return when
    raise CosignatureError(f"no cosignature by {name}")
