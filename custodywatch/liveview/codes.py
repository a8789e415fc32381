"""Viewer codes and browser bindings: high entropy, so a plain SHA-256 is a safe store.

A code is 25 Crockford base32 characters (125 bits) shown in groups of five; the link
carries it without dashes. Guessing is hopeless, and still throttled per address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_CHARS = 25
GROUP = 5


def new_code() -> str:
    """The raw code (no dashes): goes into the link, the QR code and the printed slip."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))


def shown(code: str) -> str:
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """What a person typed: case, spaces, dashes, O for 0, I and L for 1."""
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(c for c in typed.upper().translate(table) if c in ALPHABET)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_browser_secret() -> str:
    return secrets.token_urlsafe(32)


def same(secret: str, stored_digest: str) -> bool:
    return bool(stored_digest) and hmac.compare_digest(digest(secret), stored_digest)


def address_key(ip_address: str | None) -> str:
    """A keyed hash of the address: enough to count tries, useless to find a person."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"live:" + (ip_address or "unknown").encode(),
                    hashlib.sha256).hexdigest()
