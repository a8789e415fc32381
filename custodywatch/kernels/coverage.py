"""Blind-time kernel: how much of each stay no working camera saw.

Pure numpy, no Django. All times are int64 epoch milliseconds; all intervals are
half-open ``[start, end)``. Rooms and cameras are int64 codes (any values, need not be
dense); the caller maps its string ids to codes.

Pipeline::

    rooms, s, e = expand_to_rooms(rec_camera, rec_start, rec_end, map_camera, map_room)
    blind = blind_ms(stay_room, stay_start, stay_end, rooms, s, e)
    idx, bs, be = blind_intervals(stay_room, stay_start, stay_end, rooms, s, e)

``union_by_room`` is exposed on its own so that another implementation (for example
PostgreSQL ``range_agg`` into a ``tstzmultirange``) can be compared at each stage.

Everything is sort + searchsorted + cumulative sums; there is no Python loop over
intervals or stays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "blind_intervals",
    "blind_ms",
    "expand_to_rooms",
    "intersect_by_room",
    "union_by_room",
    "union_intervals",
]

IntArray = npt.NDArray[np.int64]

_I64_MAX = 2**63 - 1


# --------------------------------------------------------------------------- helpers


def _as_i64(name: str, values: npt.ArrayLike) -> IntArray:
    """Coerce to a 1-D int64 array, refusing floats (they would silently truncate ms)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and int(arr.max()) > _I64_MAX:
        raise ValueError(f"{name} has values beyond int64")
    return arr.astype(np.int64, copy=False)


def _same_length(**arrays: IntArray) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays must have equal lengths, got {lengths}")
    return next(iter(lengths.values()), 0)


class _Codec:
    """Packs a (room, time) pair into one int64 whose order is lexicographic.

    One int64 key lets us use np.sort / np.searchsorted directly, which is several times
    faster than np.lexsort. It only works when rooms x time-span fits in 63 bits; when it
    does not, callers get ``None`` from ``_make_codec`` and use the lexsort fallback.
    """

    def __init__(self, room_lo: int, time_lo: int, width: int) -> None:
        self.room_lo = room_lo
        self.time_lo = time_lo
        self.width = width

    def encode(self, rooms: IntArray, times: IntArray) -> IntArray:
        return (rooms - self.room_lo) * self.width + (times - self.time_lo)

    def decode(self, keys: IntArray) -> tuple[IntArray, IntArray]:
        rooms, offs = np.divmod(keys, self.width)
        return rooms + self.room_lo, offs + self.time_lo


def _make_codec(rooms: list[IntArray], times: list[IntArray]) -> _Codec | None:
    rooms = [r for r in rooms if r.size]
    times = [t for t in times if t.size]
    if not rooms or not times:
        return _Codec(0, 0, 1)
    room_lo = min(int(r.min()) for r in rooms)
    room_hi = max(int(r.max()) for r in rooms)
    time_lo = min(int(t.min()) for t in times)
    time_hi = max(int(t.max()) for t in times)
    width = time_hi - time_lo + 1
    # Python ints: this check must not itself overflow.
    if (room_hi - room_lo + 1) * width > _I64_MAX:
        return None
    return _Codec(room_lo, time_lo, width)


def _count_le(
    codec: _Codec | None,
    hay_rooms: IntArray,
    hay_times: IntArray,
    q_rooms: IntArray,
    q_times: IntArray,
    side: Literal["left", "right"],
) -> IntArray:
    """searchsorted over lexicographically sorted (room, time) pairs.

    side="right": number of hay pairs <= each query; side="left": number < query.
    """
    if codec is not None:
        hay = codec.encode(hay_rooms, hay_times)
        return np.searchsorted(hay, codec.encode(q_rooms, q_times), side=side).astype(np.int64)
    # Fallback: sort hay and queries together; a query's rank among hay items is the
    # number of hay items sorted before it. The tag decides how ties are broken.
    n, m = len(hay_rooms), len(q_rooms)
    tag = np.zeros(n + m, dtype=np.int8)
    if side == "right":
        tag[n:] = 1  # equal hay items sort first, so they are counted
    else:
        tag[:n] = 1  # equal hay items sort after the query, so they are not
    order = np.lexsort(
        (tag, np.concatenate([hay_times, q_times]), np.concatenate([hay_rooms, q_rooms]))
    )
    hay_before = np.cumsum(order < n)
    out = np.empty(m, dtype=np.int64)
    is_q = order >= n
    out[order[is_q] - n] = hay_before[is_q]
    return out


