"""Every write to the registry: one function per use case, atomic, audited."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import AuditEvent, MachineToken, User
from custodywatch.registry.csv_import import (
    KINDS,
    LineError,
    ParsedRow,
    References,
    RegistryImportError,
    parse_rows,
)
from custodywatch.registry.markers import assign_marker_ids
from custodywatch.registry.models import Camera, Facility, HeadAppointment, Recorder, Room
from custodywatch.registry.signals import heads_imported


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    updated: int
    unchanged: int


def _require_registry_editor(user: User) -> None:
    if not has_capability(user, Capability.EDIT_REGISTRY):
        raise PermissionDenied(_("Only system administrators change the registry."))


def _natural_key(kind: str, values: dict[str, Any]) -> tuple[Any, ...]:
    if kind == "facilities":
        return (values["code"],)
    if kind == "heads":
        return (values["facility"], values["full_name"], values["started_on"])
    return (values["facility"], values["code"])


def _check_duplicates(kind: str, rows: list[ParsedRow]) -> list[LineError]:
    seen: dict[tuple[Any, ...], int] = {}
    errors = []
    for row in rows:
        key = _natural_key(kind, row.values)
        if key in seen:
            errors.append(LineError(row.line, "code" if kind != "heads" else "started_on",
                                    _("Repeats line %(line)s.") % {"line": seen[key]}))
        else:
            seen[key] = row.line
    return errors


def _resolve(kind: str, rows: list[ParsedRow], refs: References) -> list[LineError]:
    """Turn codes into objects in place; list every reference that does not exist."""
    errors: list[LineError] = []
    rooms: dict[tuple[str, str], Room] = {}
    recorders: dict[tuple[str, str], Recorder] = {}
    if kind == "cameras":
        codes = {row.values["facility"] for row in rows}
        rooms = refs.facility_children(Room, codes)
        recorders = refs.facility_children(Recorder, codes)
    for row in rows:
        values = row.values
        if kind == "facilities":
            for column, table in (("region", refs.regions), ("agency", refs.agencies)):
                if values[column] not in table:
                    errors.append(LineError(row.line, column, _("Unknown code %(code)s.")
                                            % {"code": values[column]}))
                else:
                    values[column] = table[values[column]]
            continue
        facility_code = values["facility"]
        if facility_code not in refs.facilities:
            errors.append(LineError(row.line, "facility", _("Unknown facility %(code)s.")
                                    % {"code": facility_code}))
            continue
        if kind == "cameras":
            for room_code in values["rooms"]:
                if (facility_code, room_code) not in rooms:
                    errors.append(LineError(row.line, "rooms", _(
                        "Room %(room)s is not a room of facility %(facility)s.")
                        % {"room": room_code, "facility": facility_code}))
            recorder_code = values.get("recorder") or ""
            if recorder_code and (facility_code, recorder_code) not in recorders:
                errors.append(LineError(row.line, "recorder", _(
                    "Recorder %(code)s is not a recorder of facility %(facility)s.")
                    % {"code": recorder_code, "facility": facility_code}))
            values["room_objects"] = [rooms.get((facility_code, c)) for c in values["rooms"]]
            values["recorder"] = recorders.get((facility_code, recorder_code))
        if kind == "heads" and values.get("ended_on") and values["ended_on"] <= values[
            "started_on"
        ]:
            errors.append(LineError(row.line, "ended_on", _("Must be after started_on.")))
    if kind == "heads" and not errors:
        errors.extend(_overlapping_heads(rows, refs))
    return errors


def _overlapping_heads(rows: list[ParsedRow], refs: References) -> list[LineError]:
    """A unit has one head at a time: the scorecard splits its figures by these periods."""
    periods: dict[str, dict[tuple[Any, ...], tuple[dt.date, dt.date | None, int]]] = {}
    for (code, name, started), head in refs.heads({r.values["facility"] for r in rows}).items():
        periods.setdefault(code, {})[(name, started)] = (started, head.ended_on, 0)
    for row in rows:
        values = row.values
        periods.setdefault(values["facility"], {})[(values["full_name"], values["started_on"])] = (
            values["started_on"], values.get("ended_on"), row.line)
    errors = []
    for terms in periods.values():
        ordered = sorted(terms.values(), key=lambda term: term[0])
        for (_start, end, _line), (next_start, _end, next_line) in zip(
            ordered, ordered[1:], strict=False
        ):
            if (end is None or end > next_start) and next_line:
                errors.append(LineError(next_line, "started_on", _(
                    "Overlaps the term of another head of this unit.")))
    return errors


CHILDREN: dict[str, type[Room | Recorder | Camera]] = {
    "rooms": Room, "recorders": Recorder, "cameras": Camera}


def _apply(kind: str, rows: list[ParsedRow], refs: References) -> Counter[str]:
    """Create or update each row's object; return counts of what happened."""
    counts: Counter[str] = Counter()
    model: type[Model] = {"facilities": Facility, "heads": HeadAppointment, **CHILDREN}[kind]
    # One loop for five models: the rows' objects are handled by field name.
    existing: dict[Any, Any]
    if kind == "facilities":
        existing = refs.facilities
    elif kind == "heads":
        existing = refs.heads({row.values["facility"] for row in rows})
    else:
        existing = refs.facility_children(CHILDREN[kind],
                                          {row.values["facility"] for row in rows})
    for row in rows:
        values = dict(row.values)
        natural = _natural_key(kind, values)
        key: Any = natural[0] if kind == "facilities" else natural  # a facility's code alone
        room_objects = values.pop("room_objects", None)
        values.pop("rooms", None)
        if kind != "facilities":
            values["facility"] = refs.facilities[values["facility"]]
        obj: Any = existing.get(key)
        if obj is None:
            obj = model(**values)
            status = "created"
        else:
            changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
            for name, value in changed.items():
                setattr(obj, name, value)
            status = "updated" if changed else "unchanged"
        if status != "unchanged":
            obj.full_clean(validate_unique=False)
            obj.save()
        if room_objects is not None:
            current = set(obj.rooms.values_list("pk", flat=True)) if status != "created" else set()
            wanted = {room.pk for room in room_objects}
            if current != wanted:
                obj.rooms.set(wanted)
                status = "updated" if status == "unchanged" else status
        counts[status] += 1
        if kind == "facilities":
            refs.facilities[obj.code] = obj
    return counts


