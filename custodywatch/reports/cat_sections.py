"""More tables of the UN CAT statistics (issue 24 item 5): safeguards compliance by region
and by citizenship, redress (the Victim Compensation Fund), rehabilitation (support
referrals) and the NPM's activity. Each with its definition, counted in the reader's scope,
as reports/cat.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from statistics import median
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from custodywatch.accounts.models import User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases.models import CompensationClaim, SupportReferral
from custodywatch.custody.models import CustodyAlert, CustodyRecord
from custodywatch.registry.models import Region
from custodywatch.reports.aggregates import local_midnight

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _late(clock: str) -> Exists:
    return Exists(CustodyAlert.objects.filter(custody_record=OuterRef("pk"), clock=clock,
                                              level=CustodyAlert.Level.OVERDUE))


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _safeguard_rows(groups: Sequence[tuple[object, StrOrPromise]], rows: dict
                    ) -> list[list[object]]:
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
    from custodywatch.reports.cat import Table
    from custodywatch.reports.cat_providers import provided

    claims = CompensationClaim.objects.filter(facility_q(user, "case__facility"))
    applied = claims.filter(claimed_at__year=year)
    paid = claims.filter(paid_at__year=year)
    days = [(p - c).days for c, p in paid.values_list("claimed_at", "paid_at")
            if p is not None]  # all of them: paid in the year
    rows = [
        [_("Claims received"), applied.count()],
        [_("Claims granted (decided in the year)"), claims.filter(
            decided_at__year=year, decision__in=["granted", "partly"]).count()],
        [_("Claims refused (decided in the year)"), claims.filter(
            decided_at__year=year, decision="refused").count()],
        [_("Claims paid"), paid.count()],
        [_("Amount paid (KZT)"), float(paid.aggregate(s=Sum("amount_granted"))["s"] or 0)],
        [_("Median days from application to payment"), float(median(days)) if days else 0],
        # The Fund's recourse claims against the convicted officers: accountability's rows.
        *provided("redress_recourse", user, year, scope_label),
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
    return [compensation, rehabilitation, *_rehabilitation_services(user, year, scope_label)]


def _rehabilitation_services(user: User, year: int, scope_label: str) -> list:
    """Rehabilitation (CAT art. 14) through the crisis centres: answers on time, services
    given and outcomes, by kind of support and by the centre's region."""
    from custodywatch.cases.models import ReferralOutcome, ReferralService
    from custodywatch.reports.cat import Table

    referrals = SupportReferral.objects.filter(facility_q(user, "case__facility"),
                                               referred_at__year=year)
    on_time = Q(responded_at__isnull=False) & (Q(response_due_at__isnull=True) | Q(
        responded_at__lte=F("response_due_at")))
    late = Q(response_overdue_at__isnull=False) | Q(responded_at__gt=F("response_due_at"))
    counts = {"n": Count("pk"), "consent": Count("pk", filter=~Q(consent="")),
              "on_time": Count("pk", filter=on_time), "late": Count("pk", filter=late),
              **{f"o_{value}": Count("pk", filter=Q(outcome=value))
                 for value in ReferralOutcome.values}}
    sessions = {row["referral__kind"]: row["s"] for row in ReferralService.objects.filter(
        referral__in=referrals.values("pk")).values("referral__kind").annotate(
        s=Sum("sessions")).order_by()}
    region_sessions = {row["referral__crisis_centre__region_id"]: row["s"]
                       for row in ReferralService.objects.filter(
                           referral__in=referrals.values("pk")).values(
                           "referral__crisis_centre__region_id").annotate(
                           s=Sum("sessions")).order_by()}

    def rows_of(groups: Sequence[tuple[object, StrOrPromise]], by: dict, given: dict
                ) -> list[list[object]]:
        out = []
        total = [0] * (5 + len(ReferralOutcome.values))
        for key, label in groups:
            row = by.get(key)
            if not row or not row["n"]:
                continue
            figures = [row["n"], row["consent"], row["on_time"], row["late"],
                       int(given.get(key) or 0),
                       *(row[f"o_{value}"] for value in ReferralOutcome.values)]
            total = [a + b for a, b in zip(total, figures, strict=True)]
            out.append([str(label), *figures])
        out.append([_("Total"), *total])
        return out

    header = [_("Referrals"), _("With consent recorded"), _("Answered on time"),
              _("Not answered on time"), _("Sessions of services given"),
              *(str(label) for label in ReferralOutcome.labels)]
    definition = _(
        "Victims referred in {year} to a crisis centre (cases register, date of referral). "
        "Consent: the person's consent to the referral recorded with it (every referral made "
        "since the registry of centres). On time: the centre answered (accepted, declined or "
        "gave a service) within its days to answer; not on time: the answer came later or "
        "the response clock ran overdue. Sessions: the services the centre gave under those "
        "referrals. Outcome: as recorded when the referral ended. Scope: {scope}.").format(
        year=year, scope=scope_label)
    by_kind = {row["kind"]: row for row in referrals.values("kind").annotate(**counts)
               .order_by()}
    by_region = {row["crisis_centre__region_id"]: row for row in referrals.values(
        "crisis_centre__region_id").annotate(**counts).order_by()}
    regions: list[tuple[int | None, str]] = [
        (r.pk, r.name) for r in Region.objects.order_by("code")]
    regions.append((None, _("centre not in the registry")))
    return [
        Table("rehabilitation_services", _("Rehabilitation through crisis centres, by kind "
                                           "of support"), definition,
              [_("Support"), *header], rows_of(list(SupportReferral.Kind.choices), by_kind,
                                               sessions)),
        Table("rehabilitation_regions", _("Rehabilitation through crisis centres, by the "
                                          "centre's region"), definition,
              [_("Region"), *header], rows_of(regions, by_region, region_sessions)),
    ]


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


