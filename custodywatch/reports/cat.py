"""The statistics a periodic report to the UN Committee against Torture needs.

Each table carries its definition in words: what is counted, from which register, by which
date. The export (reports/exports.py) writes the definitions and the ledger checkpoint of the
moment beside the figures, so anyone can recount them from the same data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case as DbCase
from django.db.models import CharField, Count, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext as _

from custodywatch.accounts.models import User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases.models import (
    Article,
    Case,
    CaseParty,
    CaseStatus,
    Charge,
    CompensationClaim,
    Person,
)
from custodywatch.cases.models import Verdict as V
from custodywatch.complaints.models import Complaint, Disposition, Status
from custodywatch.registry.models import Agency, Facility, Region
from custodywatch.reports import cat_sections
from custodywatch.reports.aggregates import ALLEGATION_CATEGORIES, local_midnight
from custodywatch.reports.cat_providers import provided

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PROSECUTED = (CaseStatus.SENT_TO_COURT, CaseStatus.VERDICT, CaseStatus.APPEAL, CaseStatus.FINAL)
AGE_GROUPS = [(0, 18, "0-17"), (18, 30, "18-29"), (30, 45, "30-44"), (45, 60, "45-59"),
              (60, 200, "60+")]


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    definition: str
    header: list[str]
    rows: list[list[object]]


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(dt.date(year, 1, 1)), local_midnight(dt.date(year + 1, 1, 1))


def scoped(user: User) -> tuple[Q, Q]:
    """Filters on Complaint and on Case for the reader's scope."""
    scope = facility_q(user, "facility")
    if user.region_id and not user.facility_id:
        return Q(region_id=user.region_id), scope
    if user.facility_id:
        return Q(facility_id=user.facility_id), scope
    return scope, scope


def _by(queryset, key: str, **annotations) -> dict:
    return {row[key]: row for row in queryset.values(key).annotate(**annotations).order_by()}


def _flow_rows(labels: Sequence[tuple[object, StrOrPromise]], received: dict, cases: dict,
               convicted: dict, paid: dict) -> list[list[object]]:
    rows = []
    total = [0, 0, 0, 0, 0, 0.0]
    for key, label in labels:
        figures = [(received.get(key) or {}).get("n", 0), (cases.get(key) or {}).get("n", 0),
                   (cases.get(key) or {}).get("court", 0), (convicted.get(key) or {}).get("n", 0),
                   (paid.get(key) or {}).get("n", 0),
                   float((paid.get(key) or {}).get("amount") or 0)]
        if any(figures):
            rows.append([label, *figures])
            total = [a + b for a, b in zip(total, figures, strict=True)]
    rows.append([_("Total"), *total])
    return rows


