"""Pages of the reports: the scorecard, a unit's scorecard, UN CAT statistics, open data."""

from __future__ import annotations

import base64
import csv
import io
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.ledger.selectors import checkpoint_latest
from custodywatch.registry.models import Facility
from custodywatch.reports import (
    cat,
    charts,
    coverage_history,
    exports,
    follow_up,
    selectors,
    services,
)
from custodywatch.reports.links import UnitLinks
from custodywatch.reports.models import OpenDataFile
from custodywatch.reports.open_data import open_tables, published_until
from custodywatch.reports.open_data_release import LICENCE
from custodywatch.video import selectors as video_selectors
from custodywatch.video.coverage import coverage_rule

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}


def _reader(request: AuthedRequest) -> None:
    if not selectors.may_read_reports(request.user):
        raise PermissionDenied


def _year(request: Request) -> int:
    text = request.GET.get("year", "")
    today = timezone.localdate()
    if text.isdigit() and 2000 <= int(text) <= today.year:
        return int(text)
    return today.year


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    _reader(request)
    return render(request, "reports/index.html", {"refresh": selectors.last_refresh()})


def _strip_makers(distribution: dict) -> dict[str, charts.StripMaker]:
    """Per figure, the national distribution's picture, drawn once for the whole page."""
    return {key: charts.StripMaker(charts.quantiles(distribution[key]),
                                   _("%(figure)s among all units") % {"figure": label})
            for key, label in selectors.SCORE_FIGURES.items()}


def _grouped(value: int, separator: str) -> str:
    """``intcomma`` for a page of 400 figures: the locale's separator looked up once."""
    return f"{value:,}".replace(",", separator)


def _strips(makers: dict[str, charts.StripMaker], figures: dict[str, int],
            separator: str | None = None) -> list[dict]:
    if separator is None:
        separator = str(formats.get_format("THOUSAND_SEPARATOR"))
    return [{"key": key, "label": label, "value": figures[key],
             "shown": _grouped(figures[key], separator),
             "strip": makers[key].strip(figures[key])}
            for key, label in selectors.SCORE_FIGURES.items()]


@login_required
def scorecard(request: AuthedRequest) -> HttpResponse:
    _reader(request)
    period = selectors.parse_period(request.GET.get("period", ""), timezone.localdate())
    sort = request.GET.get("sort", "allegations")
    regions = selectors.regions_in_scope(user=request.user)
    region_code = request.GET.get("region", "")
    if region_code not in {region.code for region in regions}:
        region_code = ""
    figures = selectors.period_figures(period=period)
    page = selectors.scorecard(user=request.user, origin=request.origin,
                               period=period, sort=sort, region_code=region_code,
                               page_number=request.GET.get("page", 1), figures=figures)
    makers = _strip_makers(selectors.national_distribution(period=period, figures=figures))
    links = UnitLinks(request.user)
    separator = str(formats.get_format("THOUSAND_SEPARATOR"))
    rows = []
    for unit in page.object_list:
        cells = _strips(makers, unit.figures, separator)
        urls = links.for_unit(unit.facility.code, period.start, period.end, period.key)
        for cell in cells:
            cell["url"] = urls[cell["key"]]
        rows.append({"unit": unit, "cells": cells})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reports/scorecard.html", {
        "page": page, "rows": rows, "period": period, "sort": sort, "regions": regions,
        "region_code": region_code, "figures": selectors.SCORE_FIGURES,
        "query": query.urlencode(), "refresh": selectors.last_refresh(),
        "payment_days": selectors.days_to_payment_by_region(user=request.user)})


@login_required
def unit(request: AuthedRequest, code: str) -> HttpResponse:
    _reader(request)
    try:
        facility = selectors.unit_detail(user=request.user, origin=request.origin,
                                         code=code)
    except Facility.DoesNotExist:
        raise Http404(_("No such unit in your scope.")) from None
    period = selectors.parse_period(request.GET.get("period", ""), timezone.localdate())
    makers = _strip_makers(selectors.national_distribution(period=period))
    figures = selectors.unit_figures(facility=facility, start=period.start, end=period.end)
    links = UnitLinks(request.user).for_unit(facility.code, period.start, period.end,
                                             period.key)
    cells = _strips(makers, figures)
    for cell in cells:
        cell["url"] = links[cell["key"]]
    heads = selectors.head_scores(facility=facility, period=period)
    now = timezone.now()
    tickets, ticket_owners = video_selectors.facility_tickets(facility=facility, now=now)
    series = coverage_history.burndown(user=request.user, facility=facility)
    return render(request, "reports/unit.html", {
        "facility": facility, "period": period, "cells": cells, "heads": heads,
        "figures": selectors.SCORE_FIGURES, "refresh": selectors.last_refresh(),
        "now": now, "tickets": tickets, "ticket_owners": ticket_owners,
        "burndown": [_burn_chart(item) for item in series]})


