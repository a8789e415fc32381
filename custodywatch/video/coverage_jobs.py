"""Incremental coverage: recompute stored blind time where spans, stays or actions changed.

Every write that can change a room's coverage queues ``CoverageWork`` (room, period) rows in
its own transaction: state-span and recording ingestion (the rooms of each camera whose
stored spans changed), the silence sweep, and custody stay and interrogation writes. The job
(:func:`coverage_work_run`, run by ``video_sweep`` each loop) claims a batch of rows with a
conditional DELETE, as healthchecks' sendalerts claims with a conditional UPDATE: only the
worker whose DELETE removed a row processes it, and the claim, the recomputation and the
stored values commit together (a worker that dies gives its rows back by rolling back).

Blind time comes from :func:`custodywatch.video.coverage.stay_coverage`, the same function the
record page calls: the stored value is that answer as of ``coverage_computed_at`` (an open
stay or action clipped to that moment). An investigative action with blind time raises one
camera-coverage custody alert (custody/alerts.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import astuple, dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from custodywatch.custody import alerts
from custodywatch.custody.models import Interrogation, RoomStay
from custodywatch.registry.models import Camera
from custodywatch.video.bulk import (
    column_of,
    connection_for,
    insert_rows,
    time_adapter,
    time_reader,
)
from custodywatch.video.coverage import StayCoverage, stay_coverage
from custodywatch.video.models import CoverageWork
from custodywatch.video.timing import EPOCH, ONE_MS, from_ms, silence_after, to_ms

CLAIM_LIMIT = 500  # work rows per claim: one stay_coverage call, one transaction
CLAUSES = 200  # (room, period) clauses per OR query
# Open stays and actions grow blind while nobody writes: refreshed this often.
REFRESH_EVERY = dt.timedelta(minutes=10)
COLUMNS = ["room", "starts_at", "ends_at", "queued_at"]


@dataclass(frozen=True)
class CoverageRunResult:
    claimed: int
    stays: int
    interrogations: int
    alerts: int
    withdrawn: int = 0  # camera alerts closed because later footage covers their action

    def __add__(self, other: CoverageRunResult) -> CoverageRunResult:
        return CoverageRunResult(*(a + b for a, b in zip(astuple(self), astuple(other),
                                                         strict=True)))


NOTHING = CoverageRunResult(claimed=0, stays=0, interrogations=0, alerts=0)


# --------------------------------------------------------------------------- queueing


def coverage_work_queue(*, rows: Iterable[tuple[int, int, int]],
                        now: dt.datetime | None = None) -> int:
    """Queue ``(room id, start ms, end ms)`` rows; one INSERT, inside the caller's transaction."""
    connection = connection_for(CoverageWork)
    adapt = time_adapter(connection)
    queued = adapt(to_ms(now or timezone.now()))
    values = [(room_id, adapt(start), adapt(max(start, end)), queued)
              for room_id, start, end in rows]
    insert_rows(CoverageWork, COLUMNS, values)
    return len(values)


def coverage_work_for_cameras(*, windows: Mapping[int, tuple[int, int]],
                              now: dt.datetime | None = None) -> int:
    """Each camera's rooms x its ``(start ms, end ms)`` window: one SELECT, one INSERT."""
    if not windows:
        return 0
    # One statement on the ingestion hot path: the cameras' windows joined to their rooms
    # in the database (no SELECT round trip, no ORM compilation per batch).
    connection = connection_for(CoverageWork)
    adapt = time_adapter(connection)
    quote = connection.ops.quote_name
    through = Camera.rooms.through._meta
    table = quote(CoverageWork._meta.db_table)
    columns = ", ".join(quote(column_of(CoverageWork, name)) for name in COLUMNS)
    camera_col, room_col = (quote(column_of(Camera.rooms.through, name))
                            for name in ("camera", "room"))
    mark = ("(%s::bigint, %s::timestamptz, %s::timestamptz)"
            if connection.vendor == "postgresql" else "(%s, %s, %s)")
    params: list[Any] = []
    for camera_id, (start, end) in windows.items():
        params += [camera_id, adapt(start), adapt(max(start, end))]
    params.append(adapt(to_ms(now or timezone.now())))
    sql = (f"WITH v (c, s, e) AS (VALUES {', '.join([mark] * len(windows))}) "  # noqa: S608 - model names, values as parameters
           f"INSERT INTO {table} ({columns}) SELECT t.{room_col}, v.s, v.e, %s "
           f"FROM v JOIN {quote(through.db_table)} t ON t.{camera_col} = v.c")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _ceil_ms(moment: dt.datetime) -> int:
    return to_ms(moment) + (1 if (moment - EPOCH) % ONE_MS else 0)


