"""Every write to the registry: one function per use case, atomic, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import AuditEvent, MachineToken, User
from custodywatch.core.rows import RowError, RowErrors
from custodywatch.kernels.registry_plan import Term, overlapping_terms
from custodywatch.kernels.row_plan import Action, UpsertPlan, plan_upserts, repeats
from custodywatch.registry.csv_import import (
    KINDS,
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


def _resolve_facility_row(row: ParsedRow, refs: References, errors: RowErrors) -> None:
    for column, table in (("region", refs.regions), ("agency", refs.agencies)):
        if row.values[column] not in table:
            errors.add(row.line, column, _("Unknown code %(code)s.")
                       % {"code": row.values[column]})
        else:
            row.values[column] = table[row.values[column]]


def _resolve_camera_row(row: ParsedRow, rooms: dict[tuple[str, str], Room],
                        recorders: dict[tuple[str, str], Recorder], errors: RowErrors) -> None:
    values, facility_code = row.values, row.values["facility"]
    for room_code in values["rooms"]:
        if (facility_code, room_code) not in rooms:
            errors.add(row.line, "rooms", _(
                "Room %(room)s is not a room of facility %(facility)s.")
                % {"room": room_code, "facility": facility_code})
    recorder_code = values.get("recorder") or ""
    if recorder_code and (facility_code, recorder_code) not in recorders:
        errors.add(row.line, "recorder", _(
            "Recorder %(code)s is not a recorder of facility %(facility)s.")
            % {"code": recorder_code, "facility": facility_code})
    # The rooms as a set of keys: the plan compares them with the stored ones.
    values["rooms"] = frozenset(rooms[(facility_code, c)].pk for c in values["rooms"]
                                if (facility_code, c) in rooms)
    values["recorder"] = recorders.get((facility_code, recorder_code))


def _resolve(kind: str, rows: list[ParsedRow], refs: References) -> list[RowError]:
    """Turn codes into objects in place; list every reference that does not exist."""
    errors = RowErrors()
    codes: set[str] = {row.values["facility"] for row in rows} if kind == "cameras" else set()
    rooms = refs.facility_children(Room, codes) if kind == "cameras" else {}
    recorders = refs.facility_children(Recorder, codes) if kind == "cameras" else {}
    for row in rows:
        if kind == "facilities":
            _resolve_facility_row(row, refs, errors)
        elif row.values["facility"] not in refs.facilities:
            errors.add(row.line, "facility", _("Unknown facility %(code)s.")
                       % {"code": row.values["facility"]})
            continue
        if kind == "cameras":
            _resolve_camera_row(row, rooms, recorders, errors)
        if kind != "facilities":
            row.values["facility"] = refs.facilities[row.values["facility"]]
        ended = row.values.get("ended_on")
        if kind == "heads" and ended and ended <= row.values["started_on"]:
            errors.add(row.line, "ended_on", _("Must be after started_on."))
    if kind == "heads" and not errors:
        errors.extend(_overlapping_heads(rows, refs))
    return list(errors)


def _overlapping_heads(rows: list[ParsedRow], refs: References) -> list[RowError]:
    """A unit has one head at a time: the scorecard splits its figures by these periods."""
    units: dict[str, dict[tuple[Any, ...], Term]] = {}
    for (code, name, started), head in refs.heads({r.values["facility"].code for r in rows}
                                                  ).items():
        units.setdefault(code, {})[(name, started)] = (started, head.ended_on, 0)
    for row in rows:
        values = row.values
        units.setdefault(values["facility"].code, {})[
            (values["full_name"], values["started_on"])] = (
            values["started_on"], values.get("ended_on"), row.line)
    return [RowError(line, "started_on", _("Overlaps the term of another head of this unit."))
            for line in overlapping_terms({code: list(terms.values())
                                           for code, terms in units.items()})]


MODELS: dict[str, type[Facility | Room | Recorder | Camera | HeadAppointment]] = {
    "facilities": Facility, "rooms": Room, "recorders": Recorder, "cameras": Camera,
    "heads": HeadAppointment}
CHILDREN: dict[str, type[Room | Recorder | Camera]] = {
    "rooms": Room, "recorders": Recorder, "cameras": Camera}


def _stored(kind: str, rows: list[ParsedRow], refs: References) -> dict[tuple[Any, ...], Any]:
    """The registered objects the rows name, by natural key (codes, not objects)."""
    codes = {row.values["facility"].code for row in rows} if kind != "facilities" else set()
    if kind == "facilities":
        return {(code,): facility for code, facility in refs.facilities.items()}
    if kind == "heads":
        return refs.heads(codes)
    return refs.facility_children(CHILDREN[kind], codes)


def _key(kind: str, values: dict[str, Any]) -> tuple[Any, ...]:
    facility = values.get("facility")
    code = facility.code if isinstance(facility, Facility) else facility
    return _natural_key(kind, {**values, "facility": code})


def _plan(kind: str, rows: list[ParsedRow], refs: References
          ) -> tuple[UpsertPlan[tuple[Any, ...]], dict[tuple[Any, ...], Any]]:
    """What each row does (kernels.row_plan): created, updated (these fields), unchanged;
    and the stored objects by key."""
    stored = _stored(kind, rows, refs)
    existing: dict[tuple[Any, ...], dict[str, object]] = {}
    for key, obj in stored.items():
        names = KINDS[kind].columns
        values = {name: getattr(obj, name) for name in names if name != "rooms"}
        if kind == "cameras":
            values["rooms"] = frozenset(obj.rooms.values_list("pk", flat=True))
        existing[key] = values
    return plan_upserts([(row.line, _key(kind, row.values), row.values) for row in rows],
                        existing), stored


def _apply(kind: str, plan: UpsertPlan[tuple[Any, ...]], stored: dict[tuple[Any, ...], Any],
           refs: References) -> None:
    """Create or update what the plan says; leave the unchanged rows alone."""
    for planned in plan.rows:
        if planned.action is Action.UNCHANGED:
            continue
        values = dict(planned.changes)
        rooms = values.pop("rooms", None)
        # Any: one of five models, each given the fields of its own CSV kind.
        obj: Any = MODELS[kind]() if planned.action is Action.CREATE else stored[planned.key]
        for name, value in values.items():
            setattr(obj, name, value)
        obj.full_clean(validate_unique=False)
        obj.save()
        if rooms is not None:
            obj.rooms.set(rooms)
        if kind == "facilities":
            refs.facilities[obj.code] = obj


def registry_import(
    *, acting_user: User, origin: Origin, kind: str, content: bytes, file_name: str = ""
) -> ImportResult:
    """Import one registry CSV: all lines or none. Re-importing the same file changes nothing.
    Schema (csv_import) -> plan (kernels.row_plan) -> apply (here)."""
    _require_registry_editor(acting_user)
    if kind not in KINDS:
        raise RegistryImportError([RowError(0, "kind", _("Unknown import kind %(kind)s.")
                                            % {"kind": kind})])
    rows = parse_rows(KINDS[kind], content)
    with transaction.atomic():
        refs = References()
        errors = _repeats(kind, rows) + _resolve(kind, rows, refs)
        if errors:
            raise RegistryImportError(sorted(errors))
        plan, stored = _plan(kind, rows, refs)
        try:
            _apply(kind, plan, stored, refs)
        except ValidationError as error:  # a model rule the parser did not know
            raise RegistryImportError([RowError(0, "-", "; ".join(error.messages))]) from None
        if kind == "rooms":
            assign_marker_ids(row.values["facility"].pk for row in rows)
        if kind == "heads":
            # Each head is a person (issue 24): accountability links new appointments to
            # their officer (registry sits below it and does not import it).
            heads_imported.send(sender=HeadAppointment, actor=acting_user, origin=origin)
        result = ImportResult(kind, plan.count(Action.CREATE), plan.count(Action.UPDATE),
                              plan.count(Action.UNCHANGED))
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


def _repeats(kind: str, rows: list[ParsedRow]) -> list[RowError]:
    """A natural key once a file: a second line with it would silently win."""
    field = "code" if kind != "heads" else "started_on"
    return [RowError(repeat.line, field, _("Repeats line %(line)s.") % {"line": repeat.first_line})
            for repeat in repeats([(row.line, _natural_key(kind, row.values)) for row in rows])]


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