def cat_tables(*, user: User, year: int) -> list[Table]:
    start, end = _year_bounds(year)
    complaint_scope, case_scope = scoped(user)
    complaints = Complaint.objects.filter(complaint_scope, received_at__gte=start,
                                          received_at__lt=end,
                                          category__in=ALLEGATION_CATEGORIES)
    cases = Case.objects.filter(case_scope, registered_at__gte=start, registered_at__lt=end)
    convicted = Charge.objects.filter(verdict=V.CONVICTED, verdict_on__year=year).filter(
        facility_q(user, "case__facility"))
    paid = CompensationClaim.objects.filter(paid_at__year=year).filter(
        facility_q(user, "case__facility"))
    court = Count("pk", filter=Q(status__in=PROSECUTED))
    header = [_("Allegations received"), _("Investigated (cases registered)"),
              _("Prosecuted (sent to court)"), _("Convictions (charges)"),
              _("Compensation payments"), _("Compensation paid (KZT)")]
    flow_definition = _(
        "Allegations received: complaints in the categories torture; cruel, inhuman or "
        "degrading treatment; threats, received in {year} (complaints register, date "
        "received). Investigated: pre-trial investigations registered in {year} (cases "
        "register, date registered). Prosecuted: of those, the cases that reached court "
        "(status sent to court, verdict, appeal or final). Convictions: charges with a "
        "conviction dated in {year}, any article. Compensation: claims with a payment dated "
        "in {year}, the amount granted. Scope: {scope}.").format(
        year=year, scope=_scope_label(user))
    regions = [(r.pk, r.name) for r in Region.objects.order_by("code")]
    by_region = Table("region", _("Allegations and their follow-up, by region"),
                      flow_definition, [_("Region"), *header], _flow_rows(
        regions, _by(complaints, "region_id", n=Count("pk")),
        _by(cases, "region_id", n=Count("pk"), court=court),
        _by(convicted, "case__region_id", n=Count("pk")),
        _by(paid, "case__region_id", n=Count("pk"), amount=Sum("amount_granted"))))
    agencies = [(a.pk, a.name) for a in Agency.objects.order_by("code")]
    by_agency = Table("agency", _("Allegations and their follow-up, by agency"),
                      flow_definition + " " + _(
                          "Agency: the agency of the facility concerned (complaints that name "
                          "no facility are not in this table)."),
                      [_("Agency"), *header], _flow_rows(
        agencies, _by(complaints.filter(facility__isnull=False), "facility__agency_id",
                      n=Count("pk")),
        _by(cases, "facility__agency_id", n=Count("pk"), court=court),
        _by(convicted, "case__facility__agency_id", n=Count("pk")),
        _by(paid, "case__facility__agency_id", n=Count("pk"), amount=Sum("amount_granted"))))
    return [by_region, by_agency, _funnel(complaint_scope, start, end, year, user),
            _victims(cases, year), _sentences(convicted, year),
            _by_place(complaints, cases, convicted, paid, year, user, header, flow_definition),
            *_complaints_by_person(complaint_scope, start, end, year, user),
            _deaths(user, year),
            *provided("discipline", user, year, _scope_label(user)),
            *cat_sections.exclusions(user, year, _scope_label(user)),
            *cat_sections.safeguards(user, year, _scope_label(user)),
            *cat_sections.redress(user, year, _scope_label(user)),
            *cat_sections.npm_activity(user, year, _scope_label(user))]


# The stages of a complaint's funnel, as Case statuses: a case that reached a verdict.
VERDICT_STATUSES = (CaseStatus.VERDICT, CaseStatus.APPEAL, CaseStatus.FINAL)


def funnel_counts(complaints, key: str = "region_id"
                  ) -> dict[object, list[int]]:
    """Per region id (or another value ``key`` of the rows): [complaints, investigations,
    cases, verdicts, closed, *dispositions].
    Investigations: complaints closed as referred for investigation or with a case opened,
    or linked to a case; cases: linked to a case; verdicts: linked to a case that reached a
    verdict (complaints/cases registers)."""
    investigated = Q(disposition__in=[Disposition.REFERRED, Disposition.CASE_OPENED]) | Q(
        cases__isnull=False)
    annotations = {
        "n": Count("pk", distinct=True),
        "investigations": Count("pk", filter=investigated, distinct=True),
        "cases_": Count("pk", filter=Q(cases__isnull=False), distinct=True),
        "verdicts": Count("pk", filter=Q(cases__status__in=VERDICT_STATUSES), distinct=True),
        "closed": Count("pk", filter=Q(status=Status.CLOSED), distinct=True),
        **{f"d_{value}": Count("pk", filter=Q(disposition=value), distinct=True)
           for value in Disposition.values},
    }
    return {row[key]: [row["n"], row["investigations"], row["cases_"], row["verdicts"],
                       row["closed"], *(row[f"d_{v}"] for v in Disposition.values)]
            for row in complaints.values(key).annotate(**annotations).order_by()}


def _funnel(complaint_scope: Q, start: dt.datetime, end: dt.datetime, year: int,
            user: User) -> Table:
    counts = funnel_counts(Complaint.objects.filter(complaint_scope, received_at__gte=start,
                                                    received_at__lt=end))
    rows = []
    total = [0] * (5 + len(Disposition.values))
    for region in Region.objects.order_by("code"):
        figures = counts.get(region.pk)
        if figures and any(figures):
            rows.append([region.name, *figures])
            total = [a + b for a, b in zip(total, figures, strict=True)]
    rows.append([_("Total"), *total])
    return Table("funnel", _("Complaints, from filing to verdict and how they ended, by region"),
                 _("Complaints of every category received in {year} (complaints register, date "
                   "received). Investigations: those referred for pre-trial investigation or "
                   "with a criminal case opened (the disposition recorded at closing), or "
                   "linked to a case. Cases: linked to a pre-trial investigation (cases "
                   "register). Verdicts: linked to a case that reached a verdict. Then the "
                   "complaints closed, by the disposition required at closing. Scope: "
                   "{scope}.").format(year=year, scope=_scope_label(user)),
                 [_("Region"), _("Complaints"), _("Investigations"), _("Cases"), _("Verdicts"),
                  _("Closed"), *(str(label) for label in Disposition.labels)], rows)


