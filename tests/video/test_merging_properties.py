"""Property tests: merging and trimming plans keep exactly the right set of milliseconds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from custodywatch.kernels.coverage import intersect_by_room
from custodywatch.video.merging import first_overlap, plan_merge, plan_trim

PROPERTY = settings(max_examples=60, deadline=None)
interval = st.tuples(st.integers(0, 60), st.integers(1, 12)).map(lambda t: (t[0], t[0] + t[1]))


def points(intervals) -> set[int]:
    return {t for s, e in intervals for t in range(s, e)}


def disjoint(intervals) -> list[tuple[int, int]]:
    """Stored spans of one state are already merged: make them so."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def apply(stored, plan):
    rows = dict((row_id, (s, e)) for row_id, s, e in stored)
    for row_id in plan.deletes:
        del rows[row_id]
    for row_id, s, e in plan.updates:
        rows[row_id] = (s, e)
    return list(rows.values()) + plan.creates


@PROPERTY
@given(st.lists(interval, max_size=6), st.lists(interval, min_size=1, max_size=8))
def test_plan_merge_stores_the_union_without_touching_rows(stored_raw, incoming):
    stored = [(i + 1, s, e) for i, (s, e) in enumerate(disjoint(stored_raw))]
    after = apply(stored, plan_merge(stored, incoming))
    assert points(after) == points([(s, e) for _i, s, e in stored]) | points(incoming)
    ordered = sorted(after)
    assert all(a[1] < b[0] for a, b in zip(ordered, ordered[1:], strict=False))
    assert len(after) <= len(stored) + len(incoming)


@PROPERTY
@given(st.lists(interval, max_size=6), st.lists(interval, max_size=6))
def test_plan_trim_removes_exactly_the_cut_time(stored_raw, cuts):
    stored = [(i + 1, s, e) for i, (s, e) in enumerate(disjoint(stored_raw))]
    after = apply(stored, plan_trim(stored, cuts))
    assert points(after) == points([(s, e) for _i, s, e in stored]) - points(cuts)
    assert all(s < e for s, e in after)


@PROPERTY
@given(st.lists(st.tuples(interval, st.sampled_from("ab")), max_size=8))
def test_first_overlap_finds_a_real_clash_or_none(items):
    rows = [(i, s, e, state) for i, ((s, e), state) in enumerate(items)]
    clash = first_overlap(rows)
    has_clash = any(a[3] != b[3] and a[1] < b[2] and b[1] < a[2]
                    for a in rows for b in rows)
    assert (clash is not None) == has_clash
    if clash is not None:
        a, b = rows[clash[0]], rows[clash[1]]
        assert a[3] != b[3] and a[1] < b[2] and b[1] < a[2]


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 2), interval), max_size=10),
       st.lists(st.tuples(st.integers(0, 2), interval), max_size=10))
def test_intersect_by_room_is_the_set_intersection(a, b):
    def arrays(items):
        return (np.array([k for k, _iv in items], dtype=np.int64),
                np.array([iv[0] for _k, iv in items], dtype=np.int64),
                np.array([iv[1] for _k, iv in items], dtype=np.int64))

    keys, starts, ends = intersect_by_room(*arrays(a), *arrays(b))
    for key in range(3):
        want = points([iv for k, iv in a if k == key]) & points([iv for k, iv in b if k == key])
        mine = [(s, e) for k, s, e in zip(keys.tolist(), starts.tolist(), ends.tolist(),
                                          strict=True) if k == key]
        assert points(mine) == want
        assert all(x[1] < y[0] for x, y in zip(mine, mine[1:], strict=False))
