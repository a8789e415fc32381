"""Tests for custodywatch.kernels.coverage and custodywatch.kernels.timeparse (pure, no DB)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodywatch.kernels import coverage
from custodywatch.kernels.coverage import (
    blind_intervals,
    blind_ms,
    blind_ms_from_cameras,
    expand_to_rooms,
    union_by_room,
    union_intervals,
)
from custodywatch.kernels.timeparse import MAX_MS, MIN_MS, parse_timestamp_ms

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# ----------------------------------------------------------------------------- oracles
# Deliberately naive: one boolean per millisecond on small ranges.


def oracle_covered_set(starts, ends) -> set[int]:
    out: set[int] = set()
    for s, e in zip(starts, ends, strict=True):
        out.update(range(s, e))
    return out


def oracle_blind(stays, covers) -> list[list[tuple[int, int]]]:
    """stays: [(room, s, e)], covers: [(room, s, e)] -> blind pieces per stay."""
    result = []
    for room, s, e in stays:
        seen = np.zeros(max(e - s, 0), dtype=bool)
        for c_room, cs, ce in covers:
            if c_room == room:
                lo, hi = max(cs, s), min(ce, e)
                if hi > lo:
                    seen[lo - s : hi - s] = True
        pieces = []
        t = 0
        while t < len(seen):
            if seen[t]:
                t += 1
                continue
            u = t
            while u < len(seen) and not seen[u]:
                u += 1
            pieces.append((s + t, s + u))
            t = u
        result.append(pieces)
    return result


def run_kernel(stays, covers):
    sr = [r for r, _, _ in stays]
    ss = [s for _, s, _ in stays]
    se = [e for _, _, e in stays]
    cr = [r for r, _, _ in covers]
    cs = [s for _, s, _ in covers]
    ce = [e for _, _, e in covers]
    blind = blind_ms(sr, ss, se, cr, cs, ce)
    idx, bs, be = blind_intervals(sr, ss, se, cr, cs, ce)
    return blind, (idx, bs, be)


def pieces_per_stay(n_stays, idx, bs, be) -> list[list[tuple[int, int]]]:
    out: list[list[tuple[int, int]]] = [[] for _ in range(n_stays)]
    for i, s, e in zip(idx.tolist(), bs.tolist(), be.tolist(), strict=True):
        out[i].append((s, e))
    return out


# ----------------------------------------------------------------------------- union


def test_union_merges_touching_and_overlapping():
    s, e = union_intervals([0, 10, 30, 25, 50], [10, 20, 40, 31, 51])
    assert s.tolist() == [0, 25, 50]
    assert e.tolist() == [20, 40, 51]
    assert s.dtype == np.int64 and e.dtype == np.int64


def test_union_nested_and_unsorted():
    s, e = union_intervals([5, 0, 2, 100], [6, 50, 3, 101])
    assert list(zip(s.tolist(), e.tolist(), strict=True)) == [(0, 50), (100, 101)]


def test_union_drops_empty_intervals_and_keeps_gap_of_one_ms():
    s, e = union_intervals([0, 7, 11, 9], [10, 7, 12, 3])
    assert list(zip(s.tolist(), e.tolist(), strict=True)) == [(0, 10), (11, 12)]


def test_union_empty_input():
    s, e = union_intervals([], [])
    assert s.shape == (0,) and e.shape == (0,)


def test_union_by_room_keeps_rooms_apart():
    r, s, e = union_by_room([2, 1, 2, 1], [0, 0, 10, 5], [10, 5, 20, 8])
    assert list(zip(r.tolist(), s.tolist(), e.tolist(), strict=True)) == [
        (1, 0, 8),
        (2, 0, 20),
    ]


intervals = st.lists(
    st.tuples(st.integers(0, 3), st.integers(-5, 60), st.integers(-3, 25)),
    max_size=20,
).map(lambda xs: [(r, s, s + d) for r, s, d in xs])


def check_union(ivs):
    r, s, e = union_by_room(
        [x[0] for x in ivs], [x[1] for x in ivs], [x[2] for x in ivs]
    )
    for room in range(4):
        mine = [(a, b) for rr, a, b in zip(r, s, e, strict=True) if rr == room]
        want = oracle_covered_set([a for rr, a, _ in ivs if rr == room],
                                  [b for rr, _, b in ivs if rr == room])
        assert oracle_covered_set([a for a, _ in mine], [b for _, b in mine]) == want
        # Sorted, non-empty, and strictly separated (touching ones must have merged).
        for (a0, b0), (a1, b1) in zip(mine, mine[1:], strict=False):
            assert a0 < b0 < a1 < b1
    assert r.tolist() == sorted(r.tolist())


@PROPERTY
@given(intervals)
def test_union_by_room_matches_oracle(ivs):
    check_union(ivs)


# ----------------------------------------------------------------------------- expand


def test_expand_camera_covering_many_rooms_and_unknown_camera():
    rooms, s, e = expand_to_rooms(
        camera_of_interval=[7, 9, 8],
        starts=[0, 100, 50],
        ends=[10, 200, 60],
        map_camera=[7, 7, 7, 8],
        map_room=[1, 2, 3, 1],
    )
    got = sorted(zip(rooms.tolist(), s.tolist(), e.tolist(), strict=True))
    # camera 9 is not in the map: its interval covers nothing.
    assert got == [(1, 0, 10), (1, 50, 60), (2, 0, 10), (3, 0, 10)]


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 9)), max_size=15),
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 50)), max_size=15),
)
def test_expand_matches_python_join(pairs, recs):
    rooms, s, e = expand_to_rooms(
        [c for c, _ in recs],
        [t for _, t in recs],
        [t + 1 for _, t in recs],
        [c for c, _ in pairs],
        [r for _, r in pairs],
    )
    want = sorted((r, t, t + 1) for c, t in recs for pc, r in pairs if pc == c)
    assert sorted(zip(rooms.tolist(), s.tolist(), e.tolist(), strict=True)) == want


# ----------------------------------------------------------------------------- blind_ms


def test_room_without_camera_is_blind_throughout():
    blind, (idx, bs, be) = run_kernel([(5, 100, 250)], [(1, 0, 1000)])
    assert blind.tolist() == [150]
    assert list(zip(idx.tolist(), bs.tolist(), be.tolist(), strict=True)) == [(0, 100, 250)]


def test_no_covers_at_all():
    blind = blind_ms([0, 1], [0, 10], [5, 30], [], [], [])
    assert blind.tolist() == [5, 20]


def test_touching_recordings_leave_no_gap():
    blind, (idx, _, _) = run_kernel([(0, 0, 20)], [(0, 0, 10), (0, 10, 20)])
    assert blind.tolist() == [0]
    assert idx.size == 0


def test_nested_recordings():
    blind, _ = run_kernel([(0, 0, 100)], [(0, 10, 90), (0, 20, 30), (0, 40, 95)])
    assert blind.tolist() == [15]  # [0,10) and [95,100)


def test_gap_in_the_middle():
    blind, (idx, bs, be) = run_kernel([(0, 0, 30)], [(0, 0, 10), (0, 20, 30)])
    assert blind.tolist() == [10]
    assert list(zip(bs.tolist(), be.tolist(), strict=True)) == [(10, 20)]


def test_two_cameras_one_room_complementary():
    # Camera A covers [0,50), camera B covers [50,100): together the room is covered.
    rooms, s, e = expand_to_rooms([0, 1], [0, 50], [50, 100], [0, 1], [3, 3])
    assert blind_ms([3], [0], [100], rooms, s, e).tolist() == [0]
    # Either camera alone leaves half the stay blind.
    assert blind_ms([3], [0], [100], rooms[:1], s[:1], e[:1]).tolist() == [50]


def test_camera_covering_many_rooms():
    rooms, s, e = expand_to_rooms([0], [0], [60], [0, 0, 0], [1, 2, 3])
    blind = blind_ms([1, 2, 3, 4], [0, 30, 50, 0], [60, 90, 70, 10], rooms, s, e)
    assert blind.tolist() == [0, 30, 10, 10]


def test_stay_before_after_and_straddling_recordings():
    covers = [(0, 1000, 2000)]
    stays = [(0, 0, 500), (0, 2500, 3000), (0, 500, 1000), (0, 2000, 2100), (0, 900, 2100)]
    blind, (idx, bs, be) = run_kernel(stays, covers)
    assert blind.tolist() == [500, 500, 500, 100, 200]
    assert pieces_per_stay(5, idx, bs, be)[4] == [(900, 1000), (2000, 2100)]


def test_many_stays_per_room_with_interleaved_rooms():
    covers = [(0, 10, 20), (1, 0, 100), (0, 30, 40), (2, 5, 6)]
    stays = [(0, 0, 50), (1, 50, 150), (0, 15, 35), (2, 0, 10), (0, 40, 41), (1, 0, 1)]
    blind, _ = run_kernel(stays, covers)
    assert blind.tolist() == [30, 50, 10, 9, 1, 0]


def test_zero_length_stay_is_zero_blind():
    blind, (idx, _, _) = run_kernel([(0, 5, 5), (1, 5, 5)], [(0, 0, 10)])
    assert blind.tolist() == [0, 0]
    assert idx.size == 0


def test_exact_at_realistic_epoch_ms():
    t0 = 1_704_430_800_250  # 2024-01-05T05:00:00.250Z
    blind, _ = run_kernel([(0, t0, t0 + 3_600_001)], [(0, t0 + 1, t0 + 3_600_000)])
    assert blind.tolist() == [2]


def test_rejects_float_times_and_bad_shapes():
    with pytest.raises(TypeError):
        blind_ms([0], [0.5], [10.0], [], [], [])
    with pytest.raises(ValueError, match="equal lengths"):
        blind_ms([0, 1], [0], [10], [], [], [])
    with pytest.raises(ValueError, match="ends before"):
        blind_ms([0], [10], [5], [], [], [])
    with pytest.raises(ValueError, match="1-D"):
        union_intervals([[0]], [[1]])


stays_st = st.lists(
    st.tuples(st.integers(0, 3), st.integers(-5, 60), st.integers(0, 40)), max_size=12
).map(lambda xs: [(r, s, s + d) for r, s, d in xs])


def check_against_oracle(stays, covers):
    blind, (idx, bs, be) = run_kernel(stays, covers)
    want = oracle_blind(stays, covers)
    assert blind.tolist() == [sum(e - s for s, e in p) for p in want]
    got = pieces_per_stay(len(stays), idx, bs, be)
    assert got == want
    # Structural guarantees, independent of the oracle.
    assert idx.tolist() == sorted(idx.tolist())
    sums = np.bincount(idx, weights=be - bs, minlength=len(stays)) if len(stays) else []
    assert [int(x) for x in sums] == blind.tolist()
    for (_, s, e), pieces in zip(stays, got, strict=True):
        for a, b in pieces:
            assert s <= a < b <= e
        for (_, b0), (a1, _) in zip(pieces, pieces[1:], strict=False):
            assert b0 < a1


@PROPERTY
@given(stays_st, intervals)
def test_blind_matches_oracle(stays, covers):
    check_against_oracle(stays, covers)


@PROPERTY
@given(stays_st, intervals)
def test_lexsort_fallback_matches_oracle(stays, covers):
    # Force the path used when (room, time) cannot be packed into one int64.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(coverage, "_make_codec", lambda rooms, times: None)
        check_against_oracle(stays, covers)
        check_union(covers)


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), max_size=20),
    st.lists(st.tuples(st.integers(-1, 4), st.integers(-2, 22)), max_size=10),
    st.sampled_from(["left", "right"]),
)
def test_count_le_both_paths_match_bisect(hay, queries, side):
    import bisect

    hay = sorted(hay)
    hr = np.array([r for r, _ in hay], dtype=np.int64)
    ht = np.array([t for _, t in hay], dtype=np.int64)
    qr = np.array([r for r, _ in queries], dtype=np.int64)
    qt = np.array([t for _, t in queries], dtype=np.int64)
    find = bisect.bisect_right if side == "right" else bisect.bisect_left
    want = [find(hay, q) for q in queries]
    codec = coverage._make_codec([hr, qr], [ht, qt])
    assert codec is not None
    assert coverage._count_le(codec, hr, ht, qr, qt, side).tolist() == want
    assert coverage._count_le(None, hr, ht, qr, qt, side).tolist() == want


def test_huge_room_codes_and_time_span_use_fallback_correctly():
    big_room = 2**62
    # Rooms x span exceed 63 bits, so the packed key cannot be used.
    assert coverage._make_codec(
        [np.array([0, big_room])], [np.array([MIN_MS, MAX_MS])]
    ) is None
    stays = [(big_room, MIN_MS, MIN_MS + 100), (0, MAX_MS - 100, MAX_MS), (big_room, 0, 10)]
    covers = [(big_room, MIN_MS + 10, MIN_MS + 20), (0, MAX_MS - 50, MAX_MS + 1)]
    blind, (idx, bs, be) = run_kernel(stays, covers)
    assert blind.tolist() == [90, 50, 10]
    assert pieces_per_stay(3, idx, bs, be)[0] == [
        (MIN_MS, MIN_MS + 10),
        (MIN_MS + 20, MIN_MS + 100),
    ]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 400), st.integers(1, 60))
def test_random_bulk_against_oracle(seed, n_covers, n_stays):
    # Denser random data than hypothesis lists produce: many overlaps per room.
    rng = np.random.default_rng(seed)
    cr = rng.integers(0, 5, n_covers)
    cs = rng.integers(0, 2000, n_covers)
    ce = cs + rng.integers(1, 120, n_covers)
    sr = rng.integers(0, 6, n_stays)
    ss = rng.integers(0, 2000, n_stays)
    se = ss + rng.integers(0, 500, n_stays)
    stays = list(zip(sr.tolist(), ss.tolist(), se.tolist(), strict=True))
    covers = list(zip(cr.tolist(), cs.tolist(), ce.tolist(), strict=True))
    check_against_oracle(stays, covers)


# ------------------------------------------------------------------ blind_ms_from_cameras
# The camera-level pipeline must equal expand_to_rooms + blind_ms and the per-ms oracle,
# for rooms with no, one and several cameras, cameras covering several rooms, repeated
# pairs, unmapped cameras, overlapping or unsorted or empty recordings.


def oracle_blind_from_cameras(stays, pairs, recordings) -> list[int]:
    covers = [(room, s, e) for c, s, e in recordings for pc, room in pairs if pc == c]
    return [sum(b - a for a, b in pieces) for pieces in oracle_blind(stays, covers)]


def run_from_cameras(stays, pairs, recordings):
    return blind_ms_from_cameras(
        [r for r, _, _ in stays], [s for _, s, _ in stays], [e for _, _, e in stays],
        [c for c, _, _ in recordings], [s for _, s, _ in recordings],
        [e for _, _, e in recordings], [c for c, _ in pairs], [r for _, r in pairs],
    )


def check_from_cameras(stays, pairs, recordings):
    got = run_from_cameras(stays, pairs, recordings)
    assert got.dtype == np.int64
    assert got.tolist() == oracle_blind_from_cameras(stays, pairs, recordings)
    general = blind_ms(
        [r for r, _, _ in stays], [s for _, s, _ in stays], [e for _, _, e in stays],
        *expand_to_rooms(
            [c for c, _, _ in recordings], [s for _, s, _ in recordings],
            [e for _, _, e in recordings], [c for c, _ in pairs], [r for _, r in pairs],
        ),
    )
    assert got.tolist() == general.tolist()


camera_pairs_st = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=12)
recordings_st = st.lists(
    st.tuples(st.integers(0, 5), st.integers(-5, 60), st.integers(-3, 25)), max_size=25
).map(lambda xs: [(c, s, s + d) for c, s, d in xs])
camera_stays_st = st.lists(
    st.tuples(st.integers(0, 5), st.integers(-5, 60), st.integers(0, 40)), max_size=12
).map(lambda xs: [(r, s, s + d) for r, s, d in xs])


@st.composite
def stored_recordings(draw):
    """Per camera, in camera then time order, each span starting at or after the previous
    one's end (often exactly there): the order ingestion stores spans in."""
    out = []
    for camera in sorted(draw(st.sets(st.integers(0, 5), max_size=6))):
        t = draw(st.integers(-5, 10))
        for gap, duration in draw(
            st.lists(st.tuples(st.sampled_from([0, 0, 0, 1, 3]), st.integers(1, 8)),
                     max_size=8)
        ):
            t += gap
            out.append((camera, t, t + duration))
            t += duration
    return out


