"""The custody records batch (issue 26 item 5): validate -> plan -> apply.

The row schema is the API's (custody.api.RecordIn, pydantic: shapes and lengths, refused
with a 422 naming ``items[i].field`` before this runs). Here, every item is read: its
facility, its detention given once a batch, its times plausible, its rooms those of its
facility; every error is collected in the one format of core.rows (``items[3].detained_at``,
``items[0].cell_checks[2].room``) and nothing is written while there is one. The plan
(kernels.row_plan) says which detentions are new, changed or unchanged: a re-sent batch
rewrites (and audits) no record. The services' writers apply it, atomically; what only they
know (the model's rules) still refuses the batch, naming the item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import MachineToken, User
from custodywatch.core import plausible
from custodywatch.core.rows import RowErrors
from custodywatch.custody import services
from custodywatch.custody.batch import (
    AHEAD_FIELDS,
    MOMENT_FIELDS,
    Item,
    Result,
    _authorize,
    _messages,
    moment,
)
from custodywatch.custody.models import CustodyRecord
from custodywatch.kernels.row_plan import Action, PlannedRow, plan_upserts, repeats
from custodywatch.registry.models import Facility, Room

CHILDREN = ("right_delays", "reviews", "risk_assessments", "cell_checks")
END = ("ended_at", "end_reason", "end_note")
# Text fields the API leaves None when not sent: blank, as the form would store them.
BLANK_WHEN_NONE = ("prosecutor_notified_means", "consular_decline_acknowledgement",
                   "rights_acknowledgement")


@dataclass
class ReadRecord:
    """One item, read: the record's values as the writer takes them, its first room, its
    children (in writing order) and its end."""

    index: int
    facility: Facility
    values: dict[str, Any]
    room: Room | None = None
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    end: dict[str, Any] = field(default_factory=dict)


Add = Callable[[str, str], None]


def _field_values(item: Mapping[str, Any], add: Add, prefix: str = "") -> dict[str, Any]:
    """The item's fields with its times parsed (each bad one named)."""
    values: dict[str, Any] = {}
    for name, value in item.items():
        kind = (plausible.Kind.EVENT if name in MOMENT_FIELDS
                else plausible.Kind.PLAN if name in AHEAD_FIELDS else None)
        try:
            values[name] = value if kind is None else moment(value, name, kind)
            if name == "date_of_birth":
                plausible.check(plausible.Kind.BIRTH, value, name)
        except ValidationError as error:
            for key, texts in _messages(error).items():
                for text in texts:
                    add(prefix + key, text)
    return values


def _room(facility: Facility, code: str, rooms: Mapping[tuple[int, str], Room], add: Add,
          name: str) -> Room | None:
    room = rooms.get((facility.pk, code))
    if room is None:
        add(name, _("Room %(room)s is not a room of facility %(facility)s.")
            % {"room": code, "facility": facility.code})
    return room


def _children(item: Mapping[str, Any], facility: Facility,
              rooms: Mapping[tuple[int, str], Room], add: Add) -> dict[str, list[dict]]:
    children: dict[str, list[dict]] = {}
    for name in CHILDREN:
        read = []
        for index, child in enumerate(item.get(name) or []):
            prefix = f"{name}[{index}]."
            values = _field_values(child, add, prefix)
            if name == "risk_assessments" and values.get("observation_level") is None:
                values["observation_level"] = ""
            code = values.pop("room", None) if name == "cell_checks" else None
            if code:
                values["room"] = _room(facility, code, rooms, add, prefix + "room")
            read.append(values)
        children[name] = read
    return children


def _read_one(index: int, item: Item, facility: Facility,
              rooms: Mapping[tuple[int, str], Room], errors: RowErrors) -> ReadRecord:
    def add(name: str, message: str) -> None:
        errors.add(index, name, message)

    values = _field_values({k: v for k, v in item.items() if k not in CHILDREN}, add)
    if values.get("ended_at") is None and (values.get("end_reason") or values.get("end_note")):
        add("end_reason" if values.get("end_reason") else "end_note",
            _("Custody ends with ended_at: give it with the reason."))
    values.pop("facility", None)
    code = values.pop("room", None)
    if values.get("regime", "") is None:
        values.pop("regime")  # omitted: the facility kind's on a new record, else kept
    for name in BLANK_WHEN_NONE:
        if name in values and values[name] is None:
            values[name] = ""
    return ReadRecord(
        index, facility, values,
        room=_room(facility, code, rooms, add, "room") if code else None,
        children=_children(item, facility, rooms, add),
        end={name: values.pop(name) for name in END if name in values})


