"""Subtree hashes from 256-wide hash tiles (C2SP tlog-tiles layout); no Django import.

Tile ``(level, index)`` holds the hashes of the nodes at height ``8 * level`` numbered
``256 * index .. 256 * index + 255``; level 0 holds leaf hashes. Only full tiles are stored, so a
stored tile never changes. The right edge, which no full tile covers yet, is read as at most 255
entries: leaf hashes at level 0, and the roots of full tiles one level down above it.

Any aligned subtree is then one tile read plus at most 127 node hashes, so a proof costs
O(log n) reads, never a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from custodywatch.kernels.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = [
    "INTERNAL_HASHES",
    "ProofPlan",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "MemoryTiles",
    "TileReader",
    "TiledTree",
    "compact_nodes",
    "fold_perfect",
    "internal_nodes",
    "perfect_nodes",
    "plan_nodes",
    "proof_ranges",
    "range_hash",
    "resolve_nodes",
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


# --------------------------------------------------------------------------- planned proofs
#
# A database proof in one read: list the perfect subtrees (nodes) a proof needs, fetch what
# holds them in one query, then assemble. A node is, by preference, (1) one of the right
# edge's perfect subtrees, kept with each checkpoint (its compact range); (2) a slice of a
# full tile, whose internal rows are stored beside its 256 hashes, so no hashing at all; or
# (3) folded from the entries of a tile that is not full at that size (at most 255).

Node = tuple[int, int]  # (height, index): leaves [index << height, (index + 1) << height)

# Rows of a full tile's internal nodes, heights 1..8 (128 + 64 + ... + 1 = 255 hashes).
INTERNAL_HASHES = TILE_WIDTH - 1


def internal_nodes(entries: list[bytes]) -> bytes:
    """Heights 1..8 of a full tile above its 256 entries, row by row, concatenated; the last
    hash is the tile's root."""
    if len(entries) != TILE_WIDTH:
        raise ValueError(f"a full tile has {TILE_WIDTH} entries, not {len(entries)}")
    rows = []
    while len(entries) > 1:
        entries = [node_hash(entries[i], entries[i + 1]) for i in range(0, len(entries), 2)]
        rows.append(b"".join(entries))
    return b"".join(rows)


def _internal_offset(rest: int) -> int:
    """Position (in hashes) of height ``rest`` (1..8) in :func:`internal_nodes`."""
    return TILE_WIDTH - (TILE_WIDTH >> (rest - 1))


def perfect_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees RFC 6962 splits ``[start, end)`` into, as :meth:`TiledTree.
    subtree_hash` does, left to right."""
    n = end - start
    if n <= 0:
        return []
    if n & (n - 1) == 0 and start % n == 0:
        height = n.bit_length() - 1
        return [(height, start >> height)]
    mid = start + _split(n)
    return perfect_nodes(start, mid) + perfect_nodes(mid, end)


def compact_nodes(size: int) -> list[Node]:
    """The right edge of a tree of ``size`` leaves: one perfect subtree per set bit, largest
    first, as :class:`custodywatch.kernels.merkle.CompactRange` keeps their hashes."""
    nodes, start = [], 0
    for height in range(size.bit_length() - 1, -1, -1):
        if size >> height & 1:
            nodes.append((height, start >> height))
            start += 1 << height
    return nodes


@dataclass(frozen=True)
class ProofPlan:
    """What to read for the nodes of a tree of ``size`` leaves."""

    size: int
    nodes: list[Node]
    edge: bool  # read the compact range stored with a checkpoint of this size
    tiles: dict[int, set[int]]  # level -> full tile indexes
    partial: dict[int, tuple[int, int]]  # level -> entry range [low, high) folded from below


def plan_nodes(size: int, nodes: list[Node], have_edge: bool = True) -> ProofPlan:
    compact = set(compact_nodes(size)) if have_edge else set()
    tiles: dict[int, set[int]] = {}
    partial: dict[int, tuple[int, int]] = {}
    for height, index in nodes:
        if (height, index) in compact:
            continue
        level, rest = divmod(height, TILE_HEIGHT)
        first = index << rest  # first entry at this level
        tile = first >> TILE_HEIGHT
        if ((tile + 1) * TILE_WIDTH) << (TILE_HEIGHT * level) <= size:
            tiles.setdefault(level, set()).add(tile)
        else:
            low, high = partial.get(level, (first, first + (1 << rest)))
            partial[level] = (min(low, first), max(high, first + (1 << rest)))
    return ProofPlan(size, nodes, bool(compact), tiles, partial)


def resolve_nodes(plan: ProofPlan, *, edge: list[bytes] | None,
                  tiles: dict[tuple[int, int], tuple[bytes, bytes | None]],
                  entries: dict[tuple[int, int], bytes]) -> dict[Node, bytes]:
    """Hashes of ``plan.nodes`` from what the read returned.

    ``edge``: the compact range's hashes (or None); ``tiles``: (level, index) -> (256 hashes,
    internal rows or None for a tile stored before they were kept); ``entries``: (level,
    entry index) -> hash for the partial ranges. Raises LookupError when something is missing.
    """
    known: dict[Node, bytes] = {}
    if edge is not None and plan.edge:
        compact = compact_nodes(plan.size)
        if len(edge) != len(compact):
            raise LookupError(f"stored right edge of size {plan.size} has {len(edge)} hashes")
        known.update(zip(compact, edge, strict=True))
    for height, index in plan.nodes:
        if (height, index) in known:
            continue
        level, rest = divmod(height, TILE_HEIGHT)
        first, count = index << rest, 1 << rest
        tile_index = first >> TILE_HEIGHT
        stored = tiles.get((level, tile_index))
        if stored is not None and plan.tiles.get(level) and tile_index in plan.tiles[level]:
            hashes, internal = stored
            if rest == 0:
                offset = first - tile_index * TILE_WIDTH
                known[height, index] = hashes[offset * HASH_SIZE: (offset + 1) * HASH_SIZE]
                continue
            if internal:
                offset = _internal_offset(rest) + index - (tile_index << (TILE_HEIGHT - rest))
                known[height, index] = internal[offset * HASH_SIZE: (offset + 1) * HASH_SIZE]
                continue
            chunk = hashes[(first % TILE_WIDTH) * HASH_SIZE: (first % TILE_WIDTH + count)
                           * HASH_SIZE]
            known[height, index] = fold_perfect(
                [chunk[i: i + HASH_SIZE] for i in range(0, len(chunk), HASH_SIZE)])
            continue
        if stored is None and level in plan.tiles and tile_index in plan.tiles[level]:
            raise LookupError(f"ledger store lacks tile {level}/{tile_index}")
        try:
            known[height, index] = fold_perfect([entries[level, i]
                                                 for i in range(first, first + count)])
        except KeyError:
            raise LookupError(f"ledger store lacks entries of node {height}/{index}") from None
    return known


def range_hash(known: dict[Node, bytes], start: int, end: int) -> bytes:
    """MTH of ``[start, end)`` from resolved nodes (see :func:`perfect_nodes`)."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        height = n.bit_length() - 1
        return known[height, start >> height]
    mid = start + _split(n)
    return node_hash(range_hash(known, start, mid), range_hash(known, mid, end))


def proof_ranges(proof: Callable[[Callable[[int, int], bytes]], object]) -> list[Node]:
    """The perfect nodes a proof function asks for: run it once on a recorder."""
    wanted: list[Node] = []

    def record(start: int, end: int) -> bytes:
        wanted.extend(perfect_nodes(start, end))
        return EMPTY_ROOT

    proof(record)
    return list(dict.fromkeys(wanted))