def test_from_cameras_single_multi_and_no_camera_rooms():
    pairs = [(0, 1), (1, 2), (2, 2), (3, 3), (4, 3), (5, 3), (0, 6), (0, 6), (9, 7)]
    recordings = [
        (0, 0, 40), (0, 60, 100),  # room 1 alone; also room 6 (repeated pair)
        (1, 0, 50), (2, 50, 100),  # room 2: two cameras, complementary, touching
        (3, 0, 30), (4, 20, 60), (5, 70, 80), (5, 85, 90),  # room 3: three cameras
        (8, 0, 100),  # camera 8 is in no room
    ]
    stays = [(1, 0, 100), (2, 0, 100), (3, 0, 100), (4, 0, 100), (6, 30, 70), (1, 50, 50),
             (7, 10, 20), (3, 55, 95)]
    got = run_from_cameras(stays, pairs, recordings)
    assert got.tolist() == [20, 0, 25, 100, 20, 0, 10, 20]
    check_from_cameras(stays, pairs, recordings)


def test_from_cameras_nothing_to_see():
    stays = [(0, 0, 10), (1, 5, 5)]
    assert run_from_cameras(stays, [], [(0, 0, 10)]).tolist() == [10, 0]
    assert run_from_cameras(stays, [(0, 0)], []).tolist() == [10, 0]
    assert run_from_cameras(stays, [(0, 0)], [(0, 5, 5), (0, 9, 3)]).tolist() == [10, 0]
    assert run_from_cameras([], [(0, 0)], [(0, 0, 10)]).tolist() == []
    with pytest.raises(ValueError, match="ends before"):
        run_from_cameras([(0, 10, 5)], [(0, 0)], [(0, 0, 10)])
    with pytest.raises(TypeError):
        blind_ms_from_cameras([0], [0], [1], [0], [0.5], [1.0], [0], [0])