def registry_import(
    *, acting_user: User, origin: Origin, kind: str, content: bytes, file_name: str = ""
) -> ImportResult:
    """Import one registry CSV: all lines or none. Re-importing the same file changes nothing."""
    _require_registry_editor(acting_user)
    if kind not in KINDS:
        raise RegistryImportError([LineError(0, "kind", _("Unknown import kind %(kind)s.")
                                             % {"kind": kind})])
    rows = parse_rows(KINDS[kind], content)
    with transaction.atomic():
        refs = References()
        errors = _check_duplicates(kind, rows) + _resolve(kind, rows, refs)
        if errors:
            raise RegistryImportError(sorted(errors, key=lambda e: (e.line, e.field)))
        try:
            counts = _apply(kind, rows, refs)
        except ValidationError as error:  # a model rule the parser did not know
            raise RegistryImportError([LineError(0, "-", "; ".join(error.messages))]) from None
        if kind == "rooms":
            assign_marker_ids(refs.facilities[row.values["facility"]].pk for row in rows)
        if kind == "heads":
            # Each head is a person (issue 24): accountability links new appointments to
            # their officer (registry sits below it and does not import it).
            heads_imported.send(sender=HeadAppointment, actor=acting_user, origin=origin)
        result = ImportResult(kind, counts["created"], counts["updated"], counts["unchanged"])
        audit_record(
            actor=acting_user,
            action=AuditEvent.Action.IMPORT,
            origin=origin,
            object_type=f"registry.{kind}",
            object_label=file_name[:300],
            detail={"created": result.created, "updated": result.updated,
                    "unchanged": result.unchanged, "lines": len(rows)},
        )
    return result


def can_write_facility(*, user: User, facility: Facility, token: MachineToken | None) -> bool:
    """A direct camera write (camera_upsert): the registry editor's alone. A token's facility
    binding only narrows it, never gives it to another account (issue 17, item 4); the
    facility's own agent and staff propose instead (camera_changes), and video is written by
    the facility's edge agent alone (accounts.scoping.video_writer_facility_id)."""
    if token is not None and token.facility_id is not None and token.facility_id != facility.pk:
        return False
    return user_can(user, Capability.EDIT_REGISTRY)


def camera_upsert(
    *,
    acting_user: User,
    origin: Origin,
    token: MachineToken | None,
    facility: Facility,
    code: str,
    name: str,
    room_codes: list[str],
    recorder_code: str = "",
    is_active: bool = True,
) -> tuple[Camera, bool]:
    """Register or update one camera directly: the registry editor's path. The facility's
    own agent and staff only propose (registry/camera_changes.py), so they are refused here.
    """
    from custodywatch.registry.camera_changes import is_facility_side

    if is_facility_side(acting_user, token) or not can_write_facility(
            user=acting_user, facility=facility, token=token):
        # Recorded outside the write's transaction, which the refusal would roll back.
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=facility, detail={"camera": code})
        raise PermissionDenied(_("This token may not write for facility %(code)s.")
                               % {"code": facility.code})
    with transaction.atomic():
        return _camera_write(acting_user=acting_user, origin=origin, facility=facility, code=code,
                             name=name, room_codes=room_codes, recorder_code=recorder_code,
                             is_active=is_active)


def _camera_write(
    *,
    acting_user: User,
    origin: Origin,
    facility: Facility,
    code: str,
    name: str,
    room_codes: list[str],
    recorder_code: str,
    is_active: bool,
) -> tuple[Camera, bool]:
    rooms = list(facility.rooms.filter(code__in=room_codes))
    unknown = sorted(set(room_codes) - {room.code for room in rooms})
    if unknown:
        raise ValidationError({"rooms": _("Not rooms of %(facility)s: %(codes)s.") % {
            "facility": facility.code, "codes": ", ".join(unknown)}})
    recorder = None
    if recorder_code:
        recorder = facility.recorders.filter(code=recorder_code).first()
        if recorder is None:
            raise ValidationError({"recorder": _("Not a recorder of %(facility)s: %(code)s.")
                                   % {"facility": facility.code, "code": recorder_code}})
    camera = Camera.objects.filter(facility=facility, code=code).first()
    created = camera is None
    if camera is None:
        camera = Camera(facility=facility, code=code)
    camera.name = name
    camera.recorder = recorder
    camera.is_active = is_active
    camera.full_clean(validate_unique=False)
    camera.save()
    camera.rooms.set(rooms)
    audit_record(
        actor=acting_user,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        origin=origin,
        obj=camera,
        detail={"rooms": sorted(room_codes), "recorder": recorder_code, "active": is_active},
    )
    return camera, created
