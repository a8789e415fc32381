"""Numbers given out one by one ("C-2026-000042"), safe under any concurrency on both
databases.

"Highest existing + 1" is not: two transactions read the same highest number, and the
second fails on the unique key (issue 18). Here the next number is taken by an UPDATE of a
counter row, which holds the row's lock until the caller's transaction ends: a second filer
waits for the first, then reads its number + 1 (PostgreSQL row lock; SQLite's writer lock,
taken at BEGIN IMMEDIATE). A rolled-back filing gives its number back.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from custodywatch.core.models import Counter


def next_number(name: str, *, last_existing: Callable[[], int] = lambda: 0) -> int:
    """The next number of the numbering `name`, inside the caller's transaction.

    `last_existing` gives the highest number already used when the counter row is new (data
    numbered before the counter existed, or a new year's numbering)."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() needs the caller's transaction, which keeps the lock")
    if not Counter.objects.filter(name=name).update(value=F("value") + 1):
        try:
            with transaction.atomic():  # a savepoint: a concurrent first insert may win
                Counter.objects.create(name=name, value=last_existing() + 1)
        except IntegrityError:
            # Another transaction created the row first; its insert is committed now (ours
            # waited on the key), so the UPDATE finds the row and waits for its lock.
            Counter.objects.filter(name=name).update(value=F("value") + 1)
    return Counter.objects.filter(name=name).values_list("value", flat=True).get()
