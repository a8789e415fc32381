"""Receipt codes: high-entropy, shown once, stored only as an Argon2id hash; guessing throttled.

Two kinds: the long code below (every complaint filed without a PIN, and all older ones), and
the short code with a PIN the person chooses (new_short_code).

A code is 28 Crockford base32 characters in groups of four. The first 8 (40 bits) are a
locator that finds the row without a slow search; the last 20 (100 bits) are the secret,
stored as Argon2id. A locator alone opens nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings
from django.http import HttpRequest, HttpResponse

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LOCATOR_CHARS = 8
SECRET_CHARS = 20
GROUP = 4
# OWASP's Argon2id minimum (19 MiB, 2 passes): tens of milliseconds a try on a server core.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the locator is unknown, so a miss costs as long as a wrong secret.
_DUMMY_HASH = _HASHER.hash("0" * SECRET_CHARS)
# Demo rows carry this instead of a hash: no code opens them (docs/complaints.md).
UNUSABLE_HASH = "!"


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def new_code() -> tuple[str, str, str]:
    """(code as shown, locator, Argon2id hash of the secret)."""
    locator = _random_chars(LOCATOR_CHARS)
    secret = _random_chars(SECRET_CHARS)
    raw = locator + secret
    shown = "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))
    return shown, locator, _HASHER.hash(secret)


# The short code a person copies by hand and reads aloud (issue 23): 4 groups of 4 characters
# and a check character, ABCD-EFGH-JKMN-PQRS-T. The first 6 characters (30 bits) find the row,
# the other 10 (50 bits) are the secret, verified with the PIN the person chose, both together
# as one Argon2id hash; guessing is throttled per code, terminal and address as for long codes.
SHORT_LOCATOR_CHARS = 6
SHORT_SECRET_CHARS = 10
PIN_MIN, PIN_MAX = 4, 8


def check_character(raw: str) -> str:
    """Luhn mod 32 over the alphabet: any single mistyped character and any swap of two
    neighbours changes it."""
    total, factor = 0, 2
    for char in reversed(raw):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
    return ALPHABET[(len(ALPHABET) - total % len(ALPHABET)) % len(ALPHABET)]


def valid_pin(pin: str) -> bool:
    return pin.isascii() and pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX


def _pin_secret(secret: str, pin: str) -> str:
    return f"{secret}:{pin}"


def new_short_code(pin: str, drawn: str = "") -> tuple[str, str, str]:
    """(short code as shown, locator, Argon2id hash of the secret with the PIN). ``drawn``:
    a code an offline kiosk drew and showed already (checked by the caller)."""
    raw = normalise(drawn)[:-1] if drawn else _random_chars(
        SHORT_LOCATOR_CHARS + SHORT_SECRET_CHARS)
    shown = "-".join([*(raw[i:i + GROUP] for i in range(0, len(raw), GROUP)),
                      check_character(raw)])
    return shown, raw[:SHORT_LOCATOR_CHARS], _HASHER.hash(
        _pin_secret(raw[SHORT_LOCATOR_CHARS:], pin))


def is_short(code: str) -> bool:
    """Shaped like a short code (16 characters and the check), whether right or not."""
    return len(normalise(code)) == SHORT_LOCATOR_CHARS + SHORT_SECRET_CHARS + 1


def split_short(code: str) -> tuple[str, str] | None:
    """(locator, secret) of a short code whose check character matches; else None."""
    raw = normalise(code)
    if not is_short(code) or check_character(raw[:-1]) != raw[-1]:
        return None
    return raw[:SHORT_LOCATOR_CHARS], raw[SHORT_LOCATOR_CHARS:-1]


def verify_short(secret: str, pin: str, stored_hash: str | None) -> bool:
    return verify(_pin_secret(secret, pin), stored_hash)


def normalise(code: str) -> str:
    """What a person typed, as the canonical characters: case, spaces, dashes, O/0, I/L/1."""
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(c for c in code.upper().translate(table) if c in ALPHABET)


def split(code: str) -> tuple[str, str] | None:
    raw = normalise(code)
    if len(raw) != LOCATOR_CHARS + SECRET_CHARS:
        return None
    return raw[:LOCATOR_CHARS], raw[LOCATOR_CHARS:]


def verify(secret: str, stored_hash: str | None) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def burn_time() -> None:
    """A wrong-format or unknown code still costs one Argon2id verification."""
    verify("0" * SECRET_CHARS, None)


def address_key(ip_address: str | None) -> str:
    """A keyed hash of the address: enough to count tries, useless to find a complainant."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, (ip_address or "unknown").encode(), hashlib.sha256).hexdigest()


# A browser's terminal id for the throttle: random, signed, kept by the browser only.
TERMINAL_COOKIE = "cw_terminal"
TERMINAL_SALT = "custodywatch.complaints.terminal"
TERMINAL_MAX_AGE = 365 * 24 * 3600


def terminal_of(request: HttpRequest) -> str:
    """The terminal id the browser sent ("" if none, or a forged one)."""
    return request.get_signed_cookie(TERMINAL_COOKIE, default="", salt=TERMINAL_SALT) or ""


def terminal_cookie(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Gives a browser without one a terminal id, for its next tries: a try counts against
    the terminal it came with, so that dropping the cookie gains nothing."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not terminal_of(request):
            response.set_signed_cookie(
                TERMINAL_COOKIE, secrets.token_urlsafe(16), salt=TERMINAL_SALT,
                max_age=TERMINAL_MAX_AGE, httponly=True, samesite="Lax",
                secure=request.is_secure())
        return response

    return wrapped


def _keyed(kind: str, value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def code_key(code: str) -> str:
    """A keyed hash of a typed code's locator (known or not, so that counting tries per code
    tells nobody whether a locator exists); "" for a code of the wrong shape."""
    parts = split(code) or split_short(code)
    return _keyed("code", parts[0]) if parts is not None else ""


def terminal_key(terminal: str) -> str:
    """A keyed hash of a terminal's id (a random cookie of the browser); "" for none."""
    return _keyed("terminal", terminal) if terminal else ""


def proof_of_filing(*, reference: str, received_at: dt.datetime, content_sha256: str) -> str:
    """The text a complainant keeps; its SHA-256 is in the evidence ledger.

    It proves that a complaint with this content was filed at this time without revealing
    the content: a court given the complaint recomputes `content` and finds the leaf.
    """
    moment = received_at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return (
        "CustodyWatch complaint receipt v1\n"
        f"reference: {reference}\n"
        f"filed: {moment}\n"
        f"content-sha256: {content_sha256}\n"
    )