def _burn_chart(series: coverage_history.Series) -> dict:
    points = [(str(_("baseline")) if p.baseline else p.day.isoformat(), p.rooms_blind,
               p.cameras_out_of_order, p.baseline) for p in series.points]
    title = _("%(name)s: custody rooms blind and cameras out of order by day") % {
        "name": series.name or _("Whole country")}
    return {"series": series, "name": series.name or _("Whole country"),
            "chart": charts.burndown(points, title, str(_("rooms blind")),
                                     str(_("cameras out of order")))}


@login_required
def coverage(request: AuthedRequest) -> HttpResponse:
    """The burn-down of blind rooms and broken cameras from the baseline, per region and
    agency (as far as the reader's scope reaches)."""
    _reader(request)
    series = coverage_history.burndown(user=request.user)
    return render(request, "reports/coverage.html", {
        "charts": [_burn_chart(item) for item in series],
        "rule": coverage_rule().label})


@login_required
def heads(request: AuthedRequest) -> HttpResponse:
    """Heads of units in the reader's scope with their figures for the period, each linking
    to his unit's scorecard."""
    _reader(request)
    period = selectors.parse_period(request.GET.get("period", ""), timezone.localdate())
    regions = selectors.regions_in_scope(user=request.user)
    region_code = request.GET.get("region", "")
    if region_code not in {region.code for region in regions}:
        region_code = ""
    text = request.GET.get("q", "").strip()[:100]
    page = selectors.heads_scorecard(user=request.user, origin=request.origin,
                                     period=period, region_code=region_code, text=text,
                                     page_number=request.GET.get("page", 1))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reports/heads.html", {
        "page": page, "period": period, "regions": regions, "region_code": region_code,
        "text": text, "figures": selectors.SCORE_FIGURES, "query": query.urlencode(),
        "refresh": selectors.last_refresh()})


@login_required
def cat_statistics(request: AuthedRequest) -> HttpResponse:
    _reader(request)
    year = _year(request)
    tables = cat.cat_tables(user=request.user, year=year)
    return render(request, "reports/cat.html", {
        "tables": tables, "year": year, "years": range(timezone.localdate().year, 2019, -1),
        "checkpoint": checkpoint_latest()})


@login_required
def cat_export(request: AuthedRequest, fmt: str) -> HttpResponse:
    _reader(request)
    if fmt not in FORMATS:
        raise Http404
    year = _year(request)
    tables = cat.cat_tables(user=request.user, year=year)
    observations = follow_up.chosen(request.GET.getlist("o"))
    if observations:
        tables.append(_follow_up_table(observations))
    checkpoint = checkpoint_latest()
    provenance = exports.Provenance(made_at=timezone.localtime(),
                                    made_by=request.user.get_username(),
                                    scope=cat._scope_label(request.user), checkpoint=checkpoint)
    title = _("UN CAT statistics, %(year)s") % {"year": year}
    make = exports.cat_xlsx if fmt == "xlsx" else exports.cat_pdf
    content = make(title=title, tables=tables, provenance=provenance)
    services.export_record(user=request.user, origin=request.origin, what="cat",
                           detail={"year": year, "format": fmt,
                                   "follow_up": [o.reference for o in observations],
                                   "checkpoint_size": checkpoint.size if checkpoint else None})
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="un-cat-{year}.{fmt}"'
    return response