def _union_sorted(
    codec: _Codec | None, rooms: IntArray, starts: IntArray, ends: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Per-room union; see ``union_by_room``. Empty intervals must already be removed.

    Sort starts and ends *independently* by (room, time). Within a room, the i-th
    smallest end and the (i+1)-th smallest start bracket a gap exactly when
    end_i < start_{i+1}: at that point i+1 intervals have both started and ended.
    Touching intervals (end_i == start_{i+1}) therefore merge. Both sorted arrays have
    the same per-room block boundaries, and a room change is also a boundary because
    keys order rooms first.
    """
    n = len(starts)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    if codec is not None:
        ks = np.sort(codec.encode(rooms, starts))
        ke = np.sort(codec.encode(rooms, ends))
        cut = np.flatnonzero(ke[:-1] < ks[1:])
        first = np.concatenate(([0], cut + 1))
        last = np.concatenate((cut, [n - 1]))
        run_rooms, run_starts = codec.decode(ks[first])
        _, run_ends = codec.decode(ke[last])
        return run_rooms, run_starts, run_ends
    os_ = np.lexsort((starts, rooms))
    oe = np.lexsort((ends, rooms))
    rs, ss = rooms[os_], starts[os_]
    re_, ee = rooms[oe], ends[oe]
    gap = (re_[:-1] < rs[1:]) | ((re_[:-1] == rs[1:]) & (ee[:-1] < ss[1:]))
    cut = np.flatnonzero(gap)
    first = np.concatenate(([0], cut + 1))
    last = np.concatenate((cut, [n - 1]))
    return rs[first], ss[first], ee[last]


def _nonempty(
    rooms: IntArray, starts: IntArray, ends: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    # end <= start covers nothing; dropping it keeps the gap test above valid.
    keep = ends > starts
    if keep.all():
        return rooms, starts, ends
    return rooms[keep], starts[keep], ends[keep]


def _check_stays(starts: IntArray, ends: IntArray) -> None:
    if np.any(ends < starts):
        bad = int(np.flatnonzero(ends < starts)[0])
        raise ValueError(f"stay {bad} ends before it starts")


# --------------------------------------------------------------------------- public API


def union_intervals(
    starts: npt.ArrayLike, ends: npt.ArrayLike
) -> tuple[IntArray, IntArray]:
    """Merge overlapping or touching ``[start, end)`` intervals.

    Returns sorted, disjoint, non-touching intervals. Empty ones (end <= start) vanish.
    """
    s = _as_i64("starts", starts)
    e = _as_i64("ends", ends)
    _same_length(starts=s, ends=e)
    zeros = np.zeros(len(s), dtype=np.int64)
    _, us, ue = union_by_room(zeros, s, e)
    return us, ue


def union_by_room(
    rooms: npt.ArrayLike, starts: npt.ArrayLike, ends: npt.ArrayLike
) -> tuple[IntArray, IntArray, IntArray]:
    """Union intervals separately per room.

    Returns ``(rooms, starts, ends)`` sorted by (room, start); within a room the
    intervals are disjoint and non-touching (``end < next start``).
    """
    r = _as_i64("rooms", rooms)
    s = _as_i64("starts", starts)
    e = _as_i64("ends", ends)
    _same_length(rooms=r, starts=s, ends=e)
    r, s, e = _nonempty(r, s, e)
    return _union_sorted(_make_codec([r], [s, e]), r, s, e)


def expand_to_rooms(
    camera_of_interval: npt.ArrayLike,
    starts: npt.ArrayLike,
    ends: npt.ArrayLike,
    map_camera: npt.ArrayLike,
    map_room: npt.ArrayLike,
) -> tuple[IntArray, IntArray, IntArray]:
    """Join camera intervals with (camera, room) pairs: one output row per (interval, room).

    Intervals of cameras absent from the map produce nothing. Repeated pairs in the map
    produce repeated rows, which is harmless for the union.
    Returns ``(rooms, starts, ends)``.
    """
    cam = _as_i64("camera_of_interval", camera_of_interval)
    s = _as_i64("starts", starts)
    e = _as_i64("ends", ends)
    _same_length(camera_of_interval=cam, starts=s, ends=e)
    mc = _as_i64("map_camera", map_camera)
    mr = _as_i64("map_room", map_room)
    _same_length(map_camera=mc, map_room=mr)

    order = np.argsort(mc, kind="stable")
    mc, mr = mc[order], mr[order]
    lo = np.searchsorted(mc, cam, side="left")
    hi = np.searchsorted(mc, cam, side="right")
    counts = hi - lo
    total = int(counts.sum())
    src = np.repeat(np.arange(len(cam)), counts)
    # Position of each output row inside its interval's block of rooms: 0, 1, ...
    block_start = np.cumsum(counts) - counts
    within = np.arange(total) - np.repeat(block_start, counts)
    rooms = mr[lo[src] + within]
    return rooms, s[src], e[src]


def blind_ms(
    stay_rooms: npt.ArrayLike,
    stay_starts: npt.ArrayLike,
    stay_ends: npt.ArrayLike,
    cover_rooms: npt.ArrayLike,
    cover_starts: npt.ArrayLike,
    cover_ends: npt.ArrayLike,
) -> IntArray:
    """Milliseconds of each stay not covered by any cover interval of its room.

    Cover intervals are the ``ok`` recordings already expanded to rooms (see
    ``expand_to_rooms``); they may overlap. A stay whose room has no cover is blind
    throughout. Stays with end == start give 0; end < start raises ValueError.
    """
    sr = _as_i64("stay_rooms", stay_rooms)
    ss = _as_i64("stay_starts", stay_starts)
    se = _as_i64("stay_ends", stay_ends)
    _same_length(stay_rooms=sr, stay_starts=ss, stay_ends=se)
    _check_stays(ss, se)
    cr = _as_i64("cover_rooms", cover_rooms)
    cs = _as_i64("cover_starts", cover_starts)
    ce = _as_i64("cover_ends", cover_ends)
    _same_length(cover_rooms=cr, cover_starts=cs, cover_ends=ce)
    cr, cs, ce = _nonempty(cr, cs, ce)

    length = se - ss
    if len(cs) == 0 or len(ss) == 0:
        return length.copy()

    codec = _make_codec([cr, sr], [cs, ce, ss, se])
    mr, ms, me = _union_sorted(codec, cr, cs, ce)
    # prefix[k] = total merged length of the first k merged intervals (all rooms).
    prefix = np.concatenate(([0], np.cumsum(me - ms)))

    def covered_before(t: IntArray) -> IntArray:
        # Global cumulative cover at (room, t): everything in earlier rooms plus the
        # room's cover before t. Earlier rooms cancel in G(end) - G(start).
        k = _count_le(codec, mr, ms, sr, t, side="right")
        prev = np.maximum(k - 1, 0)
        # The last merged interval starting at or before t may extend past t.
        same_room = (k > 0) & (mr[prev] == sr)
        overshoot = np.where(same_room, np.maximum(me[prev] - t, 0), 0)
        return prefix[k] - overshoot

    covered = covered_before(se) - covered_before(ss)
    return length - covered


def blind_intervals(
    stay_rooms: npt.ArrayLike,
    stay_starts: npt.ArrayLike,
    stay_ends: npt.ArrayLike,
    cover_rooms: npt.ArrayLike,
    cover_starts: npt.ArrayLike,
    cover_ends: npt.ArrayLike,
) -> tuple[IntArray, IntArray, IntArray]:
    """The blind sub-intervals of every stay, as flat arrays.

    Returns ``(stay_index, starts, ends)`` sorted by stay index then start. Per stay the
    pieces are disjoint, non-touching, non-empty and inside the stay; their lengths sum
    to ``blind_ms``. Same inputs and rules as ``blind_ms``.
    """
    sr = _as_i64("stay_rooms", stay_rooms)
    ss = _as_i64("stay_starts", stay_starts)
    se = _as_i64("stay_ends", stay_ends)
    _same_length(stay_rooms=sr, stay_starts=ss, stay_ends=se)
    _check_stays(ss, se)
    cr = _as_i64("cover_rooms", cover_rooms)
    cs = _as_i64("cover_starts", cover_starts)
    ce = _as_i64("cover_ends", cover_ends)
    _same_length(cover_rooms=cr, cover_starts=cs, cover_ends=ce)
    cr, cs, ce = _nonempty(cr, cs, ce)

    codec = _make_codec([cr, sr], [cs, ce, ss, se])
    mr, ms, me = _union_sorted(codec, cr, cs, ce)
    # Merged intervals overlapping [s, e) in room r are indices lo..hi-1 where
    # lo = #(room, end) <= (r, s) and hi = #(room, start) < (r, e). Within a room the
    # merged intervals are disjoint, so (room, end) is sorted just like (room, start).
    lo = _count_le(codec, mr, me, sr, ss, side="right")
    hi = _count_le(codec, mr, ms, sr, se, side="left")
    n_cover = np.maximum(hi - lo, 0)

    # A stay overlapped by n merged covers has n + 1 candidate gaps:
    # [s, c0.start), [c0.end, c1.start), ..., [c_{n-1}.end, e).
    pieces = n_cover + 1
    stay_idx = np.repeat(np.arange(len(ss)), pieces)
    j = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    n_rep = n_cover[stay_idx]
    lo_rep = lo[stay_idx]
    s_rep = ss[stay_idx]
    e_rep = se[stay_idx]
    if len(ms):
        # Index clipping only guards the masked-out branch of np.where.
        prev_end = me[np.clip(lo_rep + j - 1, 0, len(me) - 1)]
        next_start = ms[np.clip(lo_rep + j, 0, len(ms) - 1)]
        g_start = np.where(j == 0, s_rep, prev_end)
        g_end = np.where(j == n_rep, e_rep, next_start)
    else:
        g_start, g_end = s_rep, e_rep
    # Inner gaps lie inside the stay by construction of lo/hi. The first (last) gap is
    # empty or reversed exactly when a cover starts before (ends after) the stay.
    keep = g_end > g_start
    return stay_idx[keep], g_start[keep], g_end[keep]


def intersect_by_room(
    rooms_a: npt.ArrayLike,
    starts_a: npt.ArrayLike,
    ends_a: npt.ArrayLike,
    rooms_b: npt.ArrayLike,
    starts_b: npt.ArrayLike,
    ends_b: npt.ArrayLike,
) -> tuple[IntArray, IntArray, IntArray]:
    """Per room (or camera: any int64 key), the time inside both A and B.

    Used for "a working recording": a camera's recorded runs intersected with its spans of
    picture state ``ok``. Either side may overlap itself. Returns ``(rooms, starts, ends)``
    sorted by (room, start), disjoint and non-touching within a room.

    Two passes of ``blind_intervals``: A minus B, then A minus (A minus B).
    """
    ar, as_, ae = union_by_room(rooms_a, starts_a, ends_a)
    br = _as_i64("rooms_b", rooms_b)
    bs = _as_i64("starts_b", starts_b)
    be = _as_i64("ends_b", ends_b)
    _same_length(rooms_b=br, starts_b=bs, ends_b=be)
    idx, ds, de = blind_intervals(ar, as_, ae, br, bs, be)
    idx2, is_, ie = blind_intervals(ar, as_, ae, ar[idx], ds, de)
    return ar[idx2], is_, ie
