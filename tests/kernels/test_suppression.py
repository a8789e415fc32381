"""Small-cell suppression against an attacker who solves for hidden cells from the margins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodywatch.kernels.suppression import augment, primary, published, suppress


def _lines(shape: tuple[int, int]) -> list[list[tuple[tuple[int, int], int]]]:
    """Each published equation of an augmented table: sum(coef * cell) == 0."""
    rows, columns = shape
    lines = []
    for i in range(rows):
        lines.append([((i, j), 1) for j in range(columns - 1)] + [((i, columns - 1), -1)])
    for j in range(columns):
        lines.append([((i, j), 1) for i in range(rows - 1)] + [((rows - 1, j), -1)])
    return lines


def _feasible(table: list[list[int | None]], fixed: dict[tuple[int, int], int], cap: int) -> bool:
    """Is there a non-negative integer filling of the hidden cells (``None``), with ``fixed``
    ones set, that satisfies every published equation? Bounds propagation plus branching:
    exact on the small tables used here."""
    shape = (len(table), len(table[0]))
    lines = _lines(shape)
    low: dict[tuple[int, int], int] = {}
    high: dict[tuple[int, int], int] = {}
    for i in range(shape[0]):
        for j in range(shape[1]):
            value = table[i][j]
            if (i, j) in fixed:
                value = fixed[(i, j)]
            if value is None:
                low[(i, j)], high[(i, j)] = 0, cap
            else:
                low[(i, j)] = high[(i, j)] = value

    def propagate(lo: dict, hi: dict) -> bool:
        changed = True
        while changed:
            changed = False
            for line in lines:
                # sum(coef * x) == 0: each term lies between the bounds the others leave.
                term_lo = [min(c * lo[cell], c * hi[cell]) for cell, c in line]
                term_hi = [max(c * lo[cell], c * hi[cell]) for cell, c in line]
                total_lo, total_hi = sum(term_lo), sum(term_hi)
                if total_lo > 0 or total_hi < 0:
                    return False
                for k, (cell, c) in enumerate(line):
                    rest_lo, rest_hi = total_lo - term_lo[k], total_hi - term_hi[k]
                    # c * x in [-rest_hi, -rest_lo]
                    bound_a, bound_b = -rest_hi * c, -rest_lo * c
                    new_lo = max(lo[cell], min(bound_a, bound_b))
                    new_hi = min(hi[cell], max(bound_a, bound_b))
                    if new_lo > new_hi:
                        return False
                    if (new_lo, new_hi) != (lo[cell], hi[cell]):
                        lo[cell], hi[cell] = new_lo, new_hi
                        changed = True
        return True

    def search(lo: dict, hi: dict) -> bool:
        if not propagate(lo, hi):
            return False
        open_cells = [cell for cell in lo if lo[cell] < hi[cell]]
        if not open_cells:
            return True
        cell = min(open_cells, key=lambda c: hi[c] - lo[c])
        for value in range(lo[cell], hi[cell] + 1):
            lo2, hi2 = dict(lo), dict(hi)
            lo2[cell] = hi2[cell] = value
            if search(lo2, hi2):
                return True
        return False

    return search(low, high)


def pinned_cells(full: np.ndarray, mask: np.ndarray) -> list[tuple[int, int]]:
    """The hidden cells whose true value is the only one the published figures allow."""
    table = published(full, mask)
    cap = int(full.max()) * 2 + 5
    pinned = []
    for i, j in zip(*np.nonzero(mask), strict=True):
        truth = int(full[i, j])
        others = [v for v in (truth - 1, truth + 1) if v >= 0]
        if not any(_feasible(table, {(int(i), int(j)): v}, cap) for v in others):
            pinned.append((int(i), int(j)))
    return pinned


def test_the_attacker_recovers_a_cell_that_only_primary_suppression_hides():
    full = augment([[3, 10], [8, 9]])
    mask = primary(full)
    assert mask.sum() == 1
    assert pinned_cells(full, mask) == [(0, 0)]  # 13 - 10 = 3: the row total gives it away


def test_hand_computed_complementary_suppression():
    # Region x category; the 2 must go, and with it the cheapest cells that close a cycle.
    cells = [[2, 7, 6],
             [9, 8, 12],
             [11, 15, 20]]
    full, mask = suppress(cells)
    assert full[0, 3] == 15 and full[3, 3] == 90
    # Cycles through (0, 0) of four cells: via (0,1),(1,1),(1,0) costs 7 + 8 + 9 = 24,
    # via (0,2),(1,2),(1,0) 6 + 12 + 9 = 27, via (0,1),(2,1),(2,0) 7 + 15 + 11 = 33 ...;
    # any path through the totals costs more. The cheapest is hidden.
    assert sorted(map(tuple, np.argwhere(mask).tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert pinned_cells(full, mask) == []
    table = published(full, mask)
    assert table[0] == [None, None, 6, 15]
    assert table[3] == [22, 30, 38, 90]


def test_a_small_total_is_hidden_too_and_cannot_be_recovered():
    full, mask = suppress([[1, 2], [6, 9]])
    assert mask[0, 2]  # the row total 3 is itself a small cell
    assert pinned_cells(full, mask) == []


def test_threshold_is_configurable_and_zeros_are_published_by_default():
    full, mask = suppress([[0, 12], [7, 30]], threshold=8)
    assert mask[1, 0] and pinned_cells(full, mask) == []  # 7 < 8
    assert not suppress([[0, 12], [7, 30]])[1].any()
    with pytest.raises(ValueError):
        suppress([[-1, 2]])
    with pytest.raises(ValueError):
        suppress([[1, 2]], threshold=0)


def test_a_single_row_table_hides_the_column_totals_with_the_cells():
    full, mask = suppress([[3, 20, 40]])
    assert mask[0, 0] and mask[1, 0]  # the column total of one row is the cell itself
    assert pinned_cells(full, mask) == []


tables = st.integers(min_value=1, max_value=3).flatmap(
    lambda rows: st.integers(min_value=1, max_value=4).flatmap(
        lambda columns: st.lists(
            st.lists(st.integers(min_value=0, max_value=14), min_size=columns,
                     max_size=columns),
            min_size=rows, max_size=rows)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=tables, threshold=st.integers(min_value=2, max_value=6))
def test_no_hidden_cell_is_pinned_by_the_published_margins(cells, threshold):
    full, mask = suppress(cells, threshold=threshold)
    # Every small non-zero cell and total is hidden.
    small = (full > 0) & (full < threshold)
    assert not (small & ~mask).any()
    # Every line with a hidden cell has at least two.
    for counts in (mask.sum(axis=0), mask.sum(axis=1)):
        assert not (counts == 1).any()
    assert pinned_cells(full, mask) == []
