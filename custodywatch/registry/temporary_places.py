"""Temporary places of detention (issue 22, item 7): a facility and its holding areas in one
write, registered in minutes in a mass detention.

No camera comes with it: its rooms are blind (``selectors.custody_rooms_without_camera``,
``camera_changes.blind_room_count``) until a camera proposed by the place's staff or agent is
approved by a prosecutor or NPM monitor (registry/camera_changes.py), as for every facility.
The caller (custody/mass.py) checks who may register and audits it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.registry.markers import assign_marker_ids
from custodywatch.registry.models import Agency, Facility, Region, Room

MAX_AREAS = 50


def next_code(region: Region) -> str:
    """TMP-<region digits>-<n>: the lowest number not used yet in the region."""
    stem = f"TMP-{region.code.removeprefix('KZ-')}-"
    used = set(Facility.objects.filter(code__startswith=stem).values_list("code", flat=True))
    number = 1
    while f"{stem}{number}" in used:
        number += 1
    return f"{stem}{number}"


def temporary_facility_create(*, region: Region, agency: Agency, name: str, address: str,
                              areas: list[str]) -> Facility:
    """The facility (kind TEMPORARY_PLACE) and one custody-use holding area per name."""
    errors: dict[str, str] = {}
    name, address = name.strip(), address.strip()
    areas = [area.strip() for area in areas if area.strip()]
    if not name:
        errors["name"] = _("This field is required.")
    if not address:
        errors["address"] = _("Give the address: where the people are held.")
    if not areas:
        errors["areas"] = _("Name at least one holding area, one a line.")
    elif len(areas) > MAX_AREAS:
        errors["areas"] = _("At most %(n)s holding areas.") % {"n": MAX_AREAS}
    elif len(set(areas)) != len(areas):
        errors["areas"] = _("Each holding area once.")
    elif any(len(area) > 200 for area in areas):
        errors["areas"] = _("At most %(n)s characters a name.") % {"n": 200}
    if errors:
        raise ValidationError({key: [message] for key, message in errors.items()})
    with transaction.atomic():
        facility = Facility.objects.create(
            code=next_code(region), name=name[:300], kind=Facility.Kind.TEMPORARY_PLACE,
            region=region, agency=agency, address=address[:300])
        Room.objects.bulk_create([
            Room(facility=facility, code=f"H{index}", name=area,
                 kind=Room.Kind.HOLDING_AREA, custody_use=True)
            for index, area in enumerate(areas, start=1)])
        assign_marker_ids([facility.pk])
    return facility