@PROPERTY
@given(camera_stays_st, camera_pairs_st, recordings_st)
def test_from_cameras_matches_oracle(stays, pairs, recordings):
    check_from_cameras(stays, pairs, recordings)


@PROPERTY
@given(camera_stays_st, camera_pairs_st, stored_recordings())
def test_from_cameras_stored_order_matches_oracle(stays, pairs, recordings):
    check_from_cameras(stays, pairs, recordings)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 400), st.integers(1, 80), st.booleans())
def test_from_cameras_random_bulk(seed, n_recordings, n_stays, stored):
    # Many cameras per room and many spans per camera: several passes of the level loop.
    rng = np.random.default_rng(seed)
    pairs = list(zip(rng.integers(0, 8, 14).tolist(), rng.integers(0, 4, 14).tolist(),
                     strict=True))
    cam = rng.integers(0, 9, n_recordings)
    start = rng.integers(0, 1500, n_recordings)
    end = start + rng.integers(1, 100, n_recordings)
    if stored:  # back to back per camera, in order
        cam = np.sort(cam)
        end = np.cumsum(rng.integers(1, 30, n_recordings))
        start = end - rng.integers(1, 30, n_recordings).clip(max=np.diff(end, prepend=0))
    recordings = list(zip(cam.tolist(), start.tolist(), end.tolist(), strict=True))
    sr = rng.integers(0, 5, n_stays)
    ss = rng.integers(0, 1500, n_stays)
    stays = list(zip(sr.tolist(), ss.tolist(), (ss + rng.integers(0, 400, n_stays)).tolist(),
                     strict=True))
    check_from_cameras(stays, pairs, recordings)


