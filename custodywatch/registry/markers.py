"""Room markers: each custody room gets an AprilTag 36h11 id, unique within its facility."""

from __future__ import annotations

from collections.abc import Iterable

from custodywatch.registry.models import MARKER_IDS, Room


class MarkerIdsExhausted(Exception):
    """A facility has more custody rooms than the marker dictionary has ids."""


def assign_marker_ids(facility_ids: Iterable[int]) -> int:
    """Give every custody room of these facilities that has none the lowest free id, in room
    code order. Ids once given never change (they are printed on the wall). Returns how many
    rooms got one. Call it inside the transaction that created the rooms."""
    facility_ids = set(facility_ids)
    rooms = Room.objects.filter(facility_id__in=facility_ids).order_by("facility_id", "code")
    taken: dict[int, set[int]] = {}
    missing: list[Room] = []
    for room in rooms.only("pk", "facility_id", "marker_id", "custody_use"):
        if room.marker_id is not None:
            taken.setdefault(room.facility_id, set()).add(room.marker_id)
        elif room.custody_use:
            missing.append(room)
    next_free: dict[int, int] = {}
    for room in missing:
        used = taken.setdefault(room.facility_id, set())
        candidate = next_free.get(room.facility_id, 0)
        while candidate in used:
            candidate += 1
        if candidate >= MARKER_IDS:
            raise MarkerIdsExhausted(room.facility_id)
        room.marker_id = candidate
        used.add(candidate)
        next_free[room.facility_id] = candidate + 1
    Room.objects.bulk_update(missing, ["marker_id"], batch_size=2000)
    return len(missing)
