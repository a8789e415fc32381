"""The ledger's check of recording-segment leaves against the stored segments: registered
with the ledger in VideoConfig.ready."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.models import LeafKind
from custodywatch.ledger.rows import Entry, Finding, register_row_check
from custodywatch.registry.models import Camera
from custodywatch.video.models import RecordingSegment


def check_segments(entries: list[Entry]) -> Iterable[Finding]:
    pairs = {(f.get("facility"), f.get("camera")) for _i, _k, f in entries}
    # Keyed by the entries' facility and camera codes (a field may be missing: None).
    cameras: dict[tuple[str | None, str | None], int] = {}
    for facility in {facility for facility, _c in pairs}:
        codes = [camera for f, camera in pairs if f == facility]
        for pk, code in Camera.objects.filter(facility__code=facility, code__in=codes
                                              ).values_list("pk", "code"):
            cameras[(facility, code)] = pk
    starts: dict[int, set[dt.datetime]] = {}
    for _index, _kind, fields in entries:
        camera = cameras.get((fields.get("facility"), fields.get("camera")))
        if camera is not None:
            moment = dt.datetime.fromisoformat(str(fields.get("start")).replace("Z", "+00:00"))
            starts.setdefault(camera, set()).add(moment)
    stored: dict[tuple[int, str | None], tuple[str, str]] = {}
    for camera, moments in starts.items():
        for started, ended, sha256 in RecordingSegment.objects.filter(
                camera_id=camera, started_at__in=moments).values_list(
                "started_at", "ended_at", "sha256"):
            stored[(camera, iso_time(started))] = (iso_time(ended), sha256)
    for index, kind, fields in entries:
        camera = cameras.get((fields.get("facility"), fields.get("camera")))
        found = stored.get((camera, fields.get("start"))) if camera is not None else None
        if found is None:
            continue  # deleted by retention (or its camera removed): nothing to compare
        row = f"recording segment {fields.get('camera')} {fields.get('start')}"
        if found != (fields.get("end"), fields.get("sha256")):
            yield Finding(index, kind, row, f"end/sha256 are {found[0]} {found[1]}, the "
                                            f"ledger has {fields.get('end')} "
                                            f"{fields.get('sha256')}")


def register() -> None:
    register_row_check(LeafKind.RECORDING_SEGMENT, check_segments)
