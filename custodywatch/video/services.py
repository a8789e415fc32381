"""Every write of the video app: what edge agents report, and the sweep for silent cameras.

A batch is one transaction: one bad item rejects the whole batch and nothing is written.
One audit row per accepted batch, never one per span (a national day is millions of spans).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.models import AuditEvent, MachineToken, User
from custodywatch.accounts.scoping import video_writer_facility_id
from custodywatch.core import plausible
from custodywatch.core.rows import RowErrors
from custodywatch.kernels.heartbeat_plan import (
    Beat,
    StoredHealth,
    newest_beats,
    plan_heartbeats,
)
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import ledger_append_many
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Camera, Facility
from custodywatch.video.agent_alerts import agent_alerts_mail, agent_disk_full_report
from custodywatch.video.bulk import (
    connection_for,
    insert_rows,
    read_spans,
    time_adapter,
    update_times,
)
from custodywatch.video.coverage_jobs import coverage_work_for_cameras
from custodywatch.video.merging import Plan, first_overlap, plan_merge, plan_trim
from custodywatch.video.models import (
    CameraHealth,
    CameraState,
    CameraStateSpan,
    RecordingRun,
    RecordingSegment,
    SignalStatus,
    SpanSource,
)
from custodywatch.video.timing import from_ms, silence_after, timestamp_ms, to_ms

MAX_ERRORS = 20  # enough to fix a batch, short enough to read
SHA256_HEX = frozenset("0123456789abcdef")
STATES = frozenset(CameraState.values)  # CameraState.values builds a new list per call


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    created: int = 0
    updated: int = 0
    deleted: int = 0


class _Errors(RowErrors):
    """Collects ``items[i].field`` messages (core.rows' one format); raises them together as
    one ValidationError (the API's 422 ``{"detail": {"items[3].end": [...]}}``)."""

    def __init__(self) -> None:
        super().__init__(item=True, limit=MAX_ERRORS)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(self.by_key())


# --------------------------------------------------------------------------- shared checks


def _writable_facility(
    *, acting_user: User, origin: Origin, token: MachineToken | None, facility_code: str
) -> Facility:
    """The facility a batch writes to: the edge agent account's own, which the body may name
    (accounts.scoping.video_writer_facility_id: no other sign-in writes video)."""
    allowed = video_writer_facility_id(acting_user, token)
    facility = acting_user.facility
    if (allowed is None or facility is None
            or (facility_code and facility_code != facility.code)):
        _refuse(acting_user, origin, facility_code or "-")
    return facility


def agent_facility(*, acting_user: User, origin: Origin, token: MachineToken | None
                   ) -> Facility:
    """The facility an agent's call (reference sync, preservation) is about; PermissionDenied,
    audited, for any sign-in but an edge agent's on its own facility."""
    return _writable_facility(acting_user=acting_user, origin=origin, token=token,
                              facility_code="")


def _refuse(acting_user: User, origin: Origin, facility_code: str) -> NoReturn:
    audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type="registry.facility", object_label=facility_code,
                 detail={"video": "ingest"})
    raise PermissionDenied(_("This token may report only its own facility's cameras."))


def _camera_ids(facility: Facility, items: Sequence[Mapping[str, Any]], errors: _Errors
                ) -> list[int | None]:
    codes = {str(item.get("camera", "")) for item in items}
    known = dict(Camera.objects.filter(facility=facility, code__in=codes)
                 .values_list("code", "pk"))
    ids: list[int | None] = []
    for index, item in enumerate(items):
        camera_id = known.get(str(item.get("camera", "")))
        if camera_id is None:
            errors.add(index, "camera", _("No camera %(code)s in facility %(facility)s.")
                       % {"code": item.get("camera", ""), "facility": facility.code})
        ids.append(camera_id)
    return ids


def _time(item: Mapping[str, Any], index: int, field: str, errors: _Errors,
          latest_ms: int, earliest_ms: int) -> int | None:
    try:
        ms = timestamp_ms(item.get(field))
    except ValueError as exc:
        errors.add(index, field, str(exc))
        return None
    if ms > latest_ms:
        errors.add(index, field, _("Lies in the future by the centre's clock."))
        return None
    if ms < earliest_ms:
        errors.add(index, field, _("Implausible: before the system's start date %(day)s.")
                   % {"day": plausible.records_start().isoformat()})
        return None
    return ms


def _memo_parse() -> Callable[[object], int]:
    """timestamp_ms with a memory for one batch: a camera's spans are laid end to end, so
    every end comes back as the next start, and half the parses are repeats."""
    memo: dict[str, int] = {}

    def parse(value: object) -> int:
        if type(value) is not str:  # True == 1 as a key: only strings are remembered
            return timestamp_ms(value)
        ms = memo.get(value)
        if ms is None:
            ms = memo[value] = timestamp_ms(value)
        return ms

    return parse


def _interval(item: Mapping[str, Any], index: int, errors: _Errors, latest_ms: int,
              earliest_ms: int) -> tuple[int, int] | None:
    start = _time(item, index, "start", errors, latest_ms, earliest_ms)
    end = _time(item, index, "end", errors, latest_ms, earliest_ms)
    if start is None or end is None:
        return None
    if end <= start:
        errors.add(index, "end", _("Must be after start (intervals are [start, end))."))
        return None
    return start, end


def _apply(model: type[CameraStateSpan] | type[RecordingRun], plan: Plan) -> None:
    """Deletes and updates of a plan; its creates are inserted by the caller, who knows the
    columns beyond the times."""
    if plan.deletes:
        model.objects.filter(pk__in=plan.deletes).delete()
    update_times(model, plan.updates)


def _stored(model: type[CameraStateSpan] | type[RecordingRun],
            windows: Mapping[int, tuple[int, int]], *fields: str) -> list[tuple[Any, ...]]:
    """Stored rows touching each camera's window of the batch (touching ones merge), in
    (camera, start) order, as ``(camera_id, pk, start_ms, end_ms, *fields)`` tuples.

    Cameras whose windows overlap share one range clause (camera IN ..., served by the
    (camera, ended_at) index); an agent's batch usually needs just one. Windows far apart
    in time (a backfill) get clauses of their own, so a range never spans a gap between
    them. Each row read is then kept only if it touches its own camera's window.
    """
    rows = read_spans(model, _window_groups(windows), fields)
    return [row for row in rows
            if row[2] <= windows[row[0]][1] and row[3] >= windows[row[0]][0]]


def _window_groups(windows: Mapping[int, tuple[int, int]]
                   ) -> list[tuple[list[int], int, int]]:
    """Cameras whose windows overlap, as (camera ids, low, high): one range clause each."""
    groups: list[tuple[list[int], int, int]] = []
    group: list[int] = []
    low = high = 0
    for camera_id, (start, end) in sorted(windows.items(), key=lambda item: item[1]):
        if group and start > high:
            groups.append((group, low, high))
            group = []
        if not group:
            low, high = start, end
        group.append(camera_id)
        high = max(high, end)
    if group:
        groups.append((group, low, high))
    return groups


def _windows(spans: Sequence[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    windows: dict[int, tuple[int, int]] = {}
    for camera_id, start, end in spans:
        low, high = windows.get(camera_id, (start, end))
        windows[camera_id] = (min(low, start), max(high, end))
    return windows


def _audit_batch(*, acting_user: User, origin: Origin, facility: Facility, kind: str,
                 result: IngestResult) -> None:
    audit_record(actor=acting_user, action=AuditEvent.Action.IMPORT, origin=origin,
                 obj=facility, detail={"video": kind, **result.__dict__})


# --------------------------------------------------------------------------- state spans


def state_spans_ingest(
    *,
    acting_user: User,
    origin: Origin,
    token: MachineToken | None,
    items: Sequence[Mapping[str, Any]],
    facility_code: str = "",
    now: dt.datetime | None = None,
) -> IngestResult:
    """What each camera's picture showed, ``{camera, state, start, end}`` per item."""
    # Resolved before the transaction: a refusal is audited, and must stay so.
    facility = _writable_facility(acting_user=acting_user, origin=origin, token=token,
                                  facility_code=facility_code)
    with transaction.atomic():
        return _state_spans_ingest(
            acting_user=acting_user, origin=origin, facility=facility, items=items, now=now)


Parsed = tuple[int, int, int, int, str]  # (index, camera, start, end, state)


def _state_spans_read(facility: Facility, items: Sequence[Mapping[str, Any]],
                      now: dt.datetime | None) -> list[Parsed]:
    """Every item checked (errors named ``items[i].field``, all at once)."""
    # Not before the system's start date, not in the future (core/plausible.py).
    earliest_ms, latest_ms = plausible.epoch_ms_window(plausible.Kind.EVENT, now)
    errors = _Errors()
    camera_ids = _camera_ids(facility, items, errors)
    parsed: list[Parsed] = []
    parse = _memo_parse()
    for index, item in enumerate(items):
        # The common case in one go; any exception or doubt takes the careful path, which
        # names each bad field.
        state, camera_id = item.get("state"), camera_ids[index]
        start: int | None
        end: int | None
        try:
            start, end = parse(item.get("start")), parse(item.get("end"))
        except ValueError:
            start = end = None
        if (camera_id is not None and start is not None and end is not None
                and earliest_ms <= start < end <= latest_ms and isinstance(state, str)
                and state in STATES):
            parsed.append((index, camera_id, start, end, state))
            continue
        if not (isinstance(state, str) and state in STATES):
            errors.add(index, "state", _("Unknown state %(state)r; expected one of %(states)s.")
                       % {"state": state, "states": ", ".join(CameraState.values)})
        _interval(item, index, errors, latest_ms, earliest_ms)
    errors.raise_if_any()
    return parsed


def _state_spans_by_camera(parsed: Sequence[Parsed]
                           ) -> dict[int, list[tuple[int, int, int, str]]]:
    """The items per camera; a camera shows one state at a time (refused otherwise)."""
    errors = _Errors()
    by_camera: dict[int, list[tuple[int, int, int, str]]] = defaultdict(list)
    for index, camera_id, start, end, state in parsed:
        by_camera[camera_id].append((index, start, end, state))
    for camera_items in by_camera.values():
        clash = first_overlap(camera_items)
        if clash is not None:
            errors.add(clash[1], "start", _("Overlaps items[%(other)s], which has another "
                                            "state: a camera shows one state at a time.")
                       % {"other": clash[0]})
    errors.raise_if_any()
    return by_camera


def _plan_state_spans(by_camera: Mapping[int, Sequence[tuple[int, int, int, str]]],
                      stored: Mapping[int, Sequence[_StoredSpan]]
                      ) -> tuple[Plan, list[tuple[int, str, str, int, int]], list[int]]:
    """What the batch changes (video.merging, pure): the plan, the spans to create (camera,
    state, source, start, end) and the cameras whose stored spans change."""
    plan = Plan()
    creates: list[tuple[int, str, str, int, int]] = []
    changed: list[int] = []
    for camera_id, camera_items in by_camera.items():
        before = len(creates) + len(plan.updates) + len(plan.deletes)
        mine = stored.get(camera_id, [])
        sweep = [row for row in mine if row.source == SpanSource.SWEEP]
        if sweep:
            trim = plan_trim([(row.pk, row.start, row.end) for row in sweep],
                             [(start, end) for _i, start, end, _s in camera_items])
            for start, end in trim.creates:
                # The right half of a sweep span cut in the middle: still an inferred silence.
                halved = next(row for row in sweep if row.start <= start and end <= row.end)
                creates.append((camera_id, halved.state, SpanSource.SWEEP, start, end))
            trim.creates = []
            plan.extend(trim)
        for state in sorted({state for *_rest, state in camera_items}):
            same = [(row.pk, row.start, row.end) for row in mine
                    if row.source == SpanSource.AGENT and row.state == state]
            part = plan_merge(same, [(start, end) for _i, start, end, st in camera_items
                                     if st == state])
            creates += [(camera_id, state, SpanSource.AGENT, s, e) for s, e in part.creates]
            part.creates = []
            plan.extend(part)
        if len(creates) + len(plan.updates) + len(plan.deletes) > before:
            changed.append(camera_id)
    return plan, creates, changed


def _state_spans_ingest(
    *, acting_user: User, origin: Origin, facility: Facility,
    items: Sequence[Mapping[str, Any]], now: dt.datetime | None,
) -> IngestResult:
    """Validate (the items, then against the stored spans), plan, apply."""
    parsed = _state_spans_read(facility, items, now)
    by_camera = _state_spans_by_camera(parsed)
    windows = _windows([(camera_id, start, end) for _i, camera_id, start, end, _s in parsed])
    stored = _by_camera(_stored(CameraStateSpan, windows, "state", "source"))
    errors = _Errors()
    _check_against_stored(parsed, stored, errors)
    errors.raise_if_any()

    plan, creates, changed = _plan_state_spans(by_camera, stored)
    _apply(CameraStateSpan, plan)
    adapt = time_adapter(connection_for(CameraStateSpan))
    insert_rows(CameraStateSpan, ["camera", "state", "source", "started_at", "ended_at"],
                [(camera_id, state, str(source), adapt(s), adapt(e))
                 for camera_id, state, source, s, e in creates])
    # The rooms whose coverage this batch changed, for the coverage job (a replay queues none).
    coverage_work_for_cameras(windows={camera_id: windows[camera_id] for camera_id in changed},
                              now=now)
    result = IngestResult(accepted=len(items), created=len(creates), updated=len(plan.updates),
                          deleted=len(plan.deletes))
    _audit_batch(acting_user=acting_user, origin=origin, facility=facility, kind="state_spans",
                 result=result)
    return result


class _StoredSpan(NamedTuple):
    pk: int
    start: int  # ms
    end: int  # ms
    state: str
    source: str


def _by_camera(stored: Sequence[tuple[Any, ...]]) -> dict[int, list[_StoredSpan]]:
    """Stored spans per camera, in the order they were read."""
    grouped: dict[int, list[_StoredSpan]] = defaultdict(list)
    for camera_id, pk, start, end, state, source in stored:
        grouped[camera_id].append(_StoredSpan(pk, start, end, state, source))
    return grouped


def _check_against_stored(parsed: Sequence[tuple[int, int, int, int, str]],
                          stored: Mapping[int, Sequence[_StoredSpan]], errors: _Errors) -> None:
    """An agent does not contradict itself: a stored report of another state stands.

    Each item is checked against its own camera's stored agent spans only; the first one
    (in stored order) of another state that overlaps it is named.
    """
    agent = {camera_id: [span for span in spans if span.source == SpanSource.AGENT]
             for camera_id, spans in stored.items()}
    for index, camera_id, start, end, state in parsed:
        for span in agent.get(camera_id, ()):
            if span.state != state and span.start < end and start < span.end:
                errors.add(index, "start", _(
                    "Overlaps the stored %(state)s span from %(start)s to %(end)s."
                ) % {"state": span.state, "start": from_ms(span.start).isoformat(),
                     "end": from_ms(span.end).isoformat()})
                break


# --------------------------------------------------------------------------- recordings


def recording_spans_ingest(
    *,
    acting_user: User,
    origin: Origin,
    token: MachineToken | None,
    items: Sequence[Mapping[str, Any]],
    facility_code: str = "",
    now: dt.datetime | None = None,
) -> IngestResult:
    """Recorded segments, ``{camera, start, end, sha256}`` per item.

    Each segment keeps its hash; the runs they form are merged for coverage and gaps. A
    segment sent again with the same hash is a harmless retry; with another hash it is
    refused, because a changed hash for recorded time is what tampering looks like.
    """
    # Resolved before the transaction: a refusal is audited, and must stay so.
    facility = _writable_facility(acting_user=acting_user, origin=origin, token=token,
                                  facility_code=facility_code)
    with transaction.atomic():
        return _recording_spans_ingest(
            acting_user=acting_user, origin=origin, facility=facility, items=items, now=now)


def _recordings_read(facility: Facility, items: Sequence[Mapping[str, Any]],
                     now: dt.datetime | None
                     ) -> tuple[dict[tuple[int, int], tuple[int, int, str]], list[int | None]]:
    """Every item checked (errors named ``items[i].field``, all at once): the segments by
    (camera, start) as (index, end, sha256), and each item's camera."""
    # Not before the system's start date, not in the future (core/plausible.py).
    earliest_ms, latest_ms = plausible.epoch_ms_window(plausible.Kind.EVENT, now)
    errors = _Errors()
    camera_ids = _camera_ids(facility, items, errors)
    segments: dict[tuple[int, int], tuple[int, int, str]] = {}  # (camera, start) -> ...
    for index, item in enumerate(items):
        digest = str(item.get("sha256", "")).lower()
        if len(digest) != 64 or not set(digest) <= SHA256_HEX:
            errors.add(index, "sha256", _("Expected 64 hexadecimal digits."))
        interval = _interval(item, index, errors, latest_ms, earliest_ms)
        camera_id = camera_ids[index]
        if interval is None or camera_id is None:
            continue
        seen = segments.get((camera_id, interval[0]))
        if seen is not None and seen[2] != digest:
            errors.add(index, "sha256", _("Same segment as items[%(other)s] with another hash.")
                       % {"other": seen[0]})
        segments[(camera_id, interval[0])] = (index, interval[1], digest)
    errors.raise_if_any()
    return segments, camera_ids


def _recording_spans_ingest(
    *, acting_user: User, origin: Origin, facility: Facility,
    items: Sequence[Mapping[str, Any]], now: dt.datetime | None,
) -> IngestResult:
    """Validate, plan what is new (a segment sent again with its hash is a retry), apply."""
    segments, camera_ids = _recordings_read(facility, items, now)
    errors = _Errors()
    already = _stored_segments(segments)
    fresh: list[tuple[int, int, int, str]] = []  # camera, start, end, sha256
    for (camera_id, start), (index, end, digest) in segments.items():
        stored = already.get((camera_id, start))
        if stored is not None:
            if stored != (end, digest):
                errors.add(index, "sha256", _(
                    "This segment was already received with another hash or end."))
            continue
        fresh.append((camera_id, start, end, digest))
    errors.raise_if_any()
    adapt = time_adapter(connection_for(RecordingSegment))
    received = adapt(to_ms(timezone.now()))
    insert_rows(RecordingSegment, ["camera", "started_at", "ended_at", "sha256", "received_at"],
                [(camera_id, adapt(start), adapt(end), digest, received)
                 for camera_id, start, end, digest in fresh])
    # Each new segment's hash becomes a ledger leaf in this same transaction (issue 8).
    codes = {camera_id: str(item.get("camera")) for item, camera_id
             in zip(items, camera_ids, strict=True) if camera_id is not None}
    ledger_append_many(entries=[
        (LeafKind.RECORDING_SEGMENT, segment_leaf_fields(
            facility=facility.code, camera=codes[camera_id], start_ms=start, end_ms=end,
            sha256=digest))
        for camera_id, start, end, digest in fresh])

    spans = [(camera_id, start, end) for (camera_id, start), (_i, end, _d) in segments.items()]
    stored_runs: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for run_camera, pk, started, ended in _stored(RecordingRun, _windows(spans)):
        stored_runs[run_camera].append((pk, started, ended))
    by_camera: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for camera_id, start, end in spans:
        by_camera[camera_id].append((start, end))
    plan = Plan()
    creates: list[tuple[int, int, int]] = []  # camera, start, end
    for camera_id, incoming in by_camera.items():
        part = plan_merge(stored_runs.get(camera_id, []), incoming)
        creates += [(camera_id, s, e) for s, e in part.creates]
        part.creates = []
        plan.extend(part)
    _apply(RecordingRun, plan)
    insert_rows(RecordingRun, ["camera", "started_at", "ended_at"],
                [(camera_id, adapt(s), adapt(e)) for camera_id, s, e in creates])
    # Only new segments change the runs; segments sent again queue no coverage work.
    coverage_work_for_cameras(windows=_windows([(camera_id, start, end)
                                                for camera_id, start, end, _d in fresh]),
                              now=now)
    result = IngestResult(accepted=len(items), created=len(fresh), updated=len(plan.updates),
                          deleted=len(plan.deletes))
    _audit_batch(acting_user=acting_user, origin=origin, facility=facility, kind="recordings",
                 result=result)
    return result


def segment_leaf_fields(*, facility: str, camera: str, start_ms: int, end_ms: int,
                        sha256: str) -> dict[str, Any]:
    """The ledger leaf of one recorded segment (docs/ledger.md, kind recording_segment)."""
    return {"facility": facility, "camera": camera, "start": iso_time(from_ms(start_ms)),
            "end": iso_time(from_ms(end_ms)), "sha256": sha256}


def _stored_segments(segments: Mapping[tuple[int, int], object]
                     ) -> dict[tuple[int, int], tuple[int, str]]:
    """Stored segments with the same (camera, start) as a batch's: one range read per
    camera group (see :func:`_stored`), not one OR clause per segment."""
    windows: dict[int, tuple[int, int]] = {}
    for camera_id, start in segments:
        low, high = windows.get(camera_id, (start, start))
        windows[camera_id] = (min(low, start), max(high, start))
    found: dict[tuple[int, int], tuple[int, str]] = {}
    for group, low, high in _window_groups(windows):
        rows = (RecordingSegment.objects
                .filter(camera_id__in=group, started_at__gte=from_ms(low),
                        started_at__lte=from_ms(high))
                .values_list("camera_id", "started_at", "ended_at", "sha256"))
        for camera, started, ended, digest in rows:
            key = (camera, to_ms(started))
            if key in segments:
                found[key] = (to_ms(ended), digest)
    return found


# --------------------------------------------------------------------------- heartbeats


def heartbeats_ingest(
    *,
    acting_user: User,
    origin: Origin,
    token: MachineToken | None,
    items: Sequence[Mapping[str, Any]],
    facility_code: str = "",
    now: dt.datetime | None = None,
) -> IngestResult:
    """``{camera, at, state}`` per item: the camera is alive and shows ``state``.

    Not audited: heartbeats change no record a person relies on, only the "now" of
    CameraHealth, and an agent sends one per camera every few seconds.
    """
    # Resolved before the transaction: a refusal is audited, and must stay so.
    facility = _writable_facility(acting_user=acting_user, origin=origin, token=token,
                                  facility_code=facility_code)
    with transaction.atomic():
        return _heartbeats_ingest(
            acting_user=acting_user, origin=origin, facility=facility, items=items, now=now)


def _heartbeats_read(facility: Facility, items: Sequence[Mapping[str, Any]],
                     now: dt.datetime | None) -> dict[int, Beat]:
    """Every item checked (errors named ``items[i].field``, all at once); the newest beat of
    each camera."""
    # Not before the system's start date, not in the future (core/plausible.py).
    earliest_ms, latest_ms = plausible.epoch_ms_window(plausible.Kind.EVENT, now)
    errors = _Errors()
    camera_ids = _camera_ids(facility, items, errors)
    beats: list[tuple[int, Beat]] = []
    for index, item in enumerate(items):
        state = item.get("state", CameraState.OK)
        known = isinstance(state, str) and state in STATES
        if not known:
            errors.add(index, "state", _("Unknown state %(state)r; expected one of %(states)s.")
                       % {"state": state, "states": ", ".join(CameraState.values)})
        disk_full = item.get("disk_full", False)
        if not isinstance(disk_full, bool):
            errors.add(index, "disk_full", _("Expected true or false."))
        at_ms = _time(item, index, "at", errors, latest_ms, earliest_ms)
        camera_id = camera_ids[index]
        if at_ms is not None and camera_id is not None and known:
            beats.append((camera_id, Beat(at_ms, str(state), disk_full is True)))
    errors.raise_if_any()
    return newest_beats(beats)


def _heartbeats_ingest(
    *, acting_user: User, origin: Origin, facility: Facility,
    items: Sequence[Mapping[str, Any]], now: dt.datetime | None,
) -> IngestResult:
    """Validate, plan (kernels.heartbeat_plan), apply."""
    newest = _heartbeats_read(facility, items, now)
    existing = {h.camera_id: h for h in CameraHealth.objects.select_for_update()
                .filter(camera_id__in=newest)}
    grace = silence_after()
    plan = plan_heartbeats(newest, {camera_id: StoredHealth(
        to_ms(h.last_heartbeat_at), h.reported_state, h.status == SignalStatus.SILENT,
        h.silence_span_id) for camera_id, h in existing.items()}, grace // dt.timedelta(
            milliseconds=1))
    changed: list[CameraHealth] = []
    for update in plan.updates:
        health, at = existing[update.camera], from_ms(update.beat.at_ms)
        if update.state_since_reset:
            health.state_since = at
        health.reported_state = update.beat.state
        health.last_heartbeat_at = at
        health.silent_after = at + grace
        health.status = SignalStatus.LIVE
        health.silence_span = None
        health.agent_disk_full = update.beat.disk_full
        changed.append(health)
    for span_id, at_ms in plan.closed_silences:
        # The sweep extended the silence to its last run; it really ended with this beat.
        at = from_ms(at_ms)
        CameraStateSpan.objects.filter(pk=span_id, started_at__lt=at).update(ended_at=at)
        CameraStateSpan.objects.filter(pk=span_id, started_at__gte=at).delete()
    CameraStateSpan.objects.bulk_create([
        CameraStateSpan(camera_id=camera_id, state=CameraState.NO_SIGNAL, source=SpanSource.SWEEP,
                        started_at=from_ms(start), ended_at=from_ms(end))
        for camera_id, start, end in plan.silences])
    CameraHealth.objects.bulk_create([
        CameraHealth(camera_id=camera_id, last_heartbeat_at=from_ms(beat.at_ms),
                     reported_state=beat.state, state_since=from_ms(beat.at_ms),
                     silent_after=from_ms(beat.at_ms) + grace, agent_disk_full=beat.disk_full)
        for camera_id, beat in plan.creates])
    CameraHealth.objects.bulk_update(
        changed, ["state_since", "reported_state", "last_heartbeat_at", "silent_after", "status",
                  "silence_span", "agent_disk_full"], batch_size=500)
    if plan.agent_said is not None:
        agent_disk_full_report(acting_user=acting_user, origin=origin, facility=facility,
                               disk_full=plan.agent_said[1], at=from_ms(plan.agent_said[0]))
    return IngestResult(accepted=len(items), created=len(plan.creates), updated=len(changed))


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepResult:
    newly_silent: int
    extended: int


def video_sweep(*, now: dt.datetime | None = None, limit: int = 10_000) -> SweepResult:
    """Record silent cameras as no_signal; safe to run in several processes at once.

    Each due camera is claimed with a conditional UPDATE (LIVE -> SILENT where its last
    heartbeat is still the one we saw); only the process whose UPDATE changed the row
    writes the span. Spans of cameras still silent are then stretched to ``now``.
    """
    now = now or timezone.now()
    newly_silent = 0
    due = list(CameraHealth.objects.filter(status=SignalStatus.LIVE, silent_after__lt=now)
               .order_by("silent_after").values_list("pk", "camera_id", "last_heartbeat_at")
               [:limit])
    for health_id, camera_id, last_heartbeat_at in due:
        with transaction.atomic():
            claimed = CameraHealth.objects.filter(
                pk=health_id, status=SignalStatus.LIVE, last_heartbeat_at=last_heartbeat_at
            ).update(status=SignalStatus.SILENT)
            if not claimed:
                continue  # another sweeper, or a fresh heartbeat, got there first
            span = CameraStateSpan.objects.create(
                camera_id=camera_id, state=CameraState.NO_SIGNAL, source=SpanSource.SWEEP,
                started_at=last_heartbeat_at, ended_at=now)
            CameraHealth.objects.filter(pk=health_id).update(silence_span=span)
            # A camera gone silent: its rooms' open stays and actions are blind from now on.
            coverage_work_for_cameras(
                windows={camera_id: (to_ms(last_heartbeat_at), to_ms(now))}, now=now)
            newly_silent += 1
    open_spans = CameraHealth.objects.filter(status=SignalStatus.SILENT,
                                             silence_span__isnull=False).values("silence_span")
    extended = CameraStateSpan.objects.filter(pk__in=open_spans, ended_at__lt=now).update(
        ended_at=now)
    if newly_silent:
        audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                     object_type="video.camerahealth", object_label="video_sweep",
                     detail={"newly_silent": newly_silent, "extended": extended})
    agent_alerts_mail(now=now)  # agent alerts whose e-mail failed at first
    return SweepResult(newly_silent=newly_silent, extended=extended)
