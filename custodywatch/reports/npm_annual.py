"""The National Preventive Mechanism's annual report (issue 24, item 7): visits by type and
place, findings by category and severity, recommendations made and implemented, as tables
with their definitions, in the active language. Aggregates only: no finding's words, no
facility, person or monitor is named, so nothing identifying reaches the published files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from custodywatch.registry.models import Facility, Region
from custodywatch.reports.cat import Table
from custodywatch.visits.models import (
    Category,
    Finding,
    ImplementationStatus,
    Recommendation,
    Source,
    Visit,
)


def _counts(queryset, key: str, **extra) -> dict:
    return {row[key]: row for row in queryset.values(key).annotate(
        n=Count("pk"), **extra).order_by()}


def npm_tables(*, year: int) -> list[Table]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    visits = Visit.objects.filter(status=Visit.Status.COMPLETED, starts_on__gte=first,
                                  starts_on__lte=last)
    by_place = _counts(visits, "facility__kind",
                       unannounced=Count("pk", filter=Q(kind=Visit.Kind.UNANNOUNCED)))
    place_rows = [[str(label), by_place.get(kind, {}).get("n", 0),
                   by_place.get(kind, {}).get("unannounced", 0)]
                  for kind, label in Facility.Kind.choices]
    by_region = _counts(visits, "facility__region_id")
    region_rows = [[region.name, by_region.get(region.pk, {}).get("n", 0)]
                   for region in Region.objects.order_by("code")]
    findings = Finding.objects.filter(visit__in=visits, conflict_of__isnull=True)
    severities = list(Finding.Severity.choices)
    # Each row: the category and its count per severity (values named at run time).
    by_category: dict[str, Mapping[str, object]] = {
        row["category"]: row for row in findings.values("category").annotate(
            **{value: Count("pk", filter=Q(severity=value)) for value, _label in severities}
        ).order_by()}
    finding_rows = [[str(label), *(by_category.get(category, {}).get(value, 0)
                                   for value, _l in severities)]
                    for category, label in Category.choices]
    made = Recommendation.objects.filter(source=Source.VISIT, issued_on__gte=first,
                                         issued_on__lte=last)
    recommended = _counts(made, "category", implemented=Count(
        "pk", filter=Q(status=ImplementationStatus.IMPLEMENTED)), partly=Count(
        "pk", filter=Q(status=ImplementationStatus.PARTIALLY)))
    recommendation_rows = []
    for category, label in Category.choices:
        row = recommended.get(category, {})
        n = row.get("n", 0)
        share = f"{100 * row.get('implemented', 0) / n:.0f} %" if n else "—"
        recommendation_rows.append([str(label), n, row.get("implemented", 0),
                                    row.get("partly", 0), share])
    total_visits = sum(row[1] for row in place_rows)
    return [
        Table("visits_by_place", _("Visits by type of place"), _(
            "Visits the NPM completed in {year}, by the kind of place of deprivation of liberty "
            "visited; of them, unannounced visits. {n} visits in all.").format(
            year=year, n=total_visits),
            [_("Kind of place"), _("Visits"), _("Unannounced")], place_rows),
        Table("visits_by_region", _("Visits by region"), _(
            "Visits the NPM completed in {year}, by the region of the place visited.").format(
            year=year), [_("Region"), _("Visits")], region_rows),
        Table("findings", _("Findings by category and severity"), _(
            "Findings recorded during the visits completed in {year} (the latest version of "
            "each), by what they concern and how severe the monitors judged them. The "
            "findings' words are not published: they may identify people.").format(year=year),
            [_("Category"), *(str(label) for _v, label in severities)], finding_rows),
        Table("recommendations", _("Recommendations made and implemented"), _(
            "Recommendations issued after NPM visits in {year}, by category; implemented and "
            "partly implemented as their status stands when the report is made (a status "
            "changes only with evidence).").format(year=year),
            [_("Category"), _("Made"), _("Implemented"), _("Partly implemented"),
             _("Implemented share")], recommendation_rows),
    ]
