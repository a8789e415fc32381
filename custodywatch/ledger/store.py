"""The database as a tile reader: full tiles from ``Tile``, the right edge from leaves."""

from __future__ import annotations

from custodywatch.kernels.merkle import HASH_SIZE
from custodywatch.kernels.tiles import TILE_WIDTH, TiledTree
from custodywatch.ledger.models import Leaf, Tile


def split_hashes(blob: bytes | memoryview) -> list[bytes]:
    raw = bytes(blob)
    return [raw[i: i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE)]


class DatabaseTiles:
    """:class:`custodywatch.kernels.tiles.TileReader` over the ledger tables.

    ``overlay`` holds entries written in the current batch but not yet read back, keyed by
    (level, node index), so the integrator builds tiles without re-reading what it just wrote.
    """

    def __init__(self, overlay: dict[tuple[int, int], bytes] | None = None) -> None:
        self.overlay = overlay if overlay is not None else {}

    def full_tile(self, level: int, index: int) -> bytes | None:
        blob = (Tile.objects.filter(level=level, index=index)
                .values_list("hashes", flat=True).first())
        return bytes(blob) if blob is not None else None

    def edge_entries(self, level: int, start: int, end: int) -> list[bytes]:
        found = {i: self.overlay[level, i] for i in range(start, end) if (level, i) in self.overlay}
        missing = [i for i in range(start, end) if i not in found]
        if missing:
            low, high = missing[0], missing[-1] + 1
            if level == 0:
                rows = (Leaf.objects.filter(index__gte=low, index__lt=high)
                        .values_list("index", "leaf_hash"))
            else:
                rows = (Tile.objects.filter(level=level - 1, index__gte=low, index__lt=high)
                        .values_list("index", "root"))
            for i, value in rows:
                found.setdefault(i, bytes(value))
        if len(found) != end - start:
            raise LookupError(f"ledger store lacks entries [{start}, {end}) at level {level}")
        return [found[i] for i in range(start, end)]


def tree(size: int) -> TiledTree:
    return TiledTree(size, DatabaseTiles())


__all__ = ["TILE_WIDTH", "DatabaseTiles", "split_hashes", "tree"]
