"""How a batch of spans changes the stored spans of one camera: pure Python, no Django.

Times are integer epoch milliseconds, spans half-open ``[start, end)``. The services turn
these plans into bulk inserts, updates and deletes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from custodywatch.kernels.coverage import blind_intervals

StoredSpan = tuple[int, int, int]  # (row id, start, end)
Interval = tuple[int, int]  # (start, end)


@dataclass
class Plan:
    updates: list[StoredSpan] = field(default_factory=list)  # (row id, new start, new end)
    creates: list[Interval] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)

    def extend(self, other: Plan) -> None:
        self.updates += other.updates
        self.creates += other.creates
        self.deletes += other.deletes


def plan_merge(stored: Sequence[StoredSpan], incoming: Sequence[Interval]) -> Plan:
    """Fold incoming spans into stored ones of the same camera and state.

    Spans that overlap or touch become one row: the oldest stored row of the group is
    stretched and the others deleted, so a span continuing the last one costs one UPDATE.
    Stored spans no incoming span reaches are left alone.
    """
    events = sorted(
        [(start, end, row_id) for row_id, start, end in stored]
        + [(start, end, None) for start, end in incoming],
        key=lambda event: (event[0], event[1]),
    )
    plan = Plan()
    group: list[tuple[int, int, int | None]] = []
    group_end = 0

    def close() -> None:
        if not any(row_id is None for _s, _e, row_id in group):
            return
        start = group[0][0]
        ids = sorted(row_id for _s, _e, row_id in group if row_id is not None)
        if not ids:
            plan.creates.append((start, group_end))
            return
        keep = ids[0]
        kept = next(event for event in group if event[2] == keep)
        if (kept[0], kept[1]) != (start, group_end):
            plan.updates.append((keep, start, group_end))
        plan.deletes.extend(ids[1:])

    for event in events:
        if group and event[0] <= group_end:  # touching merges: [a, b) + [b, c) = [a, c)
            group.append(event)
            group_end = max(group_end, event[1])
            continue
        if group:
            close()
        group = [event]
        group_end = event[1]
    if group:
        close()
    return plan


def plan_trim(stored: Sequence[StoredSpan], cuts: Sequence[Interval]) -> Plan:
    """Remove the time of ``cuts`` from stored spans (an agent's report beats an inference).

    A span cut in the middle becomes two rows; one cut entirely is deleted.
    """
    plan = Plan()
    if not stored or not cuts:
        return plan
    ids = [row_id for row_id, _s, _e in stored]
    starts = np.array([s for _id, s, _e in stored], dtype=np.int64)
    ends = np.array([e for _id, _s, e in stored], dtype=np.int64)
    zeros = np.zeros(len(stored), dtype=np.int64)
    cut_starts = np.array([s for s, _e in cuts], dtype=np.int64)
    cut_ends = np.array([e for _s, e in cuts], dtype=np.int64)
    index, rest_starts, rest_ends = blind_intervals(
        zeros, starts, ends, np.zeros(len(cuts), dtype=np.int64), cut_starts, cut_ends
    )
    pieces: dict[int, list[Interval]] = {}
    for i, s, e in zip(index.tolist(), rest_starts.tolist(), rest_ends.tolist(), strict=True):
        pieces.setdefault(i, []).append((s, e))
    for i, row_id in enumerate(ids):
        rest = pieces.get(i, [])
        if not rest:
            plan.deletes.append(row_id)
            continue
        if rest[0] != (int(starts[i]), int(ends[i])):
            plan.updates.append((row_id, *rest[0]))
        plan.creates.extend(rest[1:])
    return plan


def first_overlap(
    items: Sequence[tuple[int, int, int, str]],
) -> tuple[int, int] | None:
    """Indices (earlier, later) of two items of different states that overlap, or None.

    ``items`` are (item index, start, end, state) of one camera.
    """
    ordered = sorted(items, key=lambda item: (item[1], item[2]))
    open_items: list[tuple[int, int, int, str]] = []
    for item in ordered:
        open_items = [other for other in open_items if other[2] > item[1]]
        for other in open_items:
            if other[3] != item[3]:
                return (min(other[0], item[0]), max(other[0], item[0]))
        open_items.append(item)
    return None