def _follow_up_table(observations: list[follow_up.Observation]) -> cat.Table:
    rows: list[list[object]] = [
        [row["observation"], f"{row['source']} {row['official_reference']}".strip(),
         row["status_label"], len(row["evidence"]),  # type: ignore[arg-type]  # rows of mixed JSON
         "; ".join(e["description"] for e in row["evidence"])]  # type: ignore[attr-defined]  # rows of mixed JSON
        for row in follow_up.rows(observations)]
    return cat.Table("follow_up", _("Follow-up: the concluding observations chosen"), _(
        "The concluding observations of the UN Committee against Torture chosen for "
        "follow-up, each with its recommendations (the Committee's and those of other "
        "mechanisms grouped with them), their implementation status now and the evidence "
        "the status rests on (recommendations register)."),
        [_("Concluding observation"), _("Recommendation"), _("Status"), _("Evidence"),
         _("What the evidence says")], rows)


FOLLOW_UP_FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
                     "json": "application/json"}


@login_required
def cat_follow_up(request: AuthedRequest) -> HttpResponse:
    """The follow-up report builder: choose concluding observations, see them with their
    recommendations' status and evidence, export them."""
    _reader(request)
    references = request.GET.getlist("o")
    return render(request, "reports/cat_follow_up.html", {
        "observations": follow_up.observations(), "references": references,
        "chosen": follow_up.chosen(references),
        "query": urlencode([("o", reference) for reference in references])})


@login_required
def cat_follow_up_export(request: AuthedRequest, fmt: str) -> HttpResponse:
    _reader(request)
    if fmt not in FOLLOW_UP_FORMATS:
        raise Http404
    chosen = follow_up.chosen(request.GET.getlist("o"))
    if not chosen:
        return HttpResponse(_("Choose at least one concluding observation (o)."), status=400,
                            content_type="text/plain; charset=utf-8")
    checkpoint = checkpoint_latest()
    provenance = exports.Provenance(made_at=timezone.localtime(),
                                    made_by=request.user.get_username(),
                                    scope=_("the whole country"), checkpoint=checkpoint)
    title = _("Follow-up to the concluding observations of the UN Committee against Torture")
    if fmt == "pdf":
        content = follow_up.as_pdf(chosen, provenance, title)
    elif fmt == "csv":
        content = follow_up.as_csv(chosen, provenance)
    else:
        content = follow_up.as_json(chosen, provenance, title)
    services.export_record(user=request.user, origin=request.origin,
                           what="cat_follow_up",
                           detail={"format": fmt, "observations": [o.reference for o in chosen],
                                   "checkpoint_size": checkpoint.size if checkpoint else None})
    response = HttpResponse(content, content_type=FOLLOW_UP_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="un-cat-follow-up.{fmt}"'
    return response


def open_data(request: Request) -> HttpResponse:
    """Public: no sign-in."""
    year = _year(request)
    return render(request, "reports/open_data.html", {
        "tables": open_tables(year=year), "year": year, "published_until": published_until(),
        "years": range(timezone.localdate().year, 2019, -1)})


def open_data_download(request: Request, table: str, fmt: str) -> HttpResponse:
    """Public: one open-data table as CSV (cells, totals in the last row and column; an empty
    field where suppressed) or JSON (null where suppressed)."""
    year = _year(request)
    chosen = next((t for t in open_tables(year=year) if t.key == table), None)
    if chosen is None or fmt not in ("csv", "json"):
        raise Http404
    name = f"custodywatch-{table}-{year}.{fmt}"
    if fmt == "json":
        response = HttpResponse(json.dumps({"year": year, **chosen.as_json()},
                                           ensure_ascii=False, indent=1),
                                content_type="application/json")
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["region", *chosen.column_codes, "total"])
        for code, values in zip([*chosen.row_codes, "total"], chosen.values, strict=True):
            writer.writerow([code, *("" if v is None else v for v in values)])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def open_data_releases(request: Request) -> HttpResponse:
    """Public: the versioned monthly releases, their files, hashes and ledger entries."""
    return render(request, "reports/open_data_releases.html", {
        "releases": selectors.open_data_releases(), "licence": LICENCE})


def open_data_release_file(request: Request, version: int, name: str) -> HttpResponse:
    """Public: one published file, byte for byte as hashed into the ledger."""
    try:
        file = selectors.open_data_file(version=version, name=name)
    except OpenDataFile.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(bytes(file.content), content_type=file.media_type)
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    response["Digest"] = f"sha-256={base64.b64encode(bytes.fromhex(file.sha256)).decode()}"
    return response
