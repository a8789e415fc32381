"""Precomputed figures the dashboard, the scorecard and the open data read.

``FacilityDay`` holds one unit's figures for one local day (``settings.TIME_ZONE``): the
scorecard sums days, so a change of head in the middle of a month splits exactly at his
appointment dates. ``RegionMonth`` holds a region's figures for one month: the national
dashboard's trends and map read a few hundred of these rows. Both are rebuilt from the
registers by ``custodywatch reports refresh`` (reports/aggregates.py says what each counts).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from custodywatch.registry.models import Facility, Region


class FacilityDay(models.Model):
    facility = models.ForeignKey(Facility, models.CASCADE, related_name="+",
                                 verbose_name=_("unit"))
    day = models.DateField(_("day"))
    detentions = models.PositiveIntegerField(_("detentions"), default=0)
    overruns = models.PositiveIntegerField(_("held past the limit"), default=0)
    blind_seconds = models.BigIntegerField(_("blind custody seconds"), default=0)
    allegations = models.PositiveIntegerField(_("allegations"), default=0)
    substantiated = models.PositiveIntegerField(_("substantiated allegations"), default=0)
    cases = models.PositiveIntegerField(_("cases"), default=0)
    convictions = models.PositiveIntegerField(_("cases with a conviction"), default=0)

    class Meta:
        verbose_name = _("unit's figures of a day")
        verbose_name_plural = _("units' figures by day")
        constraints = [models.UniqueConstraint(fields=["facility", "day"],
                                               name="reports_facility_day_unique")]
        indexes = [models.Index(fields=["day", "facility"], name="reports_facility_day_by_day")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.day}"


class FacilityMonth(models.Model):
    """A unit's figures for one month: the sum of its FacilityDay rows, rebuilt with them.
    The scorecard of a month or a year and the national distribution read these (a twelfth
    of the rows); a head's part of a month reads the days."""

    facility = models.ForeignKey(Facility, models.CASCADE, related_name="+",
                                 verbose_name=_("unit"))
    month = models.DateField(_("month"))  # its first day
    detentions = models.PositiveIntegerField(_("detentions"), default=0)
    overruns = models.PositiveIntegerField(_("held past the limit"), default=0)
    blind_seconds = models.BigIntegerField(_("blind custody seconds"), default=0)
    allegations = models.PositiveIntegerField(_("allegations"), default=0)
    substantiated = models.PositiveIntegerField(_("substantiated allegations"), default=0)
    cases = models.PositiveIntegerField(_("cases"), default=0)
    convictions = models.PositiveIntegerField(_("cases with a conviction"), default=0)

    class Meta:
        verbose_name = _("unit's figures of a month")
        verbose_name_plural = _("units' figures by month")
        constraints = [models.UniqueConstraint(fields=["facility", "month"],
                                               name="reports_facility_month_unique")]
        indexes = [models.Index(fields=["month", "facility"],
                                name="reports_facmonth_by_month")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.month:%Y-%m}"


class RegionMonth(models.Model):
    region = models.ForeignKey(Region, models.CASCADE, related_name="+",
                               verbose_name=_("region"))
    month = models.DateField(_("month"))  # its first day
    detentions = models.PositiveIntegerField(_("detentions"), default=0)
    overruns = models.PositiveIntegerField(_("held past the limit"), default=0)
    blind_seconds = models.BigIntegerField(_("blind custody seconds"), default=0)
    complaints = models.PositiveIntegerField(_("complaints"), default=0)
    allegations = models.PositiveIntegerField(_("allegations of ill-treatment"), default=0)
    cases = models.PositiveIntegerField(_("cases registered"), default=0)
    convictions = models.PositiveIntegerField(_("convictions"), default=0)

    class Meta:
        ordering = ["month", "region"]
        verbose_name = _("region's figures of a month")
        verbose_name_plural = _("regions' figures by month")
        constraints = [models.UniqueConstraint(fields=["region", "month"],
                                               name="reports_region_month_unique")]
        indexes = [models.Index(fields=["month", "region"], name="reports_region_month_by_month")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m}"


class AggregateRefresh(models.Model):
    """One run of the refresh: from which day it rebuilt, when, and how many rows."""

    since = models.DateField(_("rebuilt from"))
    finished_at = models.DateTimeField(_("finished"))
    seconds = models.FloatField(_("took (seconds)"))
    facility_days = models.PositiveIntegerField(default=0)
    region_months = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"
        verbose_name = _("refresh of the figures")
        verbose_name_plural = _("refreshes of the figures")

    def __str__(self) -> str:
        return f"{self.since} @ {self.finished_at:%Y-%m-%d %H:%M}"