def coverage_work_for_period(*, room_id: int, started_at: dt.datetime,
                             ended_at: dt.datetime | None, now: dt.datetime | None = None
                             ) -> int:
    """A stay or an action written in ``room_id``: its period, an open one up to now."""
    now = now or timezone.now()
    return coverage_work_queue(rows=[_period_row(room_id, started_at, ended_at, now)], now=now)


def coverage_work_on_room_time(sender: object, *, room_id: int, started_at: dt.datetime,
                               ended_at: dt.datetime | None, **kwargs: object) -> None:
    """custody.signals.room_time_changed: a stay's or an action's period was written (custody
    sends it inside its write's transaction, which this queueing joins)."""
    coverage_work_for_period(room_id=room_id, started_at=started_at, ended_at=ended_at)


def _period_row(room_id: int, started_at: dt.datetime, ended_at: dt.datetime | None,
                now: dt.datetime) -> tuple[int, int, int]:
    """Whole milliseconds that contain the period (start rounded down, end up); an open
    one up to now."""
    end = ended_at if ended_at is not None else max(now, started_at)
    return room_id, to_ms(started_at), _ceil_ms(end)


Period = TypeVar("Period", RoomStay, Interrogation)  # the periods whose blind time is stored


def _stale(model: type[Period], not_final: Q, before: dt.datetime) -> QuerySet[Period]:
    stale = (model.objects.filter(not_final, coverage_computed_at__lt=before)
             | model.objects.filter(ended_at__isnull=True, coverage_computed_at__isnull=True))
    return stale.exclude(room__in=CoverageWork.objects.values("room"))


def coverage_work_refresh(*, now: dt.datetime | None = None,
                          every: dt.timedelta = REFRESH_EVERY) -> int:
    """Queue the periods of stays and actions whose stored value is not final yet.

    Open ones grow blind with the clock while nobody writes (a room with no camera gets no
    spans at all); ones that ended less than the silence grace before their last computation
    may still get late spans. Rooms that already have work queued are left to it.
    """
    now = now or timezone.now()
    grace = silence_after()
    rows: list[tuple[int, int, int]] = []
    not_final = (Q(ended_at__isnull=True)
                 | Q(coverage_computed_at__lt=F("ended_at") + grace))
    for stale in (_stale(RoomStay, not_final, now - every),
                  _stale(Interrogation, not_final, now - every)):
        rows += [(room_id, to_ms(start), to_ms(end or max(now, start)))
                 for room_id, start, end in stale.values_list("room_id", "started_at",
                                                              "ended_at")[:CLAIM_LIMIT]]
    return coverage_work_queue(rows=rows, now=now)


def coverage_never_stored(model: type[RoomStay] | type[Interrogation]) -> Any:
    """Stays or actions that have no stored blind time at all: written before the job
    existed, or whose work was lost to a restored backup."""
    return model.objects.filter(coverage_computed_at__isnull=True)


def coverage_work_backfill(*, now: dt.datetime | None = None, limit: int = CLAIM_LIMIT
                           ) -> Iterator[tuple[int, CoverageRunResult]]:
    """Queue and recompute every stay and action with no stored blind time, ``limit`` at a
    time, yielding how many each batch had and the job's result (for a progress bar).

    Walks each table by id, so rows that stay uncomputed (none should) cannot loop it, and a
    run stopped half way resumes where the stored values end. Blind interrogations found
    raise their alerts, as the job does for new ones.
    """
    now = now or timezone.now()
    for model in (RoomStay, Interrogation):
        after = 0
        while True:
            rows = list(coverage_never_stored(model).filter(pk__gt=after).order_by("pk")
                        .values_list("pk", "room_id", "started_at", "ended_at")[:limit])
            if not rows:
                break
            after = rows[-1][0]
            with transaction.atomic():
                coverage_work_queue(rows=[_period_row(room_id, start, end, now)
                                          for _pk, room_id, start, end in rows], now=now)
            # The job claims the oldest work first: this batch, and any queued before it.
            yield len(rows), coverage_work_drain(now=now, limit=limit)


# --------------------------------------------------------------------------- claiming


def coverage_work_claim(*, limit: int = CLAIM_LIMIT, ids: Sequence[int] | None = None
                        ) -> list[tuple[int, int, int]]:
    """Delete up to ``limit`` of the oldest work rows (or the rows ``ids``) and return the
    ``(room id, start ms, end ms)`` of those this call deleted, and only those.

    Two workers may select the same ids; the DELETE decides: a row deleted by the other is
    not returned here. Call inside the transaction that stores the results.
    """
    if ids is None:
        chosen = CoverageWork.objects.order_by("queued_at", "id")
        if connection_for(CoverageWork).features.has_select_for_update_skip_locked:
            chosen = chosen.select_for_update(skip_locked=True)
        ids = list(chosen.values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    connection = connection_for(CoverageWork)
    read = time_reader(connection)
    table = connection.ops.quote_name(CoverageWork._meta.db_table)
    room, start, end, pk = (connection.ops.quote_name(column_of(CoverageWork, name))
                            for name in ("room", "starts_at", "ends_at", "id"))
    claimed: list[tuple[int, int, int]] = []
    with connection.cursor() as cursor:
        for first in range(0, len(ids), CLAIM_LIMIT):
            chunk = list(ids[first:first + CLAIM_LIMIT])
            marks = ", ".join(["%s"] * len(chunk))
            # DELETE ... RETURNING (PostgreSQL, SQLite >= 3.35): each row to its deleter only.
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks}) "  # noqa: S608 - model names, values as parameters
                           f"RETURNING {room}, {start}, {end}", chunk)
            claimed += [(row[0], read(row[1]), read(row[2])) for row in cursor.fetchall()]
    return claimed


