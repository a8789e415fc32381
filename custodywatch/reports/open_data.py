"""Open data: national aggregate tables anyone may download, small cells suppressed.

Each table is a region x category count with its row, column and grand totals; the kernel
(custodywatch/kernels/suppression.py) hides every count under the threshold (default 5,
``settings.CUSTODYWATCH_SMALL_CELL``) and, where totals would give a hidden count away,
the cheapest further counts. Hidden counts are published as null.

Tables are published by whole months: the running month is left out until it ends, so a
complaint or a case appears only in a month's batch with every other of that month, on the
same schedule for every region, never the day it was filed (docs/security.md: the accused
facility reads nothing that changes because of a complaint against it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _

from custodywatch.cases.models import Case, CaseStatus
from custodywatch.complaints.models import Category, Complaint
from custodywatch.kernels.suppression import DEFAULT_THRESHOLD, published, suppress
from custodywatch.registry.models import Region
from custodywatch.reports.aggregates import local_midnight, month_start

CASE_STAGES = {
    "investigation": (CaseStatus.REGISTERED, CaseStatus.INVESTIGATION, CaseStatus.SUSPENDED),
    "closed": (CaseStatus.CLOSED,),
    "court": (CaseStatus.SENT_TO_COURT, CaseStatus.VERDICT, CaseStatus.APPEAL),
    "final": (CaseStatus.FINAL,),
}


@dataclass(frozen=True)
class OpenTable:
    key: str
    title: str
    definition: str
    row_codes: list[str]
    row_labels: list[str]
    column_codes: list[str]
    column_labels: list[str]
    values: list[list[int | None]]  # augmented: last row and column are the totals
    hidden: int

    @property
    def labelled_rows(self) -> list[tuple[str | None, list[int | None]]]:
        """(region name, counts) and, last, (None, the column totals)."""
        return list(zip([*self.row_labels, None], self.values, strict=True))

    def as_json(self) -> dict:
        return {"table": self.key, "title": self.title, "definition": self.definition,
                "rows": self.row_codes, "columns": self.column_codes,
                "values": [row[:-1] for row in self.values[:-1]],
                "row_totals": [row[-1] for row in self.values[:-1]],
                "column_totals": self.values[-1][:-1], "total": self.values[-1][-1],
                "suppressed": "null", "threshold": threshold()}


def threshold() -> int:
    return int(getattr(settings, "CUSTODYWATCH_SMALL_CELL", DEFAULT_THRESHOLD))


def _table(key: str, title: str, definition: str, counts: dict[tuple[int, str], int],
           columns: list[tuple[str, str]]) -> OpenTable:
    regions = list(Region.objects.order_by("code"))
    cells = np.array([[counts.get((region.pk, code), 0) for code, _label in columns]
                      for region in regions], dtype=np.int64)
    full, mask = suppress(cells, threshold=threshold())
    return OpenTable(key, title, definition, [r.code for r in regions],
                     [r.name for r in regions], [c for c, _l in columns],
                     [str(label) for _c, label in columns], published(full, mask),
                     int(mask.sum()))


def published_until(today: dt.date | None = None) -> dt.date:
    """The first day not yet published: the start of the running month."""
    from django.utils import timezone

    return month_start(today or timezone.localdate())


def open_tables(*, year: int, today: dt.date | None = None) -> list[OpenTable]:
    start = local_midnight(dt.date(year, 1, 1))
    end = min(local_midnight(dt.date(year + 1, 1, 1)), local_midnight(published_until(today)))
    complaint_counts = {(row["region_id"], row["category"]): row["n"] for row in
                        Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
                        .values("region_id", "category").annotate(n=Count("pk")).order_by()}
    stage_of: dict[str, str] = {status: stage for stage, statuses in CASE_STAGES.items()
                                for status in statuses}
    case_counts: dict[tuple[int, str], int] = {}
    for row in (Case.objects.filter(registered_at__gte=start, registered_at__lt=end)
                .values("region_id", "status").annotate(n=Count("pk")).order_by()):
        key = (row["region_id"], stage_of[row["status"]])
        case_counts[key] = case_counts.get(key, 0) + row["n"]
    stages = [("investigation", _("Under investigation")), ("closed", _("Closed")),
              ("court", _("In court")), ("final", _("Final verdict"))]
    return [
        _table("complaints", _("Complaints received, by region and category"), _(
            "Complaints against places of deprivation of liberty received in {year}, by the "
            "region concerned and the category the handler confirmed.").format(year=year),
            complaint_counts, [(c, str(label)) for c, label in Category.choices]),
        _table("cases", _("Torture and ill-treatment cases registered, by region and stage"), _(
            "Pre-trial investigations registered in {year}, by region and the stage they are "
            "at now.").format(year=year), case_counts, stages),
    ]
