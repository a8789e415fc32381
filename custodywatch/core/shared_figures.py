"""Figures that many readers share for a while, computed by one of them at a time.

A page whose figures cost a second (the national video overview) is read by a hundred
prosecutors: each fresh copy is shared for ``seconds``. When it runs out, ONE reader (the one
who takes the lock: ``cache.add`` is atomic) computes the next copy while the others get the
last one, at most one computation old, instead of all computing at once (bench/load.py
showed the video page's p95 at 2 s from exactly that). With no copy at all, everyone
computes: there is nothing to show yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.core.cache import cache

if TYPE_CHECKING:
    from custodywatch.accounts.models import User

T = TypeVar("T")
STALE_FACTOR = 10  # a stale copy is kept this many times longer than a fresh one
LOCK_SECONDS = 60  # a reader that died while computing frees the lock after this


def shared(key: str, seconds: int, compute: Callable[[], T]) -> T:
    if seconds <= 0:
        return compute()
    fresh = cache.get(f"{key}:fresh")
    if fresh is not None:
        return fresh
    stale = cache.get(f"{key}:stale")
    locked = cache.add(f"{key}:computing", 1, LOCK_SECONDS)
    if stale is not None and not locked:
        return stale  # another reader is computing the next copy
    try:
        value = compute()
        cache.set(f"{key}:fresh", value, seconds)
        cache.set(f"{key}:stale", value, seconds * STALE_FACTOR)
        return value
    finally:
        if locked:
            cache.delete(f"{key}:computing")


def scope_key(user: User) -> str:
    """What a reader's figures depend on (his scope and role, as facility_q reads them):
    readers with equal keys may share one computation."""
    return f"{user.scope}:{user.region_id}:{user.facility_id}:{user.role}"
