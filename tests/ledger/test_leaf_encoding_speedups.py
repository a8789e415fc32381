"""The leaf encoder's fast paths (a C JSON encoder built once, a prefix per known kind) give the
very bytes, and the very errors, of the encoding as docs/ledger.md writes it down."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from custodywatch.kernels import ledger_leaf
from custodywatch.kernels.ledger_leaf import LEAF_MAGIC, REQUIRED_FIELDS, LeafError, encode_leaf
from custodywatch.ledger.models import LeafKind

SCALARS = (st.none() | st.booleans() | st.integers(-(2**63) + 1, 2**63 - 1)
           | st.text() | st.floats(allow_nan=False))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
NAMES = st.text(max_size=8) | st.sampled_from(
    ["sha256", "receipt_sha256", "context", "at", "by", "evidence", "size", "name"])
KINDS = st.sampled_from([*REQUIRED_FIELDS, "other_kind", "Bad", "", "a" * 41])


def reference(kind: str, fields: dict[str, Any]) -> bytes:
    """docs/ledger.md, literally: checks, then ``CWL1 \\n kind \\n json.dumps(...)``."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", kind):
        raise LeafError("bad kind")
    if any(name not in fields for name in REQUIRED_FIELDS.get(kind, ())):
        raise LeafError("missing")
    for name in ("sha256", "receipt_sha256", "context"):
        if name in fields and not (isinstance(fields[name], str)
                                   and re.fullmatch(r"[0-9a-f]{64}", fields[name])):
            raise LeafError("hash")
    ledger_leaf._check_value(fields, "$")  # noqa: SLF001 - the value rules are not the point
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return LEAF_MAGIC + b"\n" + kind.encode() + b"\n" + body.encode()


def outcome(kind: str, fields: dict[str, Any]) -> bytes | type:
    try:
        return encode_leaf(kind, fields)
    except (LeafError, UnicodeEncodeError) as error:
        return type(error)


def reference_outcome(kind: str, fields: dict[str, Any]) -> bytes | type:
    try:
        return reference(kind, fields)
    except (LeafError, UnicodeEncodeError) as error:
        return type(error)


@settings(max_examples=400, deadline=None)
@given(KINDS, st.dictionaries(NAMES, VALUES, max_size=8), st.booleans())
def test_fast_encoder_gives_the_reference_bytes(kind: str, fields: dict[str, Any],
                                                complete: bool) -> None:
    if complete:
        for name in REQUIRED_FIELDS.get(kind, ()):
            fields.setdefault(name, "x")
    assert outcome(kind, fields) == reference_outcome(kind, fields)


def test_a_kind_given_as_its_choice_encodes_as_its_value() -> None:
    fields = {"evidence": "E-1", "sha256": "ab" * 32, "size": 1, "by": "gpo",
              "at": "2024-01-05T05:00:00.250Z"}
    assert (encode_leaf(LeafKind.EVIDENCE_REGISTERED, fields)
            == reference("evidence_registered", fields))


def test_the_built_encoder_is_the_standard_one() -> None:
    value = {"é": ["\n\x01\"\\", None, True, -5], "a": {"z": "", "y": "Видео\u2028"}}
    assert ledger_leaf._dumps(value) == json.dumps(  # noqa: SLF001
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