def exclusions(user: User, year: int, scope_label: str) -> list:
    """Evidence excluded by the courts as obtained by torture (Convention art. 15): by region
    and kind of evidence, and by the person's sex, age group and citizenship."""
    from custodywatch.cases.models import EvidenceExclusion, ExclusionKind, Person
    from custodywatch.reports.cat import AGE_GROUPS, Table

    ruled = EvidenceExclusion.objects.filter(facility_q(user, "facility"), ruled_on__year=year)
    kinds = list(ExclusionKind.choices)
    definition = _(
        "Court rulings dated in {year} that excluded evidence as obtained by torture or cruel "
        "treatment (register of exclusions, kept by the prosecution), by the region of the "
        "unit that obtained it and the kind of evidence; then by the person's sex, age at "
        "the ruling and citizenship as recorded. Scope: {scope}.").format(
        year=year, scope=scope_label)
    counts = {(row["region_id"], row["kind"]): row["n"] for row in ruled.values(
        "region_id", "kind").annotate(n=Count("pk")).order_by()}
    rows = []
    for region in Region.objects.order_by("code"):
        row = [counts.get((region.pk, kind), 0) for kind, _label in kinds]
        if any(row):
            rows.append([region.name, *row, sum(row)])
    rows.append([_("Total"), *[sum(r[i] for r in rows) for i in range(1, len(kinds) + 2)]])
    by_region = Table("exclusions", _("Evidence excluded as obtained by torture, by region"),
                      definition, [_("Region"), *[str(label) for _k, label in kinds],
                                   _("Total")], rows)
    people: dict[tuple[str, str], int] = {}
    for sex, age, citizenship in ruled.values_list("person_sex", "person_age",
                                                   "person_citizenship"):
        group = next((label for low, high, label in AGE_GROUPS if age is not None
                      and low <= age < high), _("age not stated"))
        for key in (("sex", sex), ("age", group), ("citizenship", citizenship or "")):
            people[key] = people.get(key, 0) + 1
    sexes = dict(Person.Sex.choices)
    person_rows: list[list[object]] = []
    person_rows += [[_("Sex"), str(sexes.get(value, value)), n]
                    for (what, value), n in sorted(people.items()) if what == "sex"]
    ages = [label for _low, _high, label in AGE_GROUPS] + [_("age not stated")]
    person_rows += [[_("Age group"), value, n] for (what, value), n in sorted(
        people.items(), key=lambda item: ages.index(item[0][1]) if item[0][1] in ages else 99)
        if what == "age"]
    person_rows += [[_("Citizenship"), value or _("not stated"), n]
                    for (what, value), n in sorted(people.items(), key=lambda item: (
                        item[0][1] != "KZ", item[0][1])) if what == "citizenship"]
    person_rows.append([_("Total"), "", ruled.count()])
    by_person = Table("exclusions_people", _("Evidence excluded as obtained by torture, by "
                                             "sex, age and citizenship"), definition,
                      [_("Characteristic"), _("Group"), _("Rulings")], person_rows)
    return [by_region, by_person]
