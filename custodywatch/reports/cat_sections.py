"""More tables of the UN CAT statistics (issue 24 item 5): safeguards compliance by region
and by citizenship, redress (the Victim Compensation Fund), rehabilitation (support
referrals) and the NPM's activity. Each with its definition, counted in the reader's scope,
as reports/cat.py.
"""

from __future__ import annotations

import datetime as dt
from statistics import median

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from custodywatch.accounts.models import User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases.models import CompensationClaim, SupportReferral
from custodywatch.custody.models import CustodyAlert, CustodyRecord
from custodywatch.registry.models import Region
from custodywatch.reports.aggregates import local_midnight


def _late(clock: str) -> Exists:
    return Exists(CustodyAlert.objects.filter(custody_record=OuterRef("pk"), clock=clock,
                                              level=CustodyAlert.Level.OVERDUE))


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _safeguard_rows(groups: list[tuple[object, str]], rows: dict) -> list[list[object]]:
    out = []
    total = [0, 0, 0, 0]
    for key, label in groups:
        row = rows.get(key)
        if not row or not row["n"]:
            continue
        figures = [row["n"], row["n"] - row["relatives"], row["n"] - row["lawyer"],
                   row["n"] - row["medical"]]
        total = [a + b for a, b in zip(total, figures, strict=True)]
        out.append([label, *figures, *[_share(f, figures[0]) for f in figures[1:]]])
    out.append([_("Total"), *total, *[_share(f, total[0]) for f in total[1:]]])
    return out


def safeguards(user: User, year: int, scope_label: str) -> list:
    """Two tables: safeguards on time by region and by citizenship."""
    from custodywatch.reports.cat import Table

    start, end = (local_midnight(dt.date(year, 1, 1)),
                  local_midnight(dt.date(year + 1, 1, 1)))
    records = (CustodyRecord.objects.filter(facility_q(user, "facility"), detained_at__gte=start,
                                            detained_at__lt=end)
               .annotate(r=_late(CustodyAlert.Clock.RELATIVES),
                         la=_late(CustodyAlert.Clock.LAWYER),
                         m=_late(CustodyAlert.Clock.MEDICAL)))
    counts = {"n": Count("pk"), "relatives": Count("pk", filter=Q(r=True)),
              "lawyer": Count("pk", filter=Q(la=True)), "medical": Count("pk", filter=Q(m=True))}
    header = [_("Detentions"), _("Relatives told on time"), _("Lawyer's access on time"),
              _("Medical check on time"), _("Relatives on time, %"), _("Lawyer on time, %"),
              _("Medical on time, %")]
    definition = _(
        "Custody records whose actual moment of detention fell in {year} (custody register). "
        "A safeguard is on time unless its clock ran overdue: relatives notified, the "
        "lawyer's first access, the intake medical check (the custody alerts raised by the "
        "clocks' sweep). Scope: {scope}.").format(year=year, scope=scope_label)
    by_region = {row["facility__region_id"]: row for row in records.values(
        "facility__region_id").annotate(**counts).order_by()}
    regions = [(r.pk, r.name) for r in Region.objects.order_by("code")]
    by_citizenship = {row["citizenship"]: row for row in records.values("citizenship")
                      .annotate(**counts).order_by()}
    citizenships = sorted(((key, key or _("not stated")) for key in by_citizenship),
                          key=lambda item: (item[0] != "KZ", item[1]))
    return [
        Table("safeguards_region", _("Safeguards on time, by region"), definition,
              [_("Region"), *header], _safeguard_rows(regions, by_region)),
        Table("safeguards_citizenship", _("Detentions and safeguards on time, by citizenship"),
              definition + " " + _("Citizenship as recorded at detention."),
              [_("Citizenship"), *header], _safeguard_rows(citizenships, by_citizenship)),
    ]


