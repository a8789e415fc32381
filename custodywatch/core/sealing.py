"""Envelope encryption for values that must be unreadable at rest (identities, interview notes).

Each sealed value gets its own random 256-bit data key; the value is encrypted with
AES-256-GCM under that data key, and the data key is itself encrypted ("wrapped") with
AES-256-GCM under the master key. The caller's `context` (for instance
"complaints.identity:42") is authenticated associated data of both layers: a sealed value
copied into another row, or read under another purpose, fails to open.

The master key lives in a file, never in the database and never in the code:
- `CUSTODYWATCH_SEALING_KEY_FILE` names it in production (a secrets mount, an HSM export);
- the embedded default creates `settings.VAR_DIR / "sealing.key"` (mode 0600) on first use.

The file holds one or more keys, one per line, base64 of 32 bytes; `#` starts a comment.
The FIRST key seals; every key opens what it sealed (each sealed value names its key by a
fingerprint). Rotation, therefore: put a new key on the first line, keep the old ones below,
run `rewrap()` over the stored values (only the small wrapped data key changes, the bulk
ciphertext stays), then remove the old line. docs/complaints.md describes it step by step.

Layout of a sealed value (all lengths fixed but the last):
    b"CWS1" | key fingerprint (8) | wrap nonce (12) | wrapped data key (32 + 16 tag)
            | data nonce (12) | ciphertext + tag (len(plaintext) + 16)
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["KEY_FILE_ENV", "SealingError", "blind_token", "blind_tokens", "generate_key_line",
           "keyed_digests", "rewrap", "seal", "unseal"]

KEY_FILE_ENV = "CUSTODYWATCH_SEALING_KEY_FILE"
MAGIC = b"CWS1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
FINGERPRINT_BYTES = 8
_HEADER = len(MAGIC) + FINGERPRINT_BYTES
_WRAPPED = NONCE_BYTES + KEY_BYTES + TAG_BYTES
_MINIMUM = _HEADER + _WRAPPED + NONCE_BYTES + TAG_BYTES


class SealingError(Exception):
    """A value could not be sealed or opened: wrong context, unknown key, damaged bytes."""


@dataclass(frozen=True)
class _Keyring:
    current: bytes
    by_fingerprint: dict[bytes, bytes]


def _fingerprint(key: bytes) -> bytes:
    return hashlib.sha256(b"custodywatch sealing key\n" + key).digest()[:FINGERPRINT_BYTES]


def generate_key_line() -> str:
    """A new master key as one line of a key file."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _key_file_path() -> Path:
    configured = os.environ.get(KEY_FILE_ENV, "").strip()
    if configured:
        return Path(configured)
    # Imported late on purpose: the kernel of this module is usable without Django settings
    # (a key file named by the environment), and settings are read only for the default.
    from django.conf import settings

    path = Path(settings.VAR_DIR) / "sealing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together never write two different keys.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path
        with os.fdopen(descriptor, "w") as handle:
            handle.write("# CustodyWatch sealing master key: back it up apart from the database\n")
            handle.write(generate_key_line() + "\n")
    return path


def _parse_keys(text: str, path: Path) -> _Keyring:
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            key = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise SealingError(f"{path}:{number}: not base64") from None
        if len(key) != KEY_BYTES:
            raise SealingError(f"{path}:{number}: a key is {KEY_BYTES} bytes, not {len(key)}")
        keys.append(key)
    if not keys:
        raise SealingError(f"{path}: no key")
    return _Keyring(current=keys[0], by_fingerprint={_fingerprint(key): key for key in keys})


_cache_lock = threading.Lock()
_cache: dict[tuple[str, int, int], _Keyring] = {}


def _keyring() -> _Keyring:
    path = _key_file_path()
    try:
        stat = path.stat()
    except OSError as error:
        raise SealingError(f"cannot read the sealing key file {path}: {error}") from None
    # Keyed by modification time and size: a rotated file is read again without a restart.
    cache_key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        keyring = _cache.get(cache_key)
        if keyring is None:
            keyring = _parse_keys(path.read_text(), path)
            _cache.clear()
            _cache[cache_key] = keyring
        return keyring