def _facilities_of(items: Sequence[Item], errors: RowErrors) -> dict[str, Facility]:
    """The facilities the items name; each unknown one and each detention given twice is an
    error (a second item with its reference would silently win)."""
    codes = {item["facility"] for item in items}
    found = Facility.objects.select_related("region").in_bulk(codes, field_name="code")
    for index, item in enumerate(items):
        if item["facility"] not in found:
            errors.add(index, "facility", _("Unknown facility %(code)s.")
                       % {"code": item["facility"]})
    for repeat in repeats([(index, (item["facility"], item["external_ref"]))
                           for index, item in enumerate(items)]):
        errors.add(repeat.line, "external_ref", _(
            "Repeats items[%(first)s]: one item per detention a batch.")
            % {"first": repeat.first_line})
    return found


def _rooms_named(items: Sequence[Item], facilities: Mapping[str, Facility]
                 ) -> dict[tuple[int, str], Room]:
    """Every room the items name (first rooms and cell checks), in one query."""
    codes = {item["room"] for item in items if item.get("room")}
    codes |= {check["room"] for item in items for check in item.get("cell_checks") or []
              if check.get("room")}
    rooms = Room.objects.filter(facility__in=list(facilities.values()), code__in=codes)
    return {(room.facility_id, room.code): room for room in rooms}


def _raise(errors: RowErrors) -> None:
    if errors:
        raise ValidationError(errors.by_key())


def read_records(items: Sequence[Item], facilities: Mapping[str, Facility]) -> list[ReadRecord]:
    """Every item read; ValidationError naming every bad ``items[i].field`` at once."""
    errors = RowErrors(item=True)
    rooms = _rooms_named(items, facilities)
    read = [_read_one(index, item, facilities[item["facility"]], rooms, errors)
            for index, item in enumerate(items)]
    _raise(errors)
    return read


def _stored_values(record: CustodyRecord, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in values if hasattr(record, name)}


def _as_written(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as services._record_write stores them (to compare with the stored)."""
    return {name: "" if value is None and name not in services._NULLABLE else value
            for name, value in values.items() if not (name == "regime" and not value)}


def _write(acting_user: User, origin: Origin, read: ReadRecord, planned: PlannedRow,
           record: CustodyRecord | None) -> Result:
    """Apply one planned item: the record (unless unchanged), its first room (when new), its
    children (each idempotent by its moment), its end."""
    created = planned.action is Action.CREATE
    if record is None or planned.action is Action.UPDATE:
        record = services._record_write(acting_user=acting_user, origin=origin,
                                        facility=read.facility, values=read.values,
                                        record=record)
    if created and read.room is not None:
        services._stay_write(acting_user=acting_user, origin=origin, record=record,
                             room=read.room, started_at=record.arrived_at or record.detained_at,
                             ended_at=None)
    writers = {"right_delays": services._right_delay_write, "reviews": services._review_write,
               "risk_assessments": services._risk_assessment_write,
               "cell_checks": services._cell_check_write}
    # Delays, then assessments: the cell checks and their clock count from the latest one.
    for name in ("right_delays", "risk_assessments", "reviews", "cell_checks"):
        for index, values in enumerate(read.children.get(name, [])):
            try:
                writers[name](acting_user=acting_user, origin=origin, record=record,
                              values=values)
            except ValidationError as error:
                raise ValidationError({f"{name}[{index}].{key}": texts for key, texts
                                       in _messages(error).items()}) from None
    if read.end.get("ended_at") and record.ended_at is None:
        services._end_write(acting_user=acting_user, origin=origin, record=record,
                            ended_at=read.end["ended_at"],
                            end_reason=read.end.get("end_reason", ""),
                            end_note=read.end.get("end_note", ""))
    return {"id": record.pk, "created": created}


def records_batch(*, acting_user: User, origin: Origin, token: MachineToken | None,
                  items: Sequence[Item]) -> list[Result]:
    """Create or update detentions by (facility, external_ref); an item may end custody."""
    errors = RowErrors(item=True)
    facilities = _facilities_of(items, errors)
    _raise(errors)
    _authorize(acting_user, origin, token, facilities, items, "records")
    read = read_records(items, facilities)
    with transaction.atomic():
        stored = {(record.facility_id, record.external_ref): record
                  for record in CustodyRecord.objects.filter(
                      facility__in=list(facilities.values()),
                      external_ref__in={item["external_ref"] for item in items})}
        rows = [(r.index, (r.facility.pk, r.values["external_ref"]), _as_written(r.values))
                for r in read]
        plan = plan_upserts(rows, {key: _stored_values(stored[key], values)
                                   for _index, key, values in rows if key in stored})
        results = []
        for one, planned in zip(read, plan.rows, strict=True):
            record = stored.get(planned.key)
            if record is not None:
                record.facility = one.facility
            try:
                result = _write(acting_user, origin, one, planned, record)
            except ValidationError as error:
                raise ValidationError({f"items[{one.index}].{name}": texts for name, texts
                                       in _messages(error).items()}) from None
            results.append({"index": one.index, **result})
    return results