def redress(user: User, year: int, scope_label: str) -> list:
    """Redress (the Fund's claims) and rehabilitation (support referrals)."""
    from custodywatch.accountability.models import RecourseClaim
    from custodywatch.reports.cat import Table

    claims = CompensationClaim.objects.filter(facility_q(user, "case__facility"))
    applied = claims.filter(claimed_at__year=year)
    paid = claims.filter(paid_at__year=year)
    days = [(p - c).days for c, p in paid.values_list("claimed_at", "paid_at")]
    recourse = RecourseClaim.objects.filter(facility_q(user, "claim__case__facility"),
                                            filed_on__year=year)
    rows = [
        [_("Claims received"), applied.count()],
        [_("Claims granted (decided in the year)"), claims.filter(
            decided_at__year=year, decision__in=["granted", "partly"]).count()],
        [_("Claims refused (decided in the year)"), claims.filter(
            decided_at__year=year, decision="refused").count()],
        [_("Claims paid"), paid.count()],
        [_("Amount paid (KZT)"), float(paid.aggregate(s=Sum("amount_granted"))["s"] or 0)],
        [_("Median days from application to payment"), float(median(days)) if days else 0],
        [_("Recourse claims filed against convicted officers"), recourse.count()],
        [_("Recovered from officers (KZT)"),
         float(recourse.aggregate(s=Sum("recovered"))["s"] or 0)],
    ]
    compensation = Table("redress", _("Redress: the Victim Compensation Fund"), _(
        "Compensation claims of victims in cases (cases register and the Fund's register): "
        "received (application dated in {year}), decided, paid (payment dated in {year}, the "
        "amount granted), the median days from application to payment of those paid, and the "
        "Fund's recourse claims filed in {year} against the convicted officers with what was "
        "recovered. Scope: {scope}.").format(year=year, scope=scope_label),
        [_("Figure"), _("Value")], rows)
    referrals = (SupportReferral.objects.filter(facility_q(user, "case__facility"),
                                                referred_at__year=year)
                 .values("kind", "status").annotate(n=Count("pk")).order_by())
    counts = {(row["kind"], row["status"]): row["n"] for row in referrals}
    statuses = SupportReferral.Status.choices
    table_rows = []
    for kind, label in SupportReferral.Kind.choices:
        row = [counts.get((kind, status), 0) for status, _label in statuses]
        table_rows.append([str(label), *row, sum(row)])
    table_rows.append([_("Total"), *[sum(r[i] for r in table_rows)
                                     for i in range(1, len(statuses) + 2)]])
    rehabilitation = Table("rehabilitation", _("Rehabilitation: support referrals of victims"),
                           _("Victims referred in {year} for legal, medical, psychological or "
                             "social support (cases register), by kind of support and where "
                             "the referral stands now. Scope: {scope}.").format(
                               year=year, scope=scope_label),
                           [_("Support"), *[str(label) for _s, label in statuses], _("Total")],
                           table_rows)
    return [compensation, rehabilitation]


def npm_activity(user: User, year: int, scope_label: str) -> list:
    from custodywatch.reports.cat import Table
    from custodywatch.visits.models import ImplementationStatus, Recommendation, Visit

    visits = (Visit.objects.filter(facility_q(user, "facility"), starts_on__year=year)
              .values("kind", "status").annotate(n=Count("pk")).order_by())
    counts = {(row["kind"], row["status"]): row["n"] for row in visits}
    statuses = Visit.Status.choices
    rows = []
    for kind, label in Visit.Kind.choices:
        row = [counts.get((kind, status), 0) for status, _label in statuses]
        rows.append([str(label), *row, sum(row)])
    rows.append([_("Total"), *[sum(r[i] for r in rows) for i in range(1, len(statuses) + 2)]])
    made = (Recommendation.objects.filter(facility_q(user, "facility"), issued_on__year=year)
            .values("status").annotate(n=Count("pk")).order_by())
    by_status = {row["status"]: row["n"] for row in made}
    recommendation_rows = [[str(label), by_status.get(status, 0)]
                           for status, label in ImplementationStatus.choices]
    recommendation_rows.append([_("Total"), sum(by_status.values())])
    return [
        Table("npm_visits", _("NPM visits, by kind and status"), _(
            "Visits to places of detention whose first day fell in {year} (visits register), "
            "by kind (planned or unannounced) and where they stand now. Scope: {scope}."
        ).format(year=year, scope=scope_label),
            [_("Kind"), *[str(label) for _s, label in statuses], _("Total")], rows),
        Table("npm_recommendations", _("Recommendations issued, by status of implementation"),
              _("Recommendations issued in {year} to units in scope (visits register), by "
                "their status now; implemented means accepted on evidence. Scope: {scope}."
                ).format(year=year, scope=scope_label),
              [_("Status"), _("Recommendations")], recommendation_rows),
    ]
