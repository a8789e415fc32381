"""Canonical, versioned byte encoding of the ledger's leaves; no Django import.

A leaf is ``b"CWL1" || 0x0A || kind || 0x0A || canonical JSON``, where canonical JSON has sorted
keys, no spaces, UTF-8 (not ``\\u`` escapes) and only strings, integers, booleans and null:
floats have no single spelling, so they are refused. Times are UTC ISO 8601 with milliseconds
and ``Z``; hashes are lowercase hex SHA-256. docs/ledger.md lists every kind and its fields.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "LEAF_MAGIC",
    "LeafError",
    "canonical_json",
    "commitment",
    "decode_leaf",
    "encode_leaf",
    "iso_time",
    "sha256_hex",
]

LEAF_MAGIC = b"CWL1"  # the version: a change of encoding gets a new magic, never a silent change
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# The fields every kind must carry; more are allowed (a kind may grow, its old leaves stay valid).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "evidence_registered": ("evidence", "sha256", "size", "by", "at"),
    "custody_transfer": ("evidence", "sha256", "from", "to", "by", "at"),
    "recording_segment": ("facility", "camera", "start", "end", "sha256"),
    "legal_hold": ("subject", "action", "by", "at"),
    "complaint_receipt": ("receipt_sha256", "channel", "at"),
    "audit_event": ("event", "at", "actor", "action", "object_type", "object_id", "context"),
    "escrow_object": ("facility", "camera", "sha256", "stored_sha256", "size", "at"),
    "open_data_file": ("release", "name", "sha256", "size", "at"),
    "segment_fingerprint": ("facility", "camera", "sha256", "step_ms", "hashes", "at"),
}
HASH_FIELDS = ("sha256", "receipt_sha256", "context", "details", "stored_sha256")
COMMITMENT_MAGIC = b"CWC1\n"


class LeafError(ValueError):
    pass


_INT_LIMIT = 2**63


def _check_value(value: Any, path: str) -> None:
    kind = type(value)
    if kind is dict:
        # The common leaf, flat fields of plain scalars, without building a path per field.
        for key, item in value.items():
            item_kind = type(item)
            if type(key) is str and (item_kind is str or item_kind is bool or item is None
                                     or (item_kind is int and -_INT_LIMIT < item < _INT_LIMIT)):
                continue
            if not isinstance(key, str):
                raise LeafError(f"{path}: keys are strings")
            _check_value(item, f"{path}.{key}")
        return
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            raise LeafError(f"{path}: integer out of range")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise LeafError(f"{path}: keys are strings")
            _check_value(item, f"{path}.{key}")
        return
    raise LeafError(f"{path}: {type(value).__name__} has no canonical encoding")


_JSON_OPTIONS: dict[str, Any] = {"sort_keys": True, "separators": (",", ":"),
                                  "ensure_ascii": False}


def _make_dumps() -> Callable[[Any], str]:
    """``json.dumps(value, **_JSON_OPTIONS)``, built once (the hot path encodes every leaf).

    The standard library's C encoder, made with the very arguments ``JSONEncoder.iterencode``
    gives it for these options; ``json.dumps`` per call rebuilt an encoder and cost twice as
    much. No circular-reference markers: ``_check_value`` has walked the value already. Falls
    back to a reused ``JSONEncoder`` where the C encoder is missing or its signature differs.
    """
    encoder = json.JSONEncoder(**_JSON_OPTIONS)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is not None:
        try:
            one_shot = make(None, encoder.default, json.encoder.encode_basestring, None,
                            encoder.key_separator, encoder.item_separator, True, False, True)
            probe = {"b": [1, None, True], "a": "\u00e9\n\"", "c": {"z": -1, "y": ""}}
            if "".join(one_shot(probe, 0)) == json.dumps(probe, **_JSON_OPTIONS):
                return lambda value: "".join(one_shot(value, 0))
        except TypeError:
            pass
    return encoder.encode


_dumps = _make_dumps()


def canonical_json(value: Any) -> bytes:
    _check_value(value, "$")
    return _dumps(value).encode()


def commitment(salt: bytes, details: dict[str, Any]) -> str:
    """A salted commitment to some details: ``SHA-256("CWC1\\n" || salt || canonical JSON)``.

    A leaf holds this instead of details its readers may not see (a complaint's reference, a
    case's number, who handed evidence to whom); whoever is given the salt and the details can
    check them against the leaf, and without the salt nobody can test a guess.
    """
    if len(salt) < 16:
        raise LeafError("a commitment needs a salt of at least 16 bytes")
    return hashlib.sha256(COMMITMENT_MAGIC + salt + canonical_json(details)).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def iso_time(moment: datetime) -> str:
    """UTC, milliseconds, ``Z``: one spelling for one instant."""
    if moment.tzinfo is None:
        raise LeafError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# b"CWL1\n<kind>\n" and the required names of each known kind, so a leaf of a known kind
# costs a dict lookup, not a regular expression, a list and three concatenations.
_KNOWN_KINDS: dict[str, tuple[bytes, frozenset[str]]] = {
    kind: (LEAF_MAGIC + b"\n" + kind.encode() + b"\n", frozenset(required))
    for kind, required in REQUIRED_FIELDS.items()
}


def encode_leaf(kind: str, fields: dict[str, Any]) -> bytes:
    known = _KNOWN_KINDS.get(kind) if isinstance(kind, str) else None
    if known is not None and type(fields) is dict and known[1] <= fields.keys():
        prefix = known[0]
    else:
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise LeafError(f"bad kind {kind!r}")
        missing = [name for name in REQUIRED_FIELDS.get(kind, ()) if name not in fields]
        if missing:
            raise LeafError(f"{kind}: missing {', '.join(missing)}")
        prefix = LEAF_MAGIC + b"\n" + kind.encode() + b"\n"
    for name in HASH_FIELDS:
        if name in fields and not (isinstance(fields[name], str)
                                   and _SHA256_HEX.fullmatch(fields[name])):
            raise LeafError(f"{kind}: {name} must be lowercase hex SHA-256")
    return prefix + canonical_json(fields)


def decode_leaf(data: bytes) -> tuple[str, dict[str, Any]]:
    """Kind and fields; refuses any byte string that :func:`encode_leaf` would not produce."""
    try:
        magic, kind_bytes, body = data.split(b"\n", 2)
        kind = kind_bytes.decode("ascii")
        fields = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise LeafError("not a ledger leaf") from None
    if magic != LEAF_MAGIC or not isinstance(fields, dict):
        raise LeafError("not a version 1 ledger leaf")
    if encode_leaf(kind, fields) != data:
        raise LeafError("leaf is not in canonical form")
    return kind, fields
