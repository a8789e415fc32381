"""The plan of an upsert import (issue 26 item 5): pure, between a row schema (which
validates) and an app's services (which apply).

Rows are keyed by their natural key (a registry code, a detention's reference, ...). A key
given twice in one batch is refused, naming both lines (which one is true?); each other row
is to be created, updated (with exactly the fields that change) or left unchanged, so that a
re-sent batch writes nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

# A natural key: the planned rows carry the caller's own key type back to it.
Key = TypeVar("Key", bound=Hashable)


class Action(StrEnum):
    CREATE = "created"
    UPDATE = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Repeat:
    """Line (or index) `line` has the key of `first_line`."""

    line: int
    first_line: int


@dataclass(frozen=True)
class PlannedRow(Generic[Key]):
    line: int
    key: Key
    action: Action
    values: Mapping[str, object]
    # What an update changes (every value of a create).
    changes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class UpsertPlan(Generic[Key]):
    rows: tuple[PlannedRow[Key], ...]
    repeats: tuple[Repeat, ...]

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action is action)


def repeats(keys: Sequence[tuple[int, Hashable]]) -> tuple[Repeat, ...]:
    """Every line whose key an earlier line already had."""
    first: dict[Hashable, int] = {}
    found = []
    for line, key in keys:
        if key in first:
            found.append(Repeat(line, first[key]))
        else:
            first[key] = line
    return tuple(found)


def plan_upserts(rows: Sequence[tuple[int, Key, Mapping[str, object]]],
                 existing: Mapping[Key, Mapping[str, object]]) -> UpsertPlan[Key]:
    """rows: (line, natural key, values); existing: the stored values by key (only the names
    a row may set need be there). A value a row does not give is left as stored."""
    planned: list[PlannedRow[Key]] = []
    for line, key, values in rows:
        stored = existing.get(key)
        if stored is None:
            planned.append(PlannedRow(line, key, Action.CREATE, values, dict(values)))
            continue
        changes = {name: value for name, value in values.items()
                   if name not in stored or stored[name] != value}
        planned.append(PlannedRow(line, key, Action.UPDATE if changes else Action.UNCHANGED,
                                  values, changes))
    return UpsertPlan(tuple(planned), repeats([(line, key) for line, key, _v in rows]))
