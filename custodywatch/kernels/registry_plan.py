"""Registry import rules that need no database (issue 26 item 5): the plan of the rows
themselves is kernels.row_plan; this adds the heads' terms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence

# A head's term: (start, end or None while in office, the import's line or 0 when stored).
Term = tuple[dt.date, dt.date | None, int]


def overlapping_terms(units: Mapping[Hashable, Sequence[Term]]) -> list[int]:
    """A unit has one head at a time (the scorecard splits its figures by these periods): the
    lines of the imported terms that begin before the previous term of their unit ended."""
    lines = []
    for terms in units.values():
        ordered = sorted(terms, key=lambda term: term[0])
        for (_start, end, _line), (next_start, _end, next_line) in zip(
                ordered, ordered[1:], strict=False):
            if (end is None or end > next_start) and next_line:
                lines.append(next_line)
    return lines
