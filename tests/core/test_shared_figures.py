"""Shared figures: one reader computes while the others see the last copy."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from custodywatch.core.shared_figures import shared

# The cache is the database's (CACHE_URL's default), as on every deployment with one node
# or many.
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_fresh_copy_is_shared_and_zero_seconds_computes_every_time():
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert shared("k", 30, compute) == 1
    assert shared("k", 30, compute) == 1
    assert len(calls) == 1
    assert shared("z", 0, compute) == 2 and shared("z", 0, compute) == 3


def test_while_one_reader_computes_the_others_get_the_last_copy():
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    shared("k", 30, compute)
    cache.delete("k:fresh")  # the fresh copy ran out
    assert cache.add("k:computing", 1)  # another reader is computing now
    assert shared("k", 30, compute) == 1 and len(calls) == 1  # the last copy, no work
    cache.delete("k:computing")  # he is done (or gone): the next reader computes
    assert shared("k", 30, compute) == 2
    assert cache.get("k:computing") is None  # and frees the lock


def test_with_no_copy_at_all_everyone_computes_and_a_failure_frees_the_lock():
    assert cache.add("k:computing", 1)
    assert shared("k", 30, lambda: "first") == "first"  # nothing to show yet: compute
    assert cache.get("k:computing") == 1  # not his lock: left alone
    cache.delete("k:computing")

    def broken() -> str:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        shared("other", 30, broken)
    assert cache.get("other:computing") is None
