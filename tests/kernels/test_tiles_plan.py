"""Planned proofs (one read, then assembly) against the in-memory tree as the oracle.

The "store" here answers a plan the way ledger/store.py's query does: full tiles (with or
without their internal rows), entries of tiles not full at the size, the stored right edge.
Sizes cross tile boundaries at levels 0 and 1 (256 and 65,536 leaves).
"""

from __future__ import annotations

import hashlib
import random

import pytest

from custodywatch.kernels import merkle
from custodywatch.kernels.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    MemoryTiles,
    compact_nodes,
    fold_perfect,
    internal_nodes,
    perfect_nodes,
    plan_nodes,
    proof_ranges,
    range_hash,
    resolve_nodes,
)

SIZES = [1, 2, 3, 255, 256, 257, 511, 512, 700, 65_535, 65_536, 65_537, 70_001]


@pytest.fixture(scope="module")
def world():
    hashes = [hashlib.sha256(b"\x00" + n.to_bytes(8, "big")).digest()
              for n in range(max(SIZES))]
    tree = merkle.MemoryTree(hashes)
    WORLD_TREE[:] = [tree]
    return hashes, MemoryTiles(hashes), tree


def answer(plan, tiles: MemoryTiles, hashes, size, *, with_nodes=True, with_edge=True):
    """What the database query returns for ``plan``, built from the memory store."""
    full = {}
    for level, indexes in plan.tiles.items():
        for index in indexes:
            blob = tiles.tiles[level, index]
            entries = [blob[i: i + 32] for i in range(0, len(blob), 32)]
            full[level, index] = (blob, internal_nodes(entries) if with_nodes else None)
    entries = {}
    for level, (low, high) in plan.partial.items():
        for i in range(low, high):
            entries[level, i] = (hashes[i] if level == 0 else
                                 fold_perfect(tiles._split_tile(level - 1, i)))
    edge = None
    if with_edge:  # the compact range's hashes are the roots of its perfect subtrees
        edge = [range_hash_memory(hashes, height, index) for height, index in compact_nodes(size)]
    return resolve_nodes(plan, edge=edge, tiles=full, entries=entries)


def range_hash_memory(hashes, height, index):
    return WORLD_TREE[0].subtree_hash(index << height, (index + 1) << height)


WORLD_TREE: list[merkle.MemoryTree] = []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["all", "no_nodes", "no_edge"])
def test_planned_proofs_equal_the_memory_trees(world, size, mode):
    hashes, tiles, tree = world
    rng = random.Random(size)
    indexes = {0, size - 1, size // 2, *(rng.randrange(size) for _ in range(5))}
    for index in sorted(indexes):
        nodes = proof_ranges(lambda get, i=index: merkle.inclusion_proof(i, size, get))
        plan = plan_nodes(size, nodes, have_edge=mode != "no_edge")
        known = answer(plan, tiles, hashes, size, with_nodes=mode != "no_nodes",
                       with_edge=mode != "no_edge")
        proof = merkle.inclusion_proof(index, size, lambda s, e, k=known: range_hash(k, s, e))
        assert proof == merkle.inclusion_proof(index, size, tree)
        assert merkle.verify_inclusion(index, size, hashes[index], proof, tree.root(size))
    for first in sorted({1, size // 3, size - 1, rng.randrange(1, size + 1)} - {0}):
        nodes = proof_ranges(lambda get, f=first: merkle.consistency_proof(f, size, get))
        plan = plan_nodes(size, nodes, have_edge=mode != "no_edge")
        known = answer(plan, tiles, hashes, size, with_nodes=mode != "no_nodes",
                       with_edge=mode != "no_edge")
        proof = merkle.consistency_proof(first, size, lambda s, e, k=known: range_hash(k, s, e))
        assert proof == merkle.consistency_proof(first, size, tree)


def test_plans_read_little_and_missing_data_is_a_lookup_error(world):
    hashes, tiles, _tree = world
    size = 70_001
    nodes = proof_ranges(lambda get: merkle.inclusion_proof(12_345, size, get))
    plan = plan_nodes(size, nodes)
    # One tile per level on the leaf's path, at most; the right edge comes with the checkpoint.
    assert sum(len(v) for v in plan.tiles.values()) <= 3
    assert all(high - low < TILE_WIDTH for low, high in plan.partial.values())
    with pytest.raises(LookupError):
        resolve_nodes(plan, edge=None, tiles={}, entries={})


def test_internal_rows_and_node_decomposition():
    entries = [hashlib.sha256(bytes([n])).digest() for n in range(TILE_WIDTH)]
    rows = internal_nodes(entries)
    assert len(rows) == (TILE_WIDTH - 1) * 32
    assert rows[-32:] == fold_perfect(entries)
    assert rows[:32] == merkle.node_hash(entries[0], entries[1])
    assert perfect_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert compact_nodes(7) == [(2, 0), (1, 2), (0, 6)]
    assert compact_nodes(1 << (2 * TILE_HEIGHT)) == [(2 * TILE_HEIGHT, 0)]