def _by_place(complaints, cases, convicted, paid, year: int,
              user: User, header: list[str], definition: str) -> Table:
    court = Count("pk", filter=Q(status__in=PROSECUTED))
    kinds = [(kind, str(label)) for kind, label in Facility.Kind.choices]
    return Table("place", _("Allegations and their follow-up, by kind of place"),
                 definition + " " + _("Place: the kind of the facility concerned (complaints "
                                      "that name no facility are not in this table)."),
                 [_("Kind of place"), *header], _flow_rows(
        kinds, _by(complaints.filter(facility__isnull=False), "facility__kind", n=Count("pk")),
        _by(cases, "facility__kind", n=Count("pk"), court=court),
        _by(convicted, "case__facility__kind", n=Count("pk")),
        _by(paid, "case__facility__kind", n=Count("pk"), amount=Sum("amount_granted"))))


def _complaints_by_person(complaint_scope: Q, start: dt.datetime, end: dt.datetime, year: int,
                          user: User) -> list[Table]:
    """Complaints and how they ended by the complainant's citizenship, age group and gender,
    as recorded in the custody record the complaint is linked to."""
    complaints = Complaint.objects.filter(complaint_scope, received_at__gte=start,
                                          received_at__lt=end)
    jan_first = dt.date(year, 1, 1)
    # Younger than ``high`` on 1 January: born after that day ``high`` years before.
    age = DbCase(*[When(custody_record__date_of_birth__gt=_years_before(jan_first, high),
                        then=Value(label)) for _low, high, label in AGE_GROUPS[:-1]],
                 When(custody_record__date_of_birth__isnull=False, then=Value(AGE_GROUPS[-1][2])),
                 default=Value(_("age not stated")), output_field=CharField())
    complaints = complaints.annotate(
        cw_age=age,
        cw_citizenship=Coalesce("custody_record__citizenship", Value("")),
        cw_gender=Lower(Coalesce("custody_record__gender", Value(""))))
    figures_header = [_("Complaints"), _("Investigations"), _("Cases"), _("Verdicts"),
                      _("Closed"), *(str(label) for label in Disposition.labels)]
    definition = _(
        "Complaints of every category received in {year}, counted as in the table of "
        "complaints by region, by what the custody record the complaint is linked to says of "
        "the person: citizenship and gender as recorded, age in full years on 1 January "
        "{year}. Complaints linked to no custody record count as not stated. Scope: "
        "{scope}.").format(year=year, scope=_scope_label(user))
    tables = []
    for key, label, title, sort in (
            ("cw_citizenship", _("Citizenship"), _("Complaints and how they ended, by "
                                                   "citizenship"),
             lambda k: (k != "KZ", k)),
            ("cw_age", _("Age group"), _("Complaints and how they ended, by age group"),
             lambda k: ([g[2] for g in AGE_GROUPS] + [k]).index(k)),
            ("cw_gender", _("Gender"), _("Complaints and how they ended, by gender"),
             lambda k: (k == "", k))):
        counts = funnel_counts(complaints, key=key)
        rows = []
        total = [0] * len(figures_header)
        for group in sorted(counts, key=sort):
            figures = counts[group]
            rows.append([group or _("not stated"), *figures])
            total = [a + b for a, b in zip(total, figures, strict=True)]
        rows.append([_("Total"), *total])
        tables.append(Table(f"complaints_{key[3:]}", title, definition,
                            [label, *figures_header], rows))
    return tables


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _scope_label(user: User) -> str:
    if user.facility_id:
        return str(user.facility)
    if user.region is not None:
        return user.region.name
    return _("the whole country")


