"""Writes of the reports app: rebuilding the precomputed figures, auditing exports."""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.reports import aggregates
from custodywatch.reports.models import AggregateRefresh, FacilityDay, FacilityMonth, RegionMonth

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


def export_record(*, user: User, origin: Origin, what: str, detail: dict) -> None:
    """An export leaves an audit row (and with it a ledger leaf)."""
    audit_record(actor=user, action=AuditEvent.Action.EXPORT, origin=origin,
                 object_type=f"reports.{what}", object_label=what, detail=detail)
