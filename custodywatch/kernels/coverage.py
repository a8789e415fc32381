"""Blind-time kernel: how much of each stay no working camera saw.

Pure numpy, no Django. All times are int64 epoch milliseconds; all intervals are
half-open ``[start, end)``. Rooms and cameras are int64 codes (any values, need not be
dense); the caller maps its string ids to codes.

Pipeline::

    rooms, s, e = expand_to_rooms(rec_camera, rec_start, rec_end, map_camera, map_room)
    blind = blind_ms(stay_room, stay_start, stay_end, rooms, s, e)
    idx, bs, be = blind_intervals(stay_room, stay_start, stay_end, rooms, s, e)

or, for the blind milliseconds alone and several times faster at national size (no
per-room copy of the recordings), with the same answers::

    blind = blind_ms_from_cameras(stay_room, stay_start, stay_end,
                                  rec_camera, rec_start, rec_end, map_camera, map_room)

``union_by_room`` is exposed on its own so that another implementation (for example
PostgreSQL ``range_agg`` into a ``tstzmultirange``) can be compared at each stage.

Everything is sort + searchsorted + cumulative sums; there is no Python loop over
intervals or stays (``blind_ms_from_cameras`` loops over "a room's k-th camera" only).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "blind_intervals",
    "blind_ms",
    "blind_ms_from_cameras",
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

    def encode_pair(
        self, rooms: IntArray, starts: IntArray, ends: IntArray
    ) -> tuple[IntArray, IntArray]:
        """``encode(rooms, starts), encode(rooms, ends)`` with fewer passes over memory."""
        base = rooms - self.room_lo
        base *= self.width
        start_keys = starts - self.time_lo
        start_keys += base
        end_keys = ends - self.time_lo
        end_keys += base
        return start_keys, end_keys

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


# Above this many sorted keys a binary search no longer stays in the CPU caches, and
# searching in key order (nearby queries walk nearby paths) beats random order by ~10x,
# far more than the argsort of the queries costs.
_SORT_QUERIES_ABOVE = 1 << 16


def _searchsorted(hay: IntArray, queries: IntArray, side: Literal["left", "right"]) -> IntArray:
    """``np.searchsorted(hay, queries, side)`` as int64, searching in query order when
    ``hay`` is too large for the caches and the queries are not already sorted."""
    if len(hay) < _SORT_QUERIES_ABOVE or len(queries) < 2 or _is_sorted(queries):
        return np.searchsorted(hay, queries, side=side).astype(np.int64, copy=False)
    order = np.argsort(queries)
    out = np.empty(len(queries), dtype=np.int64)
    out[order] = np.searchsorted(hay, queries[order], side=side)
    return out


def _is_sorted(keys: IntArray) -> bool:
    return bool(np.all(keys[1:] >= keys[:-1]))


def _union_keys(start_keys: IntArray, end_keys: IntArray) -> tuple[IntArray, IntArray]:
    """Union of packed ``[start, end)`` keys (one codec, so a room or camera change is a
    boundary): the merged runs' start and end keys, sorted, disjoint and non-touching.
    Empty intervals must already be removed.

    Input already in start order (how ingestion stores a camera's spans) needs no sort:
    a run begins where a start lies beyond every earlier end (``reach``, their running
    maximum; it never crosses a room boundary because keys order rooms first). Otherwise
    starts and ends are sorted *independently*: the i-th smallest end and the (i+1)-th
    smallest start bracket a gap exactly when end_i < start_{i+1}, since at that point
    i+1 intervals have both started and ended. Either way touching intervals
    (end == next start) merge.
    """
    n = len(start_keys)
    if n == 0:
        return start_keys[:0].copy(), end_keys[:0].copy()
    if _is_sorted(start_keys):
        reach = np.maximum.accumulate(end_keys)
        begins = np.empty(n, dtype=bool)
        begins[0] = True
        np.greater(start_keys[1:], reach[:-1], out=begins[1:])
        first = np.flatnonzero(begins)
        last = np.empty_like(first)
        last[:-1] = first[1:] - 1
        last[-1] = n - 1
        return start_keys[first], reach[last]
    ks = np.sort(start_keys)
    ke = np.sort(end_keys)
    cut = np.flatnonzero(ke[:-1] < ks[1:])
    first = np.concatenate(([0], cut + 1))
    last = np.concatenate((cut, [n - 1]))
    return ks[first], ke[last]


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
        return _searchsorted(hay, codec.encode(q_rooms, q_times), side)
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

    With a codec, ``_union_keys`` on the packed keys. Without one, the same independent
    sorts of starts and ends by (room, time), by lexsort: within a room, the i-th
    smallest end and the (i+1)-th smallest start bracket a gap exactly when
    end_i < start_{i+1}, and a room change is also a boundary.
    """
    n = len(starts)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    if codec is not None:
        run_start_keys, run_end_keys = _union_keys(
            codec.encode(rooms, starts), codec.encode(rooms, ends)
        )
        run_rooms, run_starts = codec.decode(run_start_keys)
        _, run_ends = codec.decode(run_end_keys)
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


def _stays(stay_rooms: npt.ArrayLike, stay_starts: npt.ArrayLike,
           stay_ends: npt.ArrayLike) -> tuple[IntArray, IntArray, IntArray]:
    """The stays as checked int64 arrays of one length, none ending before it starts."""
    sr = _as_i64("stay_rooms", stay_rooms)
    ss = _as_i64("stay_starts", stay_starts)
    se = _as_i64("stay_ends", stay_ends)
    _same_length(stay_rooms=sr, stay_starts=ss, stay_ends=se)
    _check_stays(ss, se)
    return sr, ss, se


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

    if len(mc) == 0 or len(cam) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    order = np.argsort(mc, kind="stable")
    mc, mr = mc[order], mr[order]
    # The pairs of camera c are mr[lo : lo + count] for its place in the distinct cameras.
    cameras, first, n_pairs = np.unique(mc, return_index=True, return_counts=True)
    pos, found = _index_in(cameras, cam)
    lo = first[pos]
    counts = np.where(found, n_pairs[pos], 0)
    total = int(counts.sum())
    # Output row i of interval k's block (which starts at row block_start[k]) takes the
    # map's pair lo[k] + (i - block_start[k]).
    block_start = np.cumsum(counts) - counts
    rooms = mr[np.arange(total) - np.repeat(block_start - lo, counts)]
    return rooms, np.repeat(s, counts), np.repeat(e, counts)


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
    sr, ss, se = _stays(stay_rooms, stay_starts, stay_ends)
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


def blind_ms_from_cameras(
    stay_rooms: npt.ArrayLike,
    stay_starts: npt.ArrayLike,
    stay_ends: npt.ArrayLike,
    camera_of_interval: npt.ArrayLike,
    starts: npt.ArrayLike,
    ends: npt.ArrayLike,
    map_camera: npt.ArrayLike,
    map_room: npt.ArrayLike,
) -> IntArray:
    """``blind_ms(stays, *expand_to_rooms(recordings, map))`` without the expansion.

    The same answer to the millisecond under the same rules: ``starts``/``ends`` are the
    ``ok`` recordings of ``camera_of_interval`` (any order, may overlap; empty ones cover
    nothing); ``map_camera``/``map_room`` are the (camera, room) pairs (repeats are
    harmless, a camera absent from them covers nothing, a room absent from them is blind
    throughout). Stays with end == start give 0; end < start raises ValueError.

    Each camera's recordings are merged into runs once (with no sort when they come in
    (camera, start) order, as they are stored), never copied per room. Then a room's
    cameras are taken in turn: every stay, or what of it is still blind, is cut by the
    runs of its room's next camera; at the room's last camera only the covered length
    is needed, from a prefix sum over the runs. A room with a single camera costs two
    binary searches per stay. Each pass searches in key order (see ``_searchsorted``).
    The one loop is over "a room's k-th camera", as many passes as the most cameras any
    room has; within a pass everything is vectorised.
    """
    sr, ss, se = _stays(stay_rooms, stay_starts, stay_ends)
    given_cam = _as_i64("camera_of_interval", camera_of_interval)
    given_s = _as_i64("starts", starts)
    given_e = _as_i64("ends", ends)
    _same_length(camera_of_interval=given_cam, starts=given_s, ends=given_e)
    given_mc = _as_i64("map_camera", map_camera)
    mr = _as_i64("map_room", map_room)
    _same_length(map_camera=given_mc, map_room=mr)

    length = se - ss
    cam, cs, ce = _nonempty(given_cam, given_s, given_e)
    mc = given_mc
    if len(cs) == 0 or len(ss) == 0 or len(mc) == 0:
        return length.copy()
    codec = _make_codec([cam, mc], [_bounds((cs, ce), (ss, se))])
    if codec is None:
        # Sparse camera codes (say, hashes): number the mapped cameras 0, 1, ... instead.
        known = np.unique(mc)
        pos, mapped = _index_in(known, cam)
        cam, cs, ce = pos[mapped], cs[mapped], ce[mapped]
        mc = _index_in(known, mc)[0]
        if len(cs) == 0:
            return length.copy()
        codec = _make_codec([cam, mc], [_bounds((cs, ce), (ss, se))])
        if codec is None:
            # Times too far apart to pack even so: the general path, exact but slower.
            cover = expand_to_rooms(given_cam, given_s, given_e, given_mc, mr)
            return blind_ms(sr, ss, se, *cover)

    run_start, run_end = _camera_runs(codec, cam, cs, ce)
    # covered_upto[k]: run length of the first k runs (all cameras); end_before[k]: the end
    # key of run k - 1, or 0 (no key is below 0) when k == 0.
    covered_upto = np.zeros(len(run_start) + 1, dtype=np.int64)
    np.cumsum(run_end - run_start, out=covered_upto[1:])
    end_before = np.zeros(len(run_end) + 1, dtype=np.int64)
    end_before[1:] = run_end

    def covered_before(keys: IntArray) -> IntArray:
        # Run time of (camera, t) before t: a run of an earlier camera ends below the key.
        k = np.searchsorted(run_start, keys, side="right")
        before: IntArray = covered_upto[k] - np.maximum(end_before[k] - keys, 0)
        return before

    pair_room, pair_camera = _distinct_pairs(mr, mc)
    room_first = np.flatnonzero(np.r_[True, pair_room[1:] != pair_room[:-1]])
    pos, found = _index_in(pair_room[room_first], sr)
    n_cameras = np.where(found, np.diff(np.r_[room_first, len(pair_room)])[pos], 0)
    first_pair = room_first[pos]

    blind = np.where(n_cameras == 0, length, 0)
    piece_stay = np.flatnonzero((n_cameras > 0) & (length > 0))
    piece_start, piece_end = ss[piece_stay], se[piece_stay]
    level = 0
    while piece_stay.size:
        camera = pair_camera[first_pair[piece_stay] + level]
        lo_keys = codec.encode(camera, piece_start)
        order = np.argsort(lo_keys)
        piece_stay, camera, lo_keys = piece_stay[order], camera[order], lo_keys[order]
        hi_keys = codec.encode(camera, piece_end[order])
        last = n_cameras[piece_stay] == level + 1
        # At the room's last camera: what it leaves uncovered of the piece is blind.
        lo_last, hi_last = lo_keys[last], hi_keys[last]
        unseen = (hi_last - lo_last) - (covered_before(hi_last) - covered_before(lo_last))
        if level == 0:  # one piece per stay so far
            blind[piece_stay[last]] = unseen
        else:
            np.add.at(blind, piece_stay[last], unseen)
        # Otherwise: the gaps between this camera's runs inside the piece go on.
        more = ~last
        piece_stay, camera, piece_start, piece_end = _gaps(
            codec, run_start, run_end, piece_stay[more], camera[more], lo_keys[more],
            hi_keys[more],
        )
        level += 1
    return blind


def _camera_runs(
    codec: _Codec, cameras: IntArray, starts: IntArray, ends: IntArray
) -> tuple[IntArray, IntArray]:
    """Each camera's intervals merged into runs, as sorted start and end keys.

    Spans as ingestion stores them (by camera, in time order, none overlapping the one
    before) only merge where one ends exactly as the next starts: then the runs are found
    on the raw arrays, and only they are packed into keys. Anything else: ``_union_keys``.
    """
    same = cameras[1:] == cameras[:-1]
    if not _is_sorted(cameras) or np.any(same & (starts[1:] < ends[:-1])):
        return _union_keys(*codec.encode_pair(cameras, starts, ends))
    begins = np.empty(len(starts), dtype=bool)
    begins[0] = True
    np.greater(starts[1:], ends[:-1], out=begins[1:])
    begins[1:] |= ~same
    first = np.flatnonzero(begins)
    last = np.empty_like(first)
    last[:-1] = first[1:] - 1
    last[-1] = len(starts) - 1
    return codec.encode_pair(cameras[first], starts[first], ends[last])


def _bounds(*intervals: tuple[IntArray, IntArray]) -> IntArray:
    """The earliest start and latest end of each ``(starts, ends)`` (ends >= starts), for
    ``_make_codec``: every time lies between them, and each array is read once."""
    return np.array(
        [t for starts, ends in intervals if starts.size for t in (starts.min(), ends.max())],
        dtype=np.int64,
    )


def _index_in(known: IntArray, values: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Each value's index in ``known`` (sorted, distinct, non-empty) and whether it is
    there (the index is then meaningless but valid). A table when the codes are compact,
    a binary search otherwise."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    lo = min(int(known[0]), int(values.min()))
    span = max(int(known[-1]), int(values.max())) - lo + 1
    if span <= 2 * (len(known) + len(values)):
        table = np.full(span, -1, dtype=np.int64)
        table[known - lo] = np.arange(len(known))
        pos = table[values - lo]
        found = pos >= 0
        return np.maximum(pos, 0), found
    pos = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return pos.astype(np.int64, copy=False), known[pos] == values


def _distinct_pairs(rooms: IntArray, cameras: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct (room, camera) pairs, sorted by room then camera."""
    order = np.lexsort((cameras, rooms))
    rooms, cameras = rooms[order], cameras[order]
    new = np.ones(len(rooms), dtype=bool)
    new[1:] = (rooms[1:] != rooms[:-1]) | (cameras[1:] != cameras[:-1])
    return rooms[new], cameras[new]


def _gaps(
    codec: _Codec,
    run_start: IntArray,
    run_end: IntArray,
    owner: IntArray,
    camera: IntArray,
    lo_keys: IntArray,
    hi_keys: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The parts of each piece ``[lo_keys, hi_keys)`` (keys of its ``camera``) outside
    that camera's runs, as ``(owner, camera, start time, end time)``: non-empty, in no
    particular order."""
    # Runs overlapping a piece are lo..hi-1: lo runs end at or before its start (all
    # earlier cameras' too), hi runs start before its end.
    lo = np.searchsorted(run_end, lo_keys, side="right")
    hi = np.searchsorted(run_start, hi_keys, side="left")
    untouched = hi == lo
    hit = np.flatnonzero(~untouched)
    lo_hit, hi_hit = lo[hit], hi[hit]
    # n >= 1 overlapping runs leave [start, r0.start), the n - 1 gaps between them
    # (never empty: a camera's runs do not touch), and [r_{n-1}.end, end).
    head_end, tail_start = run_start[lo_hit], run_end[hi_hit - 1]
    head = lo_keys[hit] < head_end
    tail = tail_start < hi_keys[hit]
    n_inner = hi_hit - lo_hit - 1
    inner_piece = np.repeat(hit, n_inner)
    inner_run = np.arange(len(inner_piece)) + np.repeat(lo_hit - (np.cumsum(n_inner) - n_inner),
                                                         n_inner)
    which = np.concatenate((np.flatnonzero(untouched), hit[head], hit[tail], inner_piece))
    g_lo = np.concatenate(
        (lo_keys[untouched], lo_keys[hit][head], tail_start[tail], run_end[inner_run])
    )
    g_hi = np.concatenate(
        (hi_keys[untouched], head_end[head], hi_keys[hit][tail], run_start[inner_run + 1])
    )
    camera = camera[which]
    # Back from keys to times: key = (camera - room_lo) * width + (time - time_lo).
    base = (camera - codec.room_lo) * codec.width
    return owner[which], camera, g_lo - base + codec.time_lo, g_hi - base + codec.time_lo


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
    sr, ss, se = _stays(stay_rooms, stay_starts, stay_ends)
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
