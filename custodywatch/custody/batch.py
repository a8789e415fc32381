"""Batch writes from other state systems: all items or none, errors named by item and field.

Items name their detention by (facility code, external reference), the other system's own
identifier. Permissions are checked for every item before anything is written, and a
refusal is audited outside the transaction it rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import MachineToken, User
from custodywatch.core import plausible
from custodywatch.custody import services
from custodywatch.custody.models import CustodyRecord, Interrogation, RoomStay
from custodywatch.kernels.timeparse import parse_timestamp_ms
from custodywatch.registry.models import Facility, Room

Item = Mapping[str, Any]
Result = dict[str, Any]
MOMENT_FIELDS = {"detained_at", "arrived_at", "rights_explained_at", "lawyer_requested_at",
                 "lawyer_assigned_at", "lawyer_first_access_at", "ended_at", "started_at",
                 # Issue 22.
                 "court_order_at", "extension_applied_at", "protocol_drawn_at",
                 "prosecutor_notified_at", "consular_notified_at", "consular_declined_at",
                 "state_lawyer_offered_at", "authorised_at",
                 # Issue 22, items 4-6.
                 "lawyer_waived_at", "reviewed_at", "assessed_at", "checked_at"}
# Moments that lie ahead: a court's term, the end of a delay (the planning window).
AHEAD_FIELDS = {"term_ends_at", "until"}


@overload
def moment(value: str | int | float, name: str,
           kind: plausible.Kind = plausible.Kind.EVENT) -> dt.datetime: ...
@overload
def moment(value: str | int | float | None, name: str,
           kind: plausible.Kind = plausible.Kind.EVENT) -> dt.datetime | None: ...
def moment(value: str | int | float | None, name: str,
           kind: plausible.Kind = plausible.Kind.EVENT) -> dt.datetime | None:
    """A contract timestamp (ISO 8601 with offset, or epoch seconds) as an aware datetime,
    within the window of custody events (core/plausible.py), or of plans for a moment
    ahead; never a boolean."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError({name: [_("A time, not true/false, is expected.")]})
    try:
        ms = parse_timestamp_ms(value if isinstance(value, str) else repr(value))
    except ValueError as error:
        raise ValidationError({name: [str(error)]}) from None
    earliest, latest = plausible.epoch_ms_window(kind)
    if kind is plausible.Kind.PLAN:
        # A term ahead: how far the services judge (a sentence may run decades).
        latest = max(latest, ms)
    if not earliest <= ms <= latest:
        raise ValidationError({name: [_("Implausible for a custody event: before %(day)s or "
                                        "in the future.") % {
            "day": plausible.records_start().isoformat()}]})
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)


def _messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def _facilities(items: Sequence[Item]) -> dict[str, Facility]:
    codes = {item["facility"] for item in items}
    found = Facility.objects.select_related("region").in_bulk(codes, field_name="code")
    for index, item in enumerate(items):
        if item["facility"] not in found:
            raise ValidationError({f"items[{index}].facility": [
                _("Unknown facility %(code)s.") % {"code": item["facility"]}]})
    return found


def _authorize(user: User, origin: Origin, token: MachineToken | None,
               facilities: dict[str, Facility], items: Sequence[Item], what: str) -> None:
    allowed: dict[str, bool] = {}
    for index, item in enumerate(items):
        code = item["facility"]
        if code not in allowed:
            allowed[code] = services.can_write_custody(user=user, facility=facilities[code],
                                                       token=token)
        if not allowed[code]:
            try:
                services.require_write(user=user, origin=origin, facility=facilities[code],
                                       token=token, what=f"batch {what}")
            except PermissionDenied as error:
                raise PermissionDenied(f"items[{index}].facility: {error}") from None


def _run(
    *, acting_user: User, origin: Origin, token: MachineToken | None, items: Sequence[Item],
    what: str, write_one: Callable[[Item, Facility], Result],
) -> list[Result]:
    facilities = _facilities(items)
    _authorize(acting_user, origin, token, facilities, items, what)
    results = []
    with transaction.atomic():
        for index, item in enumerate(items):
            try:
                result = write_one(item, facilities[item["facility"]])
            except ValidationError as error:
                raise ValidationError({f"items[{index}].{name}": texts for name, texts
                                       in _messages(error).items()}) from None
            results.append({"index": index, **result})
    return results


def _record_of(item: Item, facility: Facility) -> CustodyRecord:
    record = CustodyRecord.objects.filter(facility=facility,
                                          external_ref=item["external_ref"]).first()
    if record is None:
        raise ValidationError({"external_ref": [_("No custody record %(ref)s at %(code)s.")
                                                % {"ref": item["external_ref"],
                                                   "code": facility.code}]})
    record.facility = facility
    return record


def _room_of(facility: Facility, code: str) -> Room:
    room = Room.objects.filter(facility=facility, code=code).first()
    if room is None:
        raise ValidationError({"room": [_("Room %(room)s is not a room of facility "
                                          "%(facility)s.") % {"room": code,
                                                              "facility": facility.code}]})
    return room


def _parse_moments(item: Item) -> dict[str, Any]:
    values = {name: moment(value, name) if name in MOMENT_FIELDS else (
        moment(value, name, plausible.Kind.PLAN) if name in AHEAD_FIELDS else value)
        for name, value in item.items()}
    if "date_of_birth" in values:
        plausible.check(plausible.Kind.BIRTH, values["date_of_birth"], "date_of_birth")
    return values


# The records batch: custody/record_rows.py (validate -> plan -> apply, issue 26 item 5).


def stays_batch(*, acting_user: User, origin: Origin, token: MachineToken | None,
                items: Sequence[Item]) -> list[Result]:
    """Create stays, or update one by its `id`; overlaps and wrong rooms are refused."""

    def write_one(item: Item, facility: Facility) -> Result:
        record = _record_of(item, facility)
        stay = None
        if item.get("id"):
            stay = RoomStay.objects.filter(pk=item["id"], custody_record=record).first()
            if stay is None:
                raise ValidationError({"id": [_("No such stay of this record.")]})
        stay = services._stay_write(
            acting_user=acting_user, origin=origin, record=record,
            room=_room_of(facility, item["room"]),
            started_at=moment(item["started_at"], "started_at"),
            ended_at=moment(item.get("ended_at"), "ended_at"), stay=stay)
        return {"id": stay.pk, "created": not item.get("id")}

    return _run(acting_user=acting_user, origin=origin, token=token, items=items,
                what="stays", write_one=write_one)


def interrogations_batch(*, acting_user: User, origin: Origin, token: MachineToken | None,
                         items: Sequence[Item]) -> list[Result]:

    def write_one(item: Item, facility: Facility) -> Result:
        record = _record_of(item, facility)
        interrogation = None
        if item.get("id"):
            interrogation = Interrogation.objects.filter(pk=item["id"],
                                                         custody_record=record).first()
            if interrogation is None:
                raise ValidationError({"id": [_("No such interrogation of this record.")]})
        values = _parse_moments({name: value for name, value in item.items()
                                 if name not in {"facility", "external_ref", "id"}})
        values["room"] = _room_of(facility, item["room"])
        if values.get("investigator_personnel_number") is None:
            values.pop("investigator_personnel_number", None)
        interrogation = services._interrogation_write(
            acting_user=acting_user, origin=origin, record=record, values=values,
            interrogation=interrogation)
        return {"id": interrogation.pk, "created": not item.get("id")}

    return _run(acting_user=acting_user, origin=origin, token=token, items=items,
                what="interrogations", write_one=write_one)
