"""CompactRange.extend (the integrator's batch path) against append, one leaf at a time."""

from __future__ import annotations

import hashlib

import pytest

from custodywatch.kernels import merkle


@pytest.mark.parametrize("split", [0, 1, 255, 256, 1000])
def test_extend_equals_appends_from_any_starting_size(split):
    hashes = [hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(1300)]
    one = merkle.CompactRange()
    for value in hashes:
        one.append(value)
    batched = merkle.CompactRange()
    for value in hashes[:split]:
        batched.append(value)
    assert batched.extend(hashes[split:]) == split
    assert (batched.size, batched.hashes, batched.root()) == (one.size, one.hashes, one.root())
    assert batched.root() == merkle.root_from_leaf_hashes(hashes)


def test_extend_refuses_what_is_not_a_hash():
    edge = merkle.CompactRange()
    with pytest.raises(ValueError):
        edge.extend([b"short"])
