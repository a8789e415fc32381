"""C2SP signed notes (golang.org/x/mod/sumdb/note) with Ed25519 keys; no Django import.

A note is UTF-8 text ending in a newline, a blank line, then one line per signature:
``— <key name> <base64(key id || signature)>``. The key id is the first four bytes of
``SHA-256(name || 0x0A || 0x01 || public key)``, so a verifier picks its key without trying all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "ALGORITHM_ED25519",
    "NoteError",
    "Note",
    "Signature",
    "Signer",
    "Verifier",
    "generate_key",
    "key_id",
    "open_note",
    "sign_note",
]

ALGORITHM_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
PRIVATE_PREFIX = "PRIVATE+KEY+"
MAX_SIGNATURES = 100  # as golang/mod: a note with more is malformed, not slow to check
_NAME = re.compile(r"[^\s+]+")


class NoteError(ValueError):
    """A malformed key or note, or a signature that does not verify."""


def key_id(name: str, public_key: bytes) -> int:
    """``SHA-256(name || "\\n" || 0x01 || public key)[:4]`` as a big-endian integer."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALGORITHM_ED25519]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def _valid_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name)) and name.isprintable()


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError("bad base64") from None


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    name: str
    key_hash: int
    public_key: bytes

    @classmethod
    def from_text(cls, text: str) -> Verifier:
        """Parse ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        parts = text.strip().split("+", 2)  # base64 may hold '+' itself
        if len(parts) != 3 or not _valid_name(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}",
                                                                               parts[1]):
            raise NoteError("malformed verifier key")
        raw = _b64decode(parts[2])
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise NoteError("unknown key algorithm or length")
        verifier = cls(parts[0], int(parts[1], 16), raw[1:])
        if key_id(verifier.name, verifier.public_key) != verifier.key_hash:
            raise NoteError("verifier key id does not match its key")
        return verifier

    def to_text(self) -> str:
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_hash:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    key_hash: int
    seed: bytes = field(repr=False)

    @classmethod
    def from_text(cls, text: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``."""
        text = text.strip()
        if not text.startswith(PRIVATE_PREFIX):
            raise NoteError("malformed signer key")
        parts = text[len(PRIVATE_PREFIX):].split("+", 2)
        if len(parts) != 3 or not _valid_name(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}",
                                                                               parts[1]):
            raise NoteError("malformed signer key")
        raw = _b64decode(parts[2])
        if len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
            raise NoteError("unknown key algorithm or length")
        signer = cls(parts[0], int(parts[1], 16), raw[1:])
        if key_id(signer.name, signer.verifier().public_key) != signer.key_hash:
            raise NoteError("signer key id does not match its key")
        return signer

    def to_text(self) -> str:
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.seed).decode()
        return f"{PRIVATE_PREFIX}{self.name}+{self.key_hash:08x}+{encoded}"

    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def verifier(self) -> Verifier:
        public = _public_bytes(self._private().public_key())
        return Verifier(self.name, key_id(self.name, public), public)

    def sign(self, message: bytes) -> bytes:
        return self._private().sign(message)


def generate_key(name: str) -> tuple[Signer, Verifier]:
    if not _valid_name(name):
        raise NoteError("a key name has no spaces and no '+'")
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    signer = Signer(name, key_id(name, _public_bytes(private.public_key())), seed)
    return signer, signer.verifier()


@dataclass(frozen=True)
class Signature:
    name: str
    key_hash: int
    signature: bytes  # without the four key-id bytes

    def line(self) -> str:
        payload = self.key_hash.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(payload).decode()}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]  # verified
    unverified: tuple[Signature, ...] = ()


def _check_text(text: str) -> None:
    # As golang/mod: text ends in a newline and holds no control character but newlines.
    if len(text) < 2 or not text.endswith("\n"):
        raise NoteError("malformed note")
    if any(ord(c) < 0x20 and c != "\n" or ord(c) == 0x7F for c in text):
        raise NoteError("malformed note")


def sign_note(text: str, *signers: Signer) -> str:
    """The note text followed by a blank line and one signature line per signer."""
    _check_text(text)
    lines = [Signature(s.name, s.key_hash, s.sign(text.encode())).line() for s in signers]
    return text + "\n" + "".join(lines)


def _parse_signature(line: str) -> Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("malformed note")
    name, _, encoded = line[len(SIGNATURE_PREFIX):].partition(" ")
    if not _valid_name(name) or not encoded:
        raise NoteError("malformed note")
    raw = _b64decode(encoded)
    if len(raw) < 5:
        raise NoteError("malformed note")
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def split_note(message: str) -> tuple[str, list[Signature]]:
    """The signed text and the signature lines, not yet verified."""
    if not message.endswith("\n"):
        raise NoteError("malformed note")
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note")
    text, block = message[: split + 1], message[split + 2:]
    _check_text(text)
    lines = block.split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed note")
    return text, [_parse_signature(line) for line in lines]


def open_note(message: str | bytes, verifiers: list[Verifier]) -> Note:
    """Check a signed note; at least one signature must verify against a known key.

    Signatures by unknown keys are kept as unverified (a witness's cosignature, say); a signature
    by a known key that does not verify is an error: the note was altered.
    """
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed note") from None
    text, signatures = split_note(message)
    known = {(v.name, v.key_hash): v for v in verifiers}
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_hash))
        if verifier is None:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if not verifier.verify(text.encode(), signature.signature):
            raise NoteError(f"invalid signature for key {signature.name}+{signature.key_hash:08x}")
        if signature not in verified:
            verified.append(signature)
    if not verified:
        raise NoteError("note has no verifiable signatures")
    return Note(text, tuple(verified), tuple(unverified))
