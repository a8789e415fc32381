"""What a monthly open-data release contains: one row per unit and month, its files (CSV,
JSON with the definitions) and its DCAT catalogue entry. Reads only; the release is written
by ``services.open_data_release_publish``.

Counts of people (detentions, overruns, allegations, cases, convictions) go through the
small-cell kernel one region and one figure at a time, as a one-column table with its total:
a count under the threshold is hidden, and where a region total published elsewhere would
give a hidden count away, the next smallest is hidden too. Counts of rooms and cameras and
the recommendations, which are about the unit and not about people, are published as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max, Q

from custodywatch.kernels.suppression import published, suppress
from custodywatch.registry.models import Facility
from custodywatch.reports.aggregates import next_month
from custodywatch.reports.models import CoverageSnapshot, FacilityMonth
from custodywatch.reports.open_data import threshold
from custodywatch.visits.models import ImplementationStatus, Recommendation

LICENCE = "https://creativecommons.org/licenses/by/4.0/"
PUBLISHER = "CustodyWatch"

# (column, definition, people: suppressed under the threshold)
COLUMNS: list[tuple[str, str, bool]] = [
    ("custody_rooms", "Rooms where a person in custody may be held or questioned, on the "
     "last coverage snapshot of the month.", False),
    ("rooms_blind", "Custody rooms without a working camera on that snapshot.", False),
    ("cameras", "Cameras in service on that snapshot.", False),
    ("cameras_out_of_order", "Cameras out of order on that snapshot.", False),
    ("detentions", "People whose custody began at the unit in the month.", True),
    ("held_past_limit", "Of those, people held past the legal limit of their custody.", True),
    ("blind_custody_hours", "Hours people in custody spent in rooms without a working camera "
     "in the month (rounded down).", False),
    ("allegations", "Allegations of torture or ill-treatment against the unit received in the "
     "month.", True),
    ("substantiated", "Of those, allegations found substantiated.", True),
    ("cases", "Criminal cases registered about the unit in the month.", True),
    ("convictions", "Cases about the unit with a conviction, by the month of registration.",
     True),
    ("recommendations_issued", "Recommendations of the monitoring bodies addressed about the "
     "unit in the month.", False),
    ("recommendations_implemented", "Of the recommendations about the unit issued by the end "
     "of the month, those implemented (with evidence) when the release was made.", False),
]
KEYS = ("facility", "facility_name", "region", "agency", "kind", "month")


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    media_type: str
    content: bytes


def month_rows(month: dt.date) -> list[dict[str, object]]:
    """One row per unit in operation for ``month`` (its first day), small cells as None."""
    end = next_month(month)
    facilities = list(Facility.objects.filter(is_active=True).select_related("region", "agency")
                      .order_by("region__code", "code"))
    figures = {row.facility_id: row for row in FacilityMonth.objects.filter(month=month)}
    last_day: dict[int | None, dt.date] = {
        row["facility_id"]: row["day"] for row in CoverageSnapshot.objects.filter(
        level=CoverageSnapshot.Level.FACILITY, baseline=False, day__gte=month, day__lt=end)
        .values("facility_id").annotate(day=Max("day")).order_by()}
    snapshots = {row.facility_id: row for row in CoverageSnapshot.objects.filter(
        level=CoverageSnapshot.Level.FACILITY, baseline=False,
        day__in=set(last_day.values())) if last_day.get(row.facility_id) == row.day}
    recommendations = {row["facility_id"]: row for row in Recommendation.objects.filter(
        facility__isnull=False).values("facility_id").annotate(
        issued=Count("pk", filter=Q(issued_on__gte=month, issued_on__lt=end)),
        implemented=Count("pk", filter=Q(status=ImplementationStatus.IMPLEMENTED,
                                         issued_on__lt=end))).order_by()}
    rows = []
    for facility in facilities:
        figure = figures.get(facility.pk)
        snapshot = snapshots.get(facility.pk)
        recommended: Mapping[str, object] = recommendations.get(facility.pk, {})
        rows.append({
            "facility": facility.code, "facility_name": facility.name,
            "region": facility.region.code, "agency": facility.agency.code,
            "kind": facility.kind, "month": f"{month:%Y-%m}",
            "custody_rooms": snapshot.custody_rooms if snapshot else None,
            "rooms_blind": snapshot.rooms_blind if snapshot else None,
            "cameras": snapshot.cameras if snapshot else None,
            "cameras_out_of_order": snapshot.cameras_out_of_order if snapshot else None,
            "detentions": figure.detentions if figure else 0,
            "held_past_limit": figure.overruns if figure else 0,
            "blind_custody_hours": figure.blind_seconds // 3600 if figure else 0,
            "allegations": figure.allegations if figure else 0,
            "substantiated": figure.substantiated if figure else 0,
            "cases": figure.cases if figure else 0,
            "convictions": figure.convictions if figure else 0,
            "recommendations_issued": recommended.get("issued", 0),
            "recommendations_implemented": recommended.get("implemented", 0),
        })
    _suppress_people(rows)
    return rows


def _people(value: object) -> int:
    """A count of people in a row (None where the figure is unknown: counted as 0)."""
    return value if isinstance(value, int) else 0


def _suppress_people(rows: list[dict[str, object]]) -> None:
    by_region: dict[object, list[dict[str, object]]] = {}
    for row in rows:
        by_region.setdefault(row["region"], []).append(row)
    limit = threshold()
    for column, _definition, people in COLUMNS:
        if not people:
            continue
        for region_rows in by_region.values():
            cells = np.array([[_people(row[column])] for row in region_rows], dtype=np.int64)
            full, mask = suppress(cells, threshold=limit)
            shown = published(full, mask)
            for row, line in zip(region_rows, shown, strict=False):
                row[column] = line[0]


def release_files(month: dt.date, version: int, rows: list[dict[str, object]],
                  published_at: dt.datetime, base_url: str) -> list[ReleaseFile]:
    """The CSV, the JSON (rows and definitions) and the DCAT catalogue entry."""
    stem = f"custodywatch-units-{month:%Y-%m}-v{version}"
    columns = [*KEYS, *(name for name, _d, _p in COLUMNS)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    definitions = {name: definition for name, definition, _p in COLUMNS}
    suppressed = [name for name, _d, people in COLUMNS if people]
    described = {"release": version, "month": f"{month:%Y-%m}",
                 "published": published_at.isoformat(timespec="seconds"), "licence": LICENCE,
                 "threshold": threshold(), "suppressed_columns": suppressed,
                 "suppressed_value": None, "definitions": definitions, "rows": rows}
    data = [ReleaseFile(f"{stem}.csv", "text/csv", out.getvalue().encode()),
            ReleaseFile(f"{stem}.json", "application/json",
                        json.dumps(described, ensure_ascii=False, indent=1).encode())]
    return [*data, ReleaseFile(f"{stem}.dcat.jsonld", "application/ld+json",
                               dcat_dataset(month, version, published_at, base_url,
                                            [(f.name, f.media_type, _sha256(f.content),
                                              len(f.content)) for f in data]))]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def dcat_dataset(month: dt.date, version: int, published_at: dt.datetime, base_url: str,
                 files: list[tuple[str, str, str, int]]) -> bytes:
    """A DCAT-AP dataset (JSON-LD) for the release, its distributions with their checksums."""
    dataset = f"{base_url}releases/{version}/"
    document = {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "spdx": "http://spdx.org/rdf/terms#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": dataset, "@type": "dcat:Dataset",
        "dct:title": f"Places of deprivation of liberty: units by month, {month:%Y-%m}",
        "dct:description": "Coverage of custody rooms by cameras, detentions and overruns, "
                           "allegations, cases and recommendations per unit and month; counts "
                           "of people under the small-cell threshold are suppressed.",
        "dct:publisher": PUBLISHER, "dct:license": {"@id": LICENCE},
        "dct:issued": {"@value": published_at.date().isoformat(), "@type": "xsd:date"},
        "dct:temporal": {"@type": "dct:PeriodOfTime",
                         "dcat:startDate": month.isoformat(),
                         "dcat:endDate": (next_month(month) - dt.timedelta(days=1)).isoformat()},
        "dcat:version": str(version),
        "dcat:distribution": [{
            "@type": "dcat:Distribution", "dct:title": name,
            "dcat:downloadURL": {"@id": f"{dataset}{name}"}, "dcat:mediaType": media_type,
            "dcat:byteSize": size, "dct:license": {"@id": LICENCE},
            "spdx:checksum": {"@type": "spdx:Checksum",
                              "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                              "spdx:checksumValue": sha256}}
            for name, media_type, sha256, size in files],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()
