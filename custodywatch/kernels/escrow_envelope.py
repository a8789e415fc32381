"""Envelope encryption of a footage segment for the centre; no Django import (the agent uses it).

The agent holds only the centre's X25519 PUBLIC key. For each segment:
- a fresh random 256-bit data key encrypts the segment with AES-256-GCM;
- a fresh ephemeral X25519 key pair is agreed with the centre's public key; HKDF-SHA256 of the
  shared secret (salted with both public keys) gives a key-wrapping key, which wraps the data
  key with AES-256-GCM (HPKE's base mode, in its parts);
- the plaintext's SHA-256 (the object's key and the ledger's segment hash) is associated
  data of both layers: an envelope moved under another key fails to open.
The ephemeral private key is dropped at once: nothing the facility keeps opens the envelope.
Only the centre's private key does (``custodywatch/escrow/keys.py``, a file outside the
database). Rotation rewraps only the small header (``rewrap``).

Layout: b"CWE1" | recipient fingerprint (8) | ephemeral public key (32) | wrap nonce (12)
        | wrapped data key (32 + 16) | data nonce (12) | ciphertext + tag (len + 16)
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["EnvelopeError", "fingerprint", "open_envelope", "public_bytes", "seal_for",
           "HEADER_BYTES", "OVERHEAD_BYTES"]

MAGIC = b"CWE1"
FINGERPRINT_BYTES = 8
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = (len(MAGIC) + FINGERPRINT_BYTES + KEY_BYTES + NONCE_BYTES + KEY_BYTES + TAG_BYTES
                + NONCE_BYTES)
OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES
INFO = b"custodywatch escrow envelope v1"


class EnvelopeError(ValueError):
    """Not an envelope, another recipient's, for another segment, or damaged."""


def public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: bytes) -> bytes:
    return hashlib.sha256(b"custodywatch escrow key\n" + public).digest()[:FINGERPRINT_BYTES]


def _aad(plaintext_sha256: str) -> bytes:
    if len(plaintext_sha256) != 64:
        raise EnvelopeError("the associated plaintext hash is 64 hex digits")
    return MAGIC + b"\n" + plaintext_sha256.encode()


def _wrapping_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=ephemeral + recipient,
                info=INFO).derive(shared)


def _wrap_for(recipient: bytes, data_key: bytes, aad: bytes) -> bytes:
    ephemeral_key = X25519PrivateKey.generate()
    ephemeral = public_bytes(ephemeral_key.public_key())
    shared = ephemeral_key.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = secrets.token_bytes(NONCE_BYTES)
    wrapped = AESGCM(_wrapping_key(shared, ephemeral, recipient)).encrypt(nonce, data_key, aad)
    return MAGIC + fingerprint(recipient) + ephemeral + nonce + wrapped


def seal_for(recipient: bytes, plaintext: bytes, plaintext_sha256: str) -> bytes:
    """The envelope of ``plaintext`` for the holder of ``recipient``'s private key."""
    if len(recipient) != KEY_BYTES:
        raise EnvelopeError("an X25519 public key is 32 bytes")
    aad = _aad(plaintext_sha256)
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return _wrap_for(recipient, data_key, aad) + nonce + AESGCM(data_key).encrypt(
        nonce, plaintext, aad)


def _split(envelope: bytes) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes]:
    if len(envelope) < OVERHEAD_BYTES or not envelope.startswith(MAGIC):
        raise EnvelopeError("not an escrow envelope")
    at = len(MAGIC)
    parts = []
    for size in (FINGERPRINT_BYTES, KEY_BYTES, NONCE_BYTES, KEY_BYTES + TAG_BYTES, NONCE_BYTES):
        parts.append(envelope[at:at + size])
        at += size
    recipient_print, ephemeral, key_nonce, wrapped_key, data_nonce = parts
    return recipient_print, ephemeral, key_nonce, wrapped_key, data_nonce, envelope[at:]


def _data_key(private: X25519PrivateKey, envelope: bytes, aad: bytes) -> bytes:
    recipient = public_bytes(private.public_key())
    finger, ephemeral, wrap_nonce, wrapped, _nonce, _ciphertext = _split(envelope)
    if finger != fingerprint(recipient):
        raise EnvelopeError("sealed for another key")
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    try:
        return AESGCM(_wrapping_key(shared, ephemeral, recipient)).decrypt(wrap_nonce, wrapped,
                                                                           aad)
    except InvalidTag:
        raise EnvelopeError("wrong segment hash or damaged envelope") from None


def open_envelope(private: X25519PrivateKey, envelope: bytes, plaintext_sha256: str) -> bytes:
    """The plaintext; EnvelopeError on any damage, a wrong key or a wrong segment hash, and
    when the plaintext does not hash to ``plaintext_sha256``."""
    envelope = bytes(envelope)
    aad = _aad(plaintext_sha256)
    data_key = _data_key(private, envelope, aad)
    *_head, nonce, ciphertext = _split(envelope)
    try:
        plaintext = AESGCM(data_key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise EnvelopeError("damaged ciphertext") from None
    if hashlib.sha256(plaintext).hexdigest() != plaintext_sha256:
        raise EnvelopeError("the plaintext does not hash to its ledger hash")
    return plaintext


def rewrap(private: X25519PrivateKey, envelope: bytes, plaintext_sha256: str,
           new_recipient: bytes) -> bytes:
    """The same envelope for another centre key (rotation); the bulk ciphertext is unchanged."""
    envelope = bytes(envelope)
    aad = _aad(plaintext_sha256)
    data_key = _data_key(private, envelope, aad)
    *_head, nonce, ciphertext = _split(envelope)
    return _wrap_for(new_recipient, data_key, aad) + nonce + ciphertext