def test_from_cameras_sparse_camera_codes_and_huge_times():
    # Camera codes too far apart to pack with the times: renumbered, same answers.
    big = 2**62
    pairs = [(big, 1), (-big, 1), (7, 2)]
    recordings = [(big, 0, 50), (-big, 40, 80), (7, 10, 20), (3 * 2**60, 0, 100)]
    stays = [(1, 0, 100), (2, 0, 100), (3, 0, 10)]
    assert run_from_cameras(stays, pairs, recordings).tolist() == [20, 90, 10]
    # Times too far apart even for three cameras: the general (lexsort) path.
    low, high = -(2**61), 2**61
    stays = [(1, low, low + 100), (2, high - 100, high), (1, MIN_MS, MAX_MS)]
    recordings = [(big, low + 10, low + 20), (-big, low + 15, low + 30),
                  (7, high - 50, high + 1), (big, MIN_MS, MAX_MS)]
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(coverage, "expand_to_rooms",
                   lambda *a: calls.append(1) or expand_to_rooms(*a))
        assert run_from_cameras(stays, pairs, recordings).tolist() == [80, 50, 0]
    assert calls == [1]


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-5, 60), st.integers(1, 25)),
                max_size=20))
def test_union_keys_in_order_and_sorting_paths_agree(ivs):
    # Both branches of _union_keys: start keys already sorted (no sort) or not.
    ivs = sorted((r * 1000 + s, r * 1000 + s + d) for r, s, d in ivs)
    ks = np.array([a for a, _ in ivs], dtype=np.int64)
    ke = np.array([b for _, b in ivs], dtype=np.int64)
    fast = coverage._union_keys(ks, ke)
    shuffled = np.random.default_rng(len(ivs)).permutation(len(ivs))
    slow = coverage._union_keys(ks[::-1].copy(), ke[::-1].copy())
    also = coverage._union_keys(ks[shuffled], ke[shuffled])
    want = oracle_covered_set(ks.tolist(), ke.tolist())
    for s, e in (fast, slow, also):
        assert oracle_covered_set(s.tolist(), e.tolist()) == want
        assert s.tolist() == fast[0].tolist() and e.tolist() == fast[1].tolist()
        assert np.all(s[1:] > e[:-1]) and np.all(e > s)


