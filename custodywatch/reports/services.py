"""Writes of the reports app: rebuilding the precomputed figures, auditing exports."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.core.counters import next_number
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import ledger_append
from custodywatch.ledger.models import LeafKind
from custodywatch.ledger.selectors import checkpoint_latest
from custodywatch.reports import aggregates, exports, npm_annual, open_data_release
from custodywatch.reports.models import (
    AggregateRefresh,
    FacilityDay,
    FacilityMonth,
    OpenDataFile,
    OpenDataRelease,
    RegionMonth,
)
from custodywatch.reports.open_data_release import PUBLISHER

CHUNK = 5000


def default_since(now: dt.datetime) -> dt.date:
    """The first day of last month: what a regular refresh rebuilds (late entries, overruns
    that became overruns since, verdicts that came in)."""
    this_month = aggregates.month_start(now.astimezone(aggregates.zone()).date())
    return aggregates.month_start(this_month - dt.timedelta(days=1))


def figures_refresh(*, since: dt.date | None = None, now: dt.datetime | None = None,
                    acting_user: User | None = None, origin: Origin = SYSTEM_ORIGIN
                    ) -> AggregateRefresh:
    """Rebuild every unit-day, unit-month and region-month from the first day of the month
    of ``since`` (default: last month) to ``now``, in one transaction: readers see the old
    figures or the new ones, never half of them."""
    started = time.perf_counter()
    now = now or timezone.now()
    since = aggregates.month_start(since or default_since(now))
    days = aggregates.facility_days(since=since, now=now)
    months = aggregates.region_months(since=since, now=now, days=days)
    unit_months = aggregates.facility_months(days)
    with transaction.atomic():
        FacilityDay.objects.filter(day__gte=since).delete()
        FacilityMonth.objects.filter(month__gte=since).delete()
        RegionMonth.objects.filter(month__gte=since).delete()
        FacilityDay.objects.bulk_create(
            (FacilityDay(facility_id=facility_id, day=day, **values)
             for (facility_id, day), values in days.items()), batch_size=CHUNK)
        FacilityMonth.objects.bulk_create(
            (FacilityMonth(facility_id=facility_id, month=month, **values)
             for (facility_id, month), values in unit_months.items()), batch_size=CHUNK)
        RegionMonth.objects.bulk_create(
            (RegionMonth(region_id=region_id, month=month, **values)
             for (region_id, month), values in months.items()), batch_size=CHUNK)
        refresh = AggregateRefresh.objects.create(
            since=since, finished_at=timezone.now(), seconds=time.perf_counter() - started,
            facility_days=len(days), region_months=len(months))
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=refresh, detail={"since": since.isoformat(),
                                          "facility_days": len(days),
                                          "region_months": len(months)})
    return refresh


def export_record(*, user: User, origin: Origin, what: str, detail: dict[str, Any]) -> None:
    """An export leaves an audit row (and with it a ledger leaf)."""
    audit_record(actor=user, action=AuditEvent.Action.EXPORT, origin=origin,
                 object_type=f"reports.{what}", object_label=what, detail=detail)


def open_data_release_publish(*, month: dt.date, acting_user: User | None = None,
                              origin: Origin = SYSTEM_ORIGIN, note: str = "",
                              base_url: str = "", refresh: bool = True) -> OpenDataRelease:
    """Publish the open data of ``month`` (a finished month) as the next version: its files,
    each file's SHA-256 in the evidence ledger, in one transaction. The month's figures are
    rebuilt first (``refresh``), so the release reads what the registers say now."""
    month = aggregates.month_start(month)
    this_month = aggregates.month_start(timezone.localdate())
    if month >= this_month:
        raise ValueError(f"month: {month:%Y-%m} has not ended; a month is published once "
                         "it is over")
    if refresh:
        figures_refresh(since=month, acting_user=acting_user, origin=origin)
    rows = open_data_release.month_rows(month)
    return _publish(kind=OpenDataRelease.Kind.UNITS_MONTH, period=month, note=note,
                    acting_user=acting_user, origin=origin, detail={"rows": len(rows)},
                    files=lambda version, now: open_data_release.release_files(
                        month, version, rows, now, base_url))


def npm_annual_report_publish(*, year: int, acting_user: User | None = None,
                              origin: Origin = SYSTEM_ORIGIN, note: str = ""
                              ) -> OpenDataRelease:
    """Publish the NPM's annual report of a finished year as PDF and XLSX in kk, ru and en,
    each carrying the latest signed ledger checkpoint, each file's hash in the ledger."""
    if year >= timezone.localdate().year:
        raise ValueError(f"year: {year} has not ended; a year is published once it is over")
    checkpoint = checkpoint_latest()

    def files(version: int, now: dt.datetime) -> list[open_data_release.ReleaseFile]:
        made = []
        for language in ("kk", "ru", "en"):
            with translation.override(language):
                tables = npm_annual.npm_tables(year=year)
                provenance = exports.Provenance(
                    made_at=timezone.localtime(now), made_by=PUBLISHER,
                    scope=_("National Preventive Mechanism"), checkpoint=checkpoint)
                title = _("NPM annual report, %(year)s") % {"year": year}
                stem = f"npm-annual-report-{year}-v{version}-{language}"
                made += [
                    open_data_release.ReleaseFile(
                        f"{stem}.pdf", "application/pdf",
                        exports.cat_pdf(title=title, tables=tables, provenance=provenance)),
                    open_data_release.ReleaseFile(
                        f"{stem}.xlsx", XLSX,
                        exports.cat_xlsx(title=title, tables=tables, provenance=provenance))]
        return made

    return _publish(kind=OpenDataRelease.Kind.NPM_ANNUAL, period=dt.date(year, 1, 1),
                    note=note, acting_user=acting_user, origin=origin,
                    detail={"checkpoint_size": checkpoint.size if checkpoint else None},
                    files=files)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _publish(*, kind: str, period: dt.date, note: str, acting_user: User | None,
             origin: Origin, detail: dict[str, Any],
             files: Callable[[int, dt.datetime], list[open_data_release.ReleaseFile]]
             ) -> OpenDataRelease:
    """The next version, its files and each file's ledger leaf, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        version = next_number("open_data_release", last_existing=lambda: int(
            OpenDataRelease.objects.aggregate(top=Max("version"))["top"] or 0))
        release = OpenDataRelease.objects.create(version=version, kind=kind, month=period,
                                                 published_at=now, note=note[:300])
        for file in files(version, now):
            sha256 = hashlib.sha256(file.content).hexdigest()
            OpenDataFile.objects.create(release=release, name=file.name,
                                        media_type=file.media_type, content=file.content,
                                        sha256=sha256, size=len(file.content))
            ledger_append(kind=LeafKind.OPEN_DATA_FILE, fields={
                "release": version, "name": file.name, "sha256": sha256,
                "size": len(file.content), "at": iso_time(now)})
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=release, detail={"kind": kind, "period": period.isoformat(), **detail})
    return release
