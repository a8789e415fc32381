"""The database as a tile reader: full tiles from ``Tile``, the right edge from leaves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from custodywatch.kernels import merkle
from custodywatch.kernels.merkle import HASH_SIZE
from custodywatch.kernels.tiles import (
    TILE_WIDTH,
    Node,
    ProofPlan,
    TiledTree,
    plan_nodes,
    proof_ranges,
    range_hash,
    resolve_nodes,
)
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
            rows: Iterable[tuple[int, bytes | memoryview]]
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


__all__ = ["TILE_WIDTH", "DatabaseTiles", "consistency", "inclusion", "read_plan",
           "split_hashes", "tree"]


# --------------------------------------------------------------------------- one-read proofs


def _null_blob() -> str:
    return "CAST(NULL AS bytea)" if connection.vendor == "postgresql" else "NULL"


def read_plan(plan: ProofPlan, *, leaf: int | None = None
              ) -> tuple[dict[Node, bytes], int, bytes | None]:
    """Resolve a plan's nodes in ONE query (UNION ALL of: the latest tree size, the stored
    right edge of ``plan.size``, the full tiles, the entries of tiles not full at that size,
    and the hash of leaf ``leaf``). Returns (nodes, latest signed size, leaf hash or None).

    Raises LookupError when the store cannot back the plan (a missing tile or entry).
    """
    # Only constant fragments are formatted into the text; every value is a parameter.
    null = _null_blob()
    parts = [
        # 'z': the size of the latest checkpoint, so the caller checks the size asked for.
        f"SELECT * FROM (SELECT 'z' AS src, 0 AS a, size AS b, {null} AS x, {null} AS y "  # noqa: S608 - constant fragments
        "FROM ledger_checkpoint ORDER BY id DESC LIMIT 1) AS latest",
    ]
    params: list[Any] = []
    if plan.edge:
        parts.append(f"SELECT * FROM (SELECT 'e' AS src, 0 AS a, size AS b, edge AS x, "  # noqa: S608 - constant fragments
                     f"{null} AS y FROM ledger_checkpoint WHERE size = %s "
                     "ORDER BY id DESC LIMIT 1) AS edge")
        params.append(plan.size)
    for level, indexes in sorted(plan.tiles.items()):
        marks = ", ".join(["%s"] * len(indexes))
        parts.append('SELECT \'t\', level, "index", hashes, nodes FROM ledger_tile '  # noqa: S608 - constant fragments
                     f'WHERE level = %s AND "index" IN ({marks})')
        params += [level, *sorted(indexes)]
    for level, (low, high) in sorted(plan.partial.items()):
        if level == 0:
            parts.append(f"SELECT 'p', 0, \"index\", leaf_hash, {null} FROM ledger_leaf "  # noqa: S608 - constant fragments
                         'WHERE "index" >= %s AND "index" < %s')
            params += [low, high]
        else:
            parts.append(f"SELECT 'p', level + 1, \"index\", root, {null} "  # noqa: S608 - constant fragments
                         "FROM ledger_tile "
                         'WHERE level = %s AND "index" >= %s AND "index" < %s')
            params += [level - 1, low, high]
    if leaf is not None:
        parts.append(f"SELECT 'l', 0, \"index\", leaf_hash, {null} FROM ledger_leaf "  # noqa: S608 - constant fragments
                     'WHERE "index" = %s')
        params.append(leaf)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    latest, edge, leaf_hash = 0, None, None
    tiles: dict[tuple[int, int], tuple[bytes, bytes | None]] = {}
    entries: dict[tuple[int, int], bytes] = {}
    for src, a, b, x, y in rows:
        if src == "z":
            latest = int(b)
        elif src == "e":
            edge = split_hashes(x)
        elif src == "t":
            tiles[int(a), int(b)] = (bytes(x), bytes(y) if y is not None else None)
        elif src == "p":
            entries[int(a), int(b)] = bytes(x)
        else:
            leaf_hash = bytes(x)
    if plan.edge and edge is None:
        # No checkpoint of exactly this size: plan again without the edge.
        plan = plan_nodes(plan.size, plan.nodes, have_edge=False)
        known, _latest, _leaf = read_plan(plan)
        return known, latest, leaf_hash
    return resolve_nodes(plan, edge=edge, tiles=tiles, entries=entries), latest, leaf_hash


def inclusion(index: int, size: int) -> tuple[int, bytes | None, list[bytes]]:
    """(latest signed size, leaf hash, audit path) for leaf ``index`` in the tree of ``size``;
    one query (two when ``size`` is no checkpoint's size)."""
    nodes = proof_ranges(lambda get: merkle.inclusion_proof(index, size, get))
    known, latest, leaf = read_plan(plan_nodes(size, nodes), leaf=index)
    return latest, leaf, merkle.inclusion_proof(
        index, size, lambda start, end: range_hash(known, start, end))


def consistency(first: int, second: int) -> tuple[int, list[bytes]]:
    nodes = proof_ranges(lambda get: merkle.consistency_proof(first, second, get))
    known, latest, _leaf = read_plan(plan_nodes(second, nodes))
    return latest, merkle.consistency_proof(
        first, second, lambda start, end: range_hash(known, start, end))