@PROPERTY
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=10, unique=True),
       st.lists(st.integers(-60, 60), max_size=20), st.booleans())
def test_index_in_table_and_search_agree(known, values, spread):
    known_arr = np.array(sorted(known), dtype=np.int64) * (10**9 if spread else 1)
    values_arr = np.array(values, dtype=np.int64) * (10**9 if spread else 1)
    pos, found = coverage._index_in(known_arr, values_arr)
    assert found.tolist() == [v in set(known_arr.tolist()) for v in values_arr.tolist()]
    assert np.all((pos >= 0) & (pos < len(known_arr)))
    assert known_arr[pos[found]].tolist() == values_arr[found].tolist()


@PROPERTY
@given(stays_st, intervals)
def test_searching_in_query_order_matches_oracle(stays, covers):
    # Force _searchsorted to sort the queries (only done for large arrays otherwise).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(coverage, "_SORT_QUERIES_ABOVE", 0)
        check_against_oracle(stays, covers)


# ----------------------------------------------------------------------------- timeparse


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("1704430800", 1_704_430_800_000),
        ("1704430800.250", 1_704_430_800_250),
        ("1704430800.25", 1_704_430_800_250),
        ("1704430800.001", 1_704_430_800_001),
        ("0", 0),
        ("-1.5", -1_500),
        ("2024-01-05T05:00:00Z", 1_704_430_800_000),
        ("2024-01-05T10:00:00.250+05:00", 1_704_430_800_250),
        ("2024-01-05T10:00:00.250+0500", 1_704_430_800_250),
        ("2024-01-05T01:30:00.9-03:30", 1_704_430_800_900),
        ("  2024-01-05T05:00:00.000Z\n", 1_704_430_800_000),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ("1970-01-01T00:00:00+00:00", 0),
    ],
)
def test_parse_timestamp_ok(text, want):
    assert parse_timestamp_ms(text) == want


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2024-01-05T10:00:00", "naive"),
        ("2024-01-05T10:00:00.250", "naive"),
        ("2024-01-05T10:00:00.2500Z", "fractional"),
        ("1704430800.2500", "fractional"),
        ("2023-02-29T00:00:00Z", "date/time"),
        ("2024-01-05T24:00:00Z", "date/time"),
        ("2024-01-05T10:00:00+24:00", "offset"),
        ("2024-01-05T10:00Z", "seconds"),
        ("2024-01-05", "invalid timestamp"),
        ("1704430800.", "invalid timestamp"),
        ("", "empty"),
        ("   ", "empty"),
        ("soon", "invalid timestamp"),
        ("١٧٠٤٤٣٠٨٠٠", "invalid timestamp"),  # Arabic-Indic digits
        ("99999999999999999", "outside"),
    ],
)
def test_parse_timestamp_bad(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_timestamp_ms(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2_000_000_000_000), st.integers(-23 * 60 - 59, 23 * 60 + 59))
def test_parse_iso_round_trip(ms, offset_min):
    import datetime as dt

    tz = dt.timezone(dt.timedelta(minutes=offset_min))
    when = dt.datetime.fromtimestamp(ms // 1000, tz) + dt.timedelta(milliseconds=ms % 1000)
    text = when.isoformat(timespec="milliseconds")
    assert parse_timestamp_ms(text) == ms
    assert parse_timestamp_ms(f"{ms // 1000}.{ms % 1000:03d}") == ms
