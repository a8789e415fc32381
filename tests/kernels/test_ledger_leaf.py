from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf, encode_leaf, iso_time

SHA = "ab" * 32
FIELDS = {"evidence": "E-1", "sha256": SHA, "size": 10, "by": "gpo",
          "at": "2024-01-05T05:00:00.250Z", "name": "Видео"}


def test_encoding_is_canonical_and_versioned() -> None:
    data = encode_leaf("evidence_registered", FIELDS)
    assert data.startswith(b"CWL1\nevidence_registered\n{")
    assert data == encode_leaf("evidence_registered", dict(reversed(FIELDS.items())))
    assert "Видео".encode() in data  # UTF-8, not \u escapes
    assert decode_leaf(data) == ("evidence_registered", FIELDS)


def test_floats_and_bad_hashes_are_refused() -> None:
    with pytest.raises(LeafError, match="float"):
        encode_leaf("evidence_registered", {**FIELDS, "size": 1.5})
    with pytest.raises(LeafError, match="sha256"):
        encode_leaf("evidence_registered", {**FIELDS, "sha256": SHA.upper()})
    with pytest.raises(LeafError, match="missing"):
        encode_leaf("evidence_registered", {"evidence": "E-1"})


def test_non_canonical_bytes_do_not_decode() -> None:
    data = encode_leaf("evidence_registered", FIELDS)
    with pytest.raises(LeafError):
        decode_leaf(data.replace(b'{"at"', b'{ "at"'))
    with pytest.raises(LeafError):
        decode_leaf(b"CWL2" + data[4:])


def test_iso_time_is_one_spelling_per_instant() -> None:
    moment = datetime(2024, 1, 5, 10, 0, 0, 250_123, tzinfo=timezone(timedelta(hours=5)))
    assert iso_time(moment) == "2024-01-05T05:00:00.250Z"
    assert iso_time(moment.astimezone(UTC)) == iso_time(moment)
    with pytest.raises(LeafError):
        iso_time(datetime(2024, 1, 5))  # noqa: DTZ001 - the naive datetime is the point
