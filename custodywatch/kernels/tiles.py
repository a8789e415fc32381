"""Subtree hashes from 256-wide hash tiles (C2SP tlog-tiles layout); no Django import.

Tile ``(level, index)`` holds the hashes of the nodes at height ``8 * level`` numbered
``256 * index .. 256 * index + 255``; level 0 holds leaf hashes. Only full tiles are stored, so a
stored tile never changes. The right edge, which no full tile covers yet, is read as at most 255
entries: leaf hashes at level 0, and the roots of full tiles one level down above it.

Any aligned subtree is then one tile read plus at most 127 node hashes, so a proof costs
O(log n) reads, never a rebuild.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from custodywatch.kernels.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "MemoryTiles",
    "TileReader",
    "TiledTree",
    "fold_perfect",
    "tiles_completed",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT


class TileReader(Protocol):
    def full_tile(self, level: int, index: int) -> bytes | None:
        """The 256 hashes of a full tile, concatenated, or None if it is not full (yet)."""
        ...

    def edge_entries(self, level: int, start: int, end: int) -> list[bytes]:
        """Hashes of nodes ``[start, end)`` at height ``8 * level`` outside any full tile."""
        ...


def fold_perfect(hashes: list[bytes]) -> bytes:
    """Root of a perfect subtree given its 2**k lowest nodes, left to right."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def tiles_completed(old_size: int, new_size: int) -> Iterator[tuple[int, int]]:
    """The tiles that become full when a tree grows from old_size to new_size, lowest first."""
    level = 0
    while new_size >> (TILE_HEIGHT * (level + 1)):
        shift = TILE_HEIGHT * (level + 1)
        for index in range(old_size >> shift, new_size >> shift):
            yield level, index
        level += 1


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class TiledTree:
    """The tree of the first ``size`` leaves, read through a :class:`TileReader`.

    Implements :class:`custodywatch.kernels.merkle.SubtreeHashes`; caches the tiles it reads for
    its own lifetime (one proof or one request), so a proof reads each tile once.
    """

    def __init__(self, size: int, reader: TileReader) -> None:
        self.size = size
        self._reader = reader
        self._tiles: dict[tuple[int, int], bytes | None] = {}
        self.reads = 0

    def _tile(self, level: int, index: int) -> bytes | None:
        key = (level, index)
        if key not in self._tiles:
            self.reads += 1
            self._tiles[key] = self._reader.full_tile(level, index)
        return self._tiles[key]

    def node(self, height: int, index: int) -> bytes:
        """Hash of the complete subtree of leaves ``[index << height, (index + 1) << height)``."""
        if (index + 1) << height > self.size:
            raise ValueError(f"node {height}/{index} is not complete in a tree of {self.size}")
        level, rest = divmod(height, TILE_HEIGHT)
        first, count = index << rest, 1 << rest
        tile = self._tile(level, first >> TILE_HEIGHT)
        if tile is not None:
            offset = (first % TILE_WIDTH) * HASH_SIZE
            chunk = tile[offset: offset + count * HASH_SIZE]
            entries = [chunk[i: i + HASH_SIZE] for i in range(0, len(chunk), HASH_SIZE)]
        else:
            self.reads += 1
            entries = self._reader.edge_entries(level, first, first + count)
            if len(entries) != count:
                raise ValueError(f"store returned {len(entries)} of {count} entries")
        return fold_perfect(entries)

    def subtree_hash(self, start: int, end: int) -> bytes:
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) outside tree of size {self.size}")
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            height = n.bit_length() - 1
            return self.node(height, start >> height)
        mid = start + _split(n)
        return node_hash(self.subtree_hash(start, mid), self.subtree_hash(mid, end))

    def root(self) -> bytes:
        return self.subtree_hash(0, self.size)


class MemoryTiles:
    """A :class:`TileReader` over leaf hashes in memory: the reference the database store and
    the tests compare with."""

    def __init__(self, leaf_hashes: list[bytes] | None = None) -> None:
        self.leaf_hashes: list[bytes] = []
        self.tiles: dict[tuple[int, int], bytes] = {}
        for value in leaf_hashes or []:
            self.append(value)

    def append(self, leaf_hash: bytes) -> None:
        old = len(self.leaf_hashes)
        self.leaf_hashes.append(leaf_hash)
        for level, index in tiles_completed(old, old + 1):
            start = index * TILE_WIDTH
            self.tiles[level, index] = b"".join(self._entries(level, start, start + TILE_WIDTH))

    def _entries(self, level: int, start: int, end: int) -> list[bytes]:
        if level == 0:
            return self.leaf_hashes[start:end]
        return [fold_perfect(self._split_tile(level - 1, i)) for i in range(start, end)]

    def _split_tile(self, level: int, index: int) -> list[bytes]:
        tile = self.tiles[level, index]
        return [tile[i: i + HASH_SIZE] for i in range(0, len(tile), HASH_SIZE)]

    def full_tile(self, level: int, index: int) -> bytes | None:
        return self.tiles.get((level, index))

    def edge_entries(self, level: int, start: int, end: int) -> list[bytes]:
        return self._entries(level, start, end)