def _victims(cases, year: int) -> Table:
    parties = (CaseParty.objects.filter(case__in=cases.values("pk"), role=CaseParty.Role.VICTIM)
               .annotate(moment=Coalesce("case__events_from", "case__registered_at"))
               .values_list("person__sex", "person__date_of_birth", "moment"))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for sex, born, moment in parties:
        counts[(sex or Person.Sex.UNKNOWN, _age_group(born, moment.date()))] += 1
    groups = [label for _low, _high, label in AGE_GROUPS] + [_("age not stated")]
    rows: list[list[object]] = []
    numbers: list[list[int]] = []  # each row's figures, for the totals
    for sex, label in Person.Sex.choices:
        row = [counts.get((sex, group), 0) for group in groups]
        numbers.append([*row, sum(row)])
        rows.append([str(label), *row, sum(row)])
    totals = [sum(line[i] for line in numbers) for i in range(len(groups) + 1)]
    rows.append([_("Total"), *totals])
    return Table("victims", _("Victims in cases registered, by sex and age group"), _(
        "Victims: parties with the role victim in the pre-trial investigations registered in "
        "{year}; a person who is a victim in two cases counts twice. Age: full years at the "
        "beginning of the events (else at registration), from the date of birth recorded; "
        "sex as recorded.").format(year=year), [_("Sex"), *groups, _("Total")], rows)


def _age_group(born: dt.date | None, on: dt.date) -> str:
    if born is None:
        return _("age not stated")
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next(label for low, high, label in AGE_GROUPS if low <= age < high)


def _sentences(convicted, year: int) -> Table:
    rows = []
    for article, label in Article.choices:  # those of Charge.article
        charges = convicted.filter(article=article)
        figures = charges.aggregate(
            n=Count("pk"), prison=Count("pk", filter=Q(imprisonment_months__isnull=False,
                                                       probation=False)),
            months=Sum("imprisonment_months", filter=Q(probation=False)),
            fine=Count("pk", filter=Q(fine_amount__isnull=False)),
            ban=Count("pk", filter=Q(ban_on_positions_years__isnull=False)),
            probation=Count("pk", filter=Q(probation=True)),
            released=Count("pk", filter=Q(amnesty=True) | Q(limitation=True)
                           | Q(reconciliation=True) | Q(active_repentance=True)),
            flagged=Count("pk", filter=~Q(rule_flags=[])))
        if figures["n"]:
            average = round(figures["months"] / figures["prison"], 1) if figures["prison"] else 0
            rows.append([str(label), figures["n"], figures["prison"], average, figures["fine"],
                         figures["ban"], figures["probation"], figures["released"],
                         figures["flagged"]])
    return Table("sentences", _("Sentences of convictions, by article"), _(
        "Charges with a conviction dated in {year}. Imprisonment: a term of imprisonment not "
        "suspended (average in months over those); fine, ban on holding positions, probation "
        "as sentenced; released: by amnesty, limitation, reconciliation or active repentance "
        "(which art. 146 forbids: each such charge is also flagged in the cases register). "
        "Rule flags: imported charges that break a rule of art. 146, as flagged at import. A "
        "charge may carry several penalties.").format(year=year),
        [_("Article"), _("Convictions"), _("Imprisonment"), _("Average months"), _("Fine"),
         _("Ban on positions"), _("Probation"), _("Released"), _("Rule flags")], rows)


def _deaths(user: User, year: int) -> Table:
    """Deaths in custody (issue 21: medical.Death, one per death recorded when custody ended),
    by manner of death and by the kind of place."""
    from custodywatch.medical.models import Death

    start, end = _year_bounds(year)
    deaths = Death.objects.filter(facility_q(user, "custody_record__facility"),
                                  died_at__gte=start, died_at__lt=end)
    counts = {(row["manner"], row["custody_record__facility__kind"]): row["n"]
              for row in deaths.values("manner", "custody_record__facility__kind")
              .annotate(n=Count("pk")).order_by()}
    kinds = [(kind, label) for kind, label in Facility.Kind.choices
             if any(k == kind for _m, k in counts)]
    rows = []
    for manner, label in Death.Manner.choices:
        row = [counts.get((manner, kind), 0) for kind, _label in kinds]
        rows.append([str(label), *row, sum(row)])
    rows.append([_("Total"), *[sum(r[i] for r in rows) for i in range(1, len(kinds) + 2)]])
    return Table("deaths", _("Deaths in custody, by manner of death and place"), _(
        "Deaths in custody: custody records ended by a death dated in {year} (custody "
        "register; each opens an investigation by itself). Manner of death as recorded after "
        "the autopsy (pending until recorded); place: the kind of facility where the person "
        "was held. Scope: {scope}.").format(year=year, scope=_scope_label(user)),
        [_("Manner of death"), *[str(label) for _kind, label in kinds], _("Total")], rows)
