from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from custodywatch.kernels.merkle import MemoryTree, inclusion_proof, leaf_hash, verify_inclusion
from custodywatch.kernels.tiles import MemoryTiles, TiledTree, tiles_completed


def _hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def test_tiles_completed_lists_each_new_full_tile_once() -> None:
    assert list(tiles_completed(0, 255)) == []
    assert list(tiles_completed(0, 256)) == [(0, 0)]
    assert list(tiles_completed(250, 520)) == [(0, 0), (0, 1)]
    assert list(tiles_completed(65535, 65536)) == [(0, 255), (1, 0)]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 70_000), st.data())
def test_tiled_tree_matches_memory_tree(size: int, data: st.DataObject) -> None:
    hashes = _hashes(size)
    reference = MemoryTree(hashes)
    tiled = TiledTree(size, MemoryTiles(hashes))
    assert tiled.root() == reference.root()
    a = data.draw(st.integers(0, size))
    b = data.draw(st.integers(a, size))
    assert tiled.subtree_hash(a, b) == reference.subtree_hash(a, b)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, TiledTree(size, MemoryTiles(hashes)))
    assert proof == inclusion_proof(index, size, reference)
    assert verify_inclusion(index, size, hashes[index], proof, reference.root())


def test_a_proof_reads_few_tiles() -> None:
    size = 300_000
    tiles = MemoryTiles(_hashes(size))
    tree = TiledTree(size, tiles)
    proof = inclusion_proof(123_457, size, tree)
    # 1,172 tiles in store; the 19-hash proof touches a handful of them (cached per tree) and the
    # right edge: O(log n) reads, not a rebuild.
    assert len(proof) == 19
    assert tree.reads <= 16
