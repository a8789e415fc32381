"""Examinations from another state system (a health information system) in one batch: all
items or none, errors named by item and field, permissions checked for every item first.

Items name the detention by (facility code, the detention's external reference), as the
custody batches do (custody/batch.py), and the examination by its own ``examination_ref``
(a retried item changes nothing). Only an independent medical examiner's account writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import MachineToken, User
from custodywatch.custody.batch import Item, Result, _facilities, _messages, _record_of, moment
from custodywatch.medical import services


def examinations_batch(*, acting_user: User, origin: Origin, token: MachineToken | None,
                       items: Sequence[Item]) -> list[Result]:
    facilities = _facilities(items)
    checked: set[str] = set()
    for index, item in enumerate(items):
        code = item["facility"]
        if code in checked:
            continue
        try:
            services.require_examiner(user=acting_user, origin=origin,
                                      facility=facilities[code], token=token,
                                      what="batch examinations")
        except PermissionDenied as error:
            raise PermissionDenied(f"items[{index}].facility: {error}") from None
        checked.add(code)
    results = []
    with transaction.atomic():
        for index, item in enumerate(items):
            try:
                record = _record_of(item, facilities[item["facility"]])
                values: dict[str, Any] = {
                    name: item[name] for name in services.EXAMINATION_FIELDS
                    if name in item and name not in {"external_ref", "examined_at"}}
                values["examined_at"] = moment(item.get("examined_at"), "examined_at")
                values["external_ref"] = item.get("examination_ref") or ""
                examination, created = services._write(
                    acting_user=acting_user, origin=origin, record=record, values=values,
                    injuries=item.get("injuries") or [])
            except ValidationError as error:
                raise ValidationError({f"items[{index}].{name}": texts for name, texts
                                       in _messages(error).items()}) from None
            results.append({"index": index, "id": examination.pk, "created": created})
    return results
