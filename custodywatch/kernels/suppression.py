"""Small-cell suppression of a two-way table of counts and its totals (pure, no Django).

A published table is the cells, the row totals, the column totals and the grand total. We
treat them together as one *augmented* table of shape ``(rows + 1, columns + 1)``: row ``r``
and column ``c`` hold the totals. Every line of the augmented table (a row or a column) is
one linear equation an attacker can use: the cells of the line sum to its total.

1. **Primary suppression**: every cell, total included, with ``0 < count < threshold``
   (and zeros too with ``suppress_zeros``).
2. **Complementary suppression**: a hidden value can be solved for from the published ones
   exactly when it is a *bridge* of the bipartite graph whose nodes are the lines and whose
   edges are the hidden cells (cut the graph at the edge; the equations of one side add up
   to that one value). A hidden cell that lies on a cycle of hidden cells can move by
   ``+t, -t, ...`` around the cycle without changing any published figure. So while some
   hidden cell is a bridge, we hide the cheapest path of further cells that closes a cycle
   through it (Dijkstra; the cost of a cell is its count, so the smallest cells go first,
   and zeros cost the most because a hidden zero tells its lower bound).

Since every hidden cell is then on a cycle of hidden cells that are all at least 1, each can
move by one either way: no hidden cell is pinned to a single value by the margins, the
property tests/kernels/test_suppression.py checks with an attacker that solves for them.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

DEFAULT_THRESHOLD = 5

IntTable = NDArray[np.int64]
Mask = NDArray[np.bool_]


def augment(cells: Sequence[Sequence[int]] | IntTable) -> IntTable:
    """The table with its row totals (last column), column totals (last row), grand total."""
    table = np.asarray(cells, dtype=np.int64)
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] == 0:
        raise ValueError("a table needs at least one row and one column")
    if (table < 0).any():
        raise ValueError("counts cannot be negative")
    rows, columns = table.shape
    full = np.zeros((rows + 1, columns + 1), dtype=np.int64)
    full[:rows, :columns] = table
    full[:rows, columns] = table.sum(axis=1)
    full[rows, :columns] = table.sum(axis=0)
    full[rows, columns] = table.sum()
    return full


def primary(full: IntTable, threshold: int = DEFAULT_THRESHOLD,
            suppress_zeros: bool = False) -> Mask:
    low = 0 if suppress_zeros else 1
    return (full >= low) & (full < threshold)


def _connected_without(mask: Mask, row: int, column: int) -> bool:
    """Whether row node ``row`` reaches column node ``column`` through hidden cells other
    than (row, column) itself."""
    rows, columns = mask.shape
    seen_rows = {row}
    seen_columns: set[int] = set()
    frontier: list[tuple[str, int]] = [("r", row)]
    while frontier:
        kind, index = frontier.pop()
        if kind == "r":
            for j in np.flatnonzero(mask[index]).tolist():
                if (index, j) == (row, column) or j in seen_columns:
                    continue
                if j == column:
                    return True
                seen_columns.add(j)
                frontier.append(("c", j))
        else:
            for i in np.flatnonzero(mask[:, index]).tolist():
                if (i, index) == (row, column) or i in seen_rows:
                    continue
                seen_rows.add(i)
                frontier.append(("r", i))
    return False


def _cheapest_cycle(full: IntTable, mask: Mask, row: int, column: int) -> list[tuple[int, int]]:
    """The cells to hide (not hidden yet) on the cheapest path from row node ``row`` to
    column node ``column`` that does not use the cell (row, column)."""
    rows, columns = full.shape
    zero_cost = float(full.max()) + 1.0

    def cost(i: int, j: int) -> float:
        if mask[i, j]:
            return 0.0
        value = float(full[i, j])
        # A tiny charge per cell prefers fewer cells when counts tie.
        return (value if value > 0 else zero_cost) + 1e-6

    # Nodes: ("r", i) and ("c", j). Dijkstra from ("r", row) to ("c", column).
    start = ("r", row)
    best: dict[tuple[str, int], float] = {start: 0.0}
    back: dict[tuple[str, int], tuple[tuple[str, int], tuple[int, int]]] = {}
    queue: list[tuple[float, tuple[str, int]]] = [(0.0, start)]
    done: set[tuple[str, int]] = set()
    while queue:
        distance, node = heapq.heappop(queue)
        if node in done:
            continue
        done.add(node)
        if node == ("c", column):
            break
        kind, index = node
        if kind == "r":
            steps = [(("c", j), (index, j)) for j in range(columns)]
        else:
            steps = [(("r", i), (i, index)) for i in range(rows)]
        for neighbour, cell in steps:
            if cell == (row, column) or neighbour in done:
                continue
            candidate = distance + cost(*cell)
            if candidate < best.get(neighbour, float("inf")):
                best[neighbour] = candidate
                back[neighbour] = (node, cell)
                heapq.heappush(queue, (candidate, neighbour))
    path = []
    node = ("c", column)
    while node != start:
        node, cell = back[node]
        if not mask[cell]:
            path.append(cell)
    return path


def complementary(full: IntTable, hidden: Mask) -> Mask:
    """``hidden`` grown until no hidden cell is a bridge (solvable from the margins)."""
    mask = hidden.copy()
    if full.shape[0] < 2 or full.shape[1] < 2:
        raise ValueError("an augmented table has at least two rows and two columns")
    changed = True
    while changed:
        changed = False
        for i, j in zip(*np.nonzero(mask), strict=True):
            if not _connected_without(mask, int(i), int(j)):
                for cell in _cheapest_cycle(full, mask, int(i), int(j)):
                    mask[cell] = True
                changed = True
    return mask


def suppress(cells: Sequence[Sequence[int]] | IntTable, threshold: int = DEFAULT_THRESHOLD,
             suppress_zeros: bool = False) -> tuple[IntTable, Mask]:
    """The augmented table and the mask of what to hide (primary and complementary)."""
    if threshold < 1:
        raise ValueError("the threshold is at least 1")
    full = augment(cells)
    return full, complementary(full, primary(full, threshold, suppress_zeros))


def published(full: IntTable, mask: Mask) -> list[list[int | None]]:
    """The augmented table as it is published: None where hidden."""
    return [[None if mask[i, j] else int(full[i, j]) for j in range(full.shape[1])]
            for i in range(full.shape[0])]
