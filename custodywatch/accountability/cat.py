"""Accountability's parts of the UN CAT statistics (reports/cat.py, reports/cat_sections.py),
registered with reports, below accountability, in AccountabilityConfig.ready
(reports/cat_providers.py): the disciplinary measures table and the redress table's rows of
the Fund's recourse claims. Counted in the reader's scope, figures only, no names."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from custodywatch.accountability.models import (
    Ground,
    Proceeding,
    ProceedingStatus,
    RecourseClaim,
    Sanction,
)
from custodywatch.accounts.models import User
from custodywatch.accounts.scoping import facility_q
from custodywatch.reports.cat import Table
from custodywatch.reports.cat_providers import register_cat_provider


def discipline(user: User, year: int, scope_label: str) -> list[Table]:
    """Disciplinary measures (issue 24: accountability.Proceeding): decided proceedings by
    sanction and ground, counted in the reader's scope (figures only, no names)."""
    decided = Proceeding.objects.filter(facility_q(user, "facility"),
                                        status=ProceedingStatus.DECIDED, decided_on__year=year)
    counts = {(row["sanction"], row["ground"]): row["n"]
              for row in decided.values("sanction", "ground").annotate(n=Count("pk")).order_by()}
    rows = []
    for sanction, label in Sanction.choices:
        row = [counts.get((sanction, ground), 0) for ground, _label in Ground.choices]
        rows.append([str(label), *row, sum(row)])
    rows.append([_("Total"), *[sum(r[i] for r in rows)
                               for i in range(1, len(Ground.choices) + 2)]])
    opened = Proceeding.objects.filter(facility_q(user, "facility"), opened_on__year=year).count()
    return [Table("discipline", _("Disciplinary measures against officers and heads"), _(
        "Disciplinary proceedings decided in {year} (accountability register, date of the "
        "decision), by the sanction imposed and the ground on which the proceeding was "
        "opened: a conviction of a subordinate, a substantiated complaint or a pattern of risk "
        "moments in the head's tenure (proposed by the system), or another ground. "
        "Proceedings opened in {year}: {opened}. Scope: {scope}.").format(
        year=year, opened=opened, scope=scope_label),
        [_("Sanction"), *[str(label) for _g, label in Ground.choices], _("Total")], rows)]


def redress_recourse(user: User, year: int, scope_label: str) -> list[list[object]]:
    """The redress table's rows of the Fund's recourse claims filed in the year."""
    recourse = RecourseClaim.objects.filter(facility_q(user, "claim__case__facility"),
                                            filed_on__year=year)
    return [
        [_("Recourse claims filed against convicted officers"), recourse.count()],
        [_("Recovered from officers (KZT)"),
         float(recourse.aggregate(s=Sum("recovered"))["s"] or 0)],
    ]


def register() -> None:
    register_cat_provider("discipline", discipline)
    register_cat_provider("redress_recourse", redress_recourse)