def merge_by_room(work: Iterable[tuple[int, int, int]]) -> dict[int, list[tuple[int, int]]]:
    """Each room's periods, overlapping and touching ones joined, in time order."""
    by_room: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for room_id, start, end in work:
        by_room[room_id].append((start, end))
    merged: dict[int, list[tuple[int, int]]] = {}
    for room_id, periods in by_room.items():
        periods.sort()
        joined = [periods[0]]
        for start, end in periods[1:]:
            if start <= joined[-1][1]:
                joined[-1] = (joined[-1][0], max(joined[-1][1], end))
            else:
                joined.append((start, end))
        merged[room_id] = joined
    return merged


# --------------------------------------------------------------------------- the job


def _overlapping(model: type[RoomStay] | type[Interrogation],
                 periods: Mapping[int, Sequence[tuple[int, int]]]) -> list[Any]:
    """Rows of ``model`` in those rooms whose time touches one of the room's periods."""
    clauses = [Q(room_id=room_id, started_at__lte=from_ms(end))
               & (Q(ended_at__isnull=True) | Q(ended_at__gte=from_ms(start)))
               for room_id, room_periods in periods.items() for start, end in room_periods]
    found: dict[int, Any] = {}
    for first in range(0, len(clauses), CLAUSES):
        query = Q()
        for clause in clauses[first:first + CLAUSES]:
            query |= clause
        for row in model.objects.filter(query).only(
                "pk", "room_id", "started_at", "ended_at", "custody_record_id"):
            found[row.pk] = row
    return [found[pk] for pk in sorted(found)]


def _settled_blind_ms(coverage: StayCoverage, cutoff: dt.datetime) -> int:
    """Blind time before ``cutoff``: later spans may still be on their way from the agent."""
    return sum(max(0, to_ms(min(end, cutoff)) - to_ms(start))
               for start, end in coverage.blind if start < cutoff)


def coverage_work_run(*, now: dt.datetime | None = None, limit: int = CLAIM_LIMIT
                      ) -> CoverageRunResult:
    """Claim a batch of work, recompute the stays and actions it touches, store, alert."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = coverage_work_claim(limit=limit)
        if not claimed:
            return NOTHING
        periods = merge_by_room(claimed)
        stays = _overlapping(RoomStay, periods)
        actions = _overlapping(Interrogation, periods)
        coverage = stay_coverage(
            stays=[(row.pk, row.room_id, row.started_at, row.ended_at)
                   for row in (*stays, *actions)], now=now)
        for row, result in zip((*stays, *actions), coverage, strict=True):
            row.blind_ms, row.coverage_computed_at = result.blind_ms, now
        RoomStay.objects.bulk_update(stays, ["blind_ms", "coverage_computed_at"],
                                     batch_size=CLAIM_LIMIT)
        Interrogation.objects.bulk_update(actions, ["blind_ms", "coverage_computed_at"],
                                          batch_size=CLAIM_LIMIT)
        cutoff = now - silence_after()
        blind_actions = [(action, settled) for action, result
                         in zip(actions, coverage[len(stays):], strict=True)
                         if (settled := _settled_blind_ms(result, cutoff))]
        raised = alerts.camera_alerts_raise(actions=blind_actions, now=now)
        # Fully recorded now (not merely "not yet settled"): blind time 0 over the whole
        # action, an open one included up to now.
        recorded = [action for action, result in zip(actions, coverage[len(stays):],
                                                     strict=True) if result.blind_ms == 0]
        withdrawn = alerts.camera_alerts_withdraw(actions=recorded, now=now)
    return CoverageRunResult(claimed=len(claimed), stays=len(stays),
                             interrogations=len(actions), alerts=raised, withdrawn=withdrawn)


def coverage_work_drain(*, now: dt.datetime | None = None, limit: int = CLAIM_LIMIT,
                        batches: int = 20) -> CoverageRunResult:
    """Run the job until the queue is empty or ``batches`` claims were made."""
    totals = NOTHING
    for _batch in range(batches):
        result = coverage_work_run(now=now, limit=limit)
        totals += result
        if result.claimed < limit:
            break
    return totals