def _associated_data(context: str) -> bytes:
    if not context:
        raise SealingError("a context is required")
    return MAGIC + b"\n" + context.encode()


def _wrap(master: bytes, data_key: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, data_key, aad)


def seal(plaintext: bytes, *, context: str) -> bytes:
    """Encrypt `plaintext` for storage; only `unseal` with the same context opens it."""
    if not isinstance(plaintext, bytes | bytearray):
        raise SealingError("seal() takes bytes")
    aad = _associated_data(context)
    keyring = _keyring()
    data_key = AESGCM.generate_key(bit_length=256)
    data_nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(data_nonce, bytes(plaintext), aad)
    return (MAGIC + _fingerprint(keyring.current) + _wrap(keyring.current, data_key, aad)
            + data_nonce + ciphertext)


def _split(sealed: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    if not isinstance(sealed, bytes | bytearray | memoryview):
        raise SealingError("unseal() takes bytes")
    sealed = bytes(sealed)
    if len(sealed) < _MINIMUM or not sealed.startswith(MAGIC):
        raise SealingError("not a sealed value")
    fingerprint = sealed[len(MAGIC):_HEADER]
    wrapped = sealed[_HEADER:_HEADER + _WRAPPED]
    data_nonce = sealed[_HEADER + _WRAPPED:_HEADER + _WRAPPED + NONCE_BYTES]
    ciphertext = sealed[_HEADER + _WRAPPED + NONCE_BYTES:]
    return fingerprint, wrapped, data_nonce, ciphertext


def _unwrap(keyring: _Keyring, fingerprint: bytes, wrapped: bytes, aad: bytes) -> bytes:
    master = keyring.by_fingerprint.get(fingerprint)
    if master is None:
        raise SealingError("sealed with a key that is not in the key file")
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag:
        raise SealingError("wrong context or damaged value") from None


def unseal(sealed: bytes, *, context: str) -> bytes:
    """The plaintext of a sealed value; SealingError on a wrong context or any damage."""
    aad = _associated_data(context)
    fingerprint, wrapped, data_nonce, ciphertext = _split(sealed)
    data_key = _unwrap(_keyring(), fingerprint, wrapped, aad)
    try:
        return AESGCM(data_key).decrypt(data_nonce, ciphertext, aad)
    except InvalidTag:
        raise SealingError("wrong context or damaged value") from None


def rewrap(sealed: bytes, *, context: str) -> bytes:
    """The same value with its data key wrapped by the current master key (key rotation)."""
    aad = _associated_data(context)
    fingerprint, wrapped, data_nonce, ciphertext = _split(sealed)
    keyring = _keyring()
    data_key = _unwrap(keyring, fingerprint, wrapped, aad)
    return (MAGIC + _fingerprint(keyring.current) + _wrap(keyring.current, data_key, aad)
            + data_nonce + ciphertext)



def _masters() -> list[bytes]:
    keyring = _keyring()
    return [keyring.current, *(key for key in keyring.by_fingerprint.values()
                               if key != keyring.current)]


@functools.lru_cache(maxsize=64)
def _derived(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, b"CWS1-keyed\n" + purpose.encode(), hashlib.sha256).digest()


def keyed_digests(message: str, *, purpose: str, current_only: bool = False) -> list[bytes]:
    """HMAC-SHA-256 of ``message`` under a key derived from every master key for ``purpose``
    (current key first; only it with ``current_only``): secret salts and search tokens that
    nobody without the key file can compute, and that still match after a key rotation."""
    masters = [_keyring().current] if current_only else _masters()
    return [hmac.new(_derived(master, purpose), message.encode(), hashlib.sha256).digest()
            for master in masters]


def blind_token(term: str, *, purpose: str) -> str:
    """A keyed hash of a search term under the current key (a "blind index"): equal terms
    give equal tokens, so sealed text can be searched by word, and nobody without the key
    file can test a guess against the stored tokens."""
    return keyed_digests(term, purpose=purpose, current_only=True)[0].hex()[:16]


def blind_tokens(term: str, *, purpose: str) -> list[str]:
    """The term's token under every key of the key file (current first): what a search looks
    for, so rows indexed before a key rotation are still found."""
    return [digest.hex()[:16] for digest in keyed_digests(term, purpose=purpose)]
