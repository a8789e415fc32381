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


class CustodyFigures(models.Model):
    """The custody figures of a unit or a region over a day or a month (reports/aggregates.py
    says what each counts)."""

    detentions = models.PositiveIntegerField(_("detentions"), default=0)
    overruns = models.PositiveIntegerField(_("held past the limit"), default=0)
    blind_seconds = models.BigIntegerField(_("blind custody seconds"), default=0)

    class Meta:
        abstract = True


class UnitFigures(CustodyFigures):
    """A unit's figures: custody, then allegations and what became of them."""

    allegations = models.PositiveIntegerField(_("allegations"), default=0)
    substantiated = models.PositiveIntegerField(_("substantiated allegations"), default=0)
    cases = models.PositiveIntegerField(_("cases"), default=0)
    convictions = models.PositiveIntegerField(_("cases with a conviction"), default=0)

    class Meta:
        abstract = True


class FacilityDay(UnitFigures):
    facility = models.ForeignKey(Facility, models.CASCADE, related_name="+",
                                 verbose_name=_("unit"))
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("unit's figures of a day")
        verbose_name_plural = _("units' figures by day")
        constraints = [models.UniqueConstraint(fields=["facility", "day"],
                                               name="reports_facility_day_unique")]
        indexes = [models.Index(fields=["day", "facility"], name="reports_facility_day_by_day")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.day}"


class FacilityMonth(UnitFigures):
    """A unit's figures for one month: the sum of its FacilityDay rows, rebuilt with them.
    The scorecard of a month or a year and the national distribution read these (a twelfth
    of the rows); a head's part of a month reads the days."""

    facility = models.ForeignKey(Facility, models.CASCADE, related_name="+",
                                 verbose_name=_("unit"))
    month = models.DateField(_("month"))  # its first day

    class Meta:
        verbose_name = _("unit's figures of a month")
        verbose_name_plural = _("units' figures by month")
        constraints = [models.UniqueConstraint(fields=["facility", "month"],
                                               name="reports_facility_month_unique")]
        indexes = [models.Index(fields=["month", "facility"],
                                name="reports_facmonth_by_month")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.month:%Y-%m}"


class RegionMonth(CustodyFigures):
    region = models.ForeignKey(Region, models.CASCADE, related_name="+",
                               verbose_name=_("region"))
    month = models.DateField(_("month"))  # its first day
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


class CoverageSnapshot(models.Model):
    """Blind zones and broken cameras of one day, per facility, agency, region and the whole
    country (``key``: ``facility:<id>``, ``agency:<id>``, ``region:<id>`` or ``country``),
    taken by ``custodywatch coverage_snapshot`` (reports/coverage_history.py).

    A ``baseline`` row is the figure the burn-down starts from (the audit's 6,159 rooms
    without video and 937 broken cameras), entered once, never recomputed.
    """

    class Level(models.TextChoices):
        FACILITY = "facility", _("Unit")
        AGENCY = "agency", _("Agency")
        REGION = "region", _("Region")
        COUNTRY = "country", _("Country")

    key = models.CharField(max_length=30)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    facility = models.ForeignKey(Facility, models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("unit"))
    agency = models.ForeignKey("registry.Agency", models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("agency"))
    region = models.ForeignKey(Region, models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("region"))
    day = models.DateField(_("day"))
    baseline = models.BooleanField(_("baseline"), default=False)
    rule = models.CharField(_("coverage rule"), max_length=10, default="declared")
    custody_rooms = models.PositiveIntegerField(_("custody rooms"), default=0)
    rooms_blind = models.PositiveIntegerField(_("rooms blind"), default=0)
    rooms_never_covered = models.PositiveIntegerField(_("rooms never covered"), default=0)
    cameras = models.PositiveIntegerField(_("cameras in service"), default=0)
    cameras_out_of_order = models.PositiveIntegerField(_("cameras out of order"), default=0)
    # Sum over the cameras out of order of the whole days each has been broken, and the most.
    camera_days_broken = models.PositiveIntegerField(_("camera-days broken"), default=0)
    longest_broken_days = models.PositiveIntegerField(_("longest broken (days)"), default=0)
    blind_custody_minutes = models.PositiveIntegerField(_("custody minutes blind"), default=0)

    class Meta:
        ordering = ["key", "day"]
        verbose_name = _("coverage snapshot")
        verbose_name_plural = _("coverage snapshots")
        constraints = [models.UniqueConstraint(fields=["key", "day"],
                                               name="reports_coverage_snapshot_unique")]
        indexes = [models.Index(fields=["level", "day"], name="reports_cov_snap_by_level")]

    def __str__(self) -> str:
        return f"{self.key} {self.day}"


class OpenDataRelease(models.Model):
    """A versioned publication: the open data of one month, or the NPM's annual report. Its
    files never change once published (a correction is a new version), each file's SHA-256
    is in the evidence ledger, so a copy downloaded anywhere can be checked against the
    ledger (docs/reports.md)."""

    class Kind(models.TextChoices):
        UNITS_MONTH = "units_month", _("Units by month")
        NPM_ANNUAL = "npm_annual", _("NPM annual report")

    version = models.PositiveIntegerField(_("version"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.UNITS_MONTH)
    month = models.DateField(_("period"))  # its first day: a month's, or a year's
    published_at = models.DateTimeField(_("published"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("open data release")
        verbose_name_plural = _("open data releases")

    def __str__(self) -> str:
        return f"v{self.version} {self.kind} {self.month:%Y-%m}"


class OpenDataFile(models.Model):
    release = models.ForeignKey(OpenDataRelease, models.PROTECT, related_name="files",
                                verbose_name=_("release"))
    name = models.CharField(_("file name"), max_length=100)
    media_type = models.CharField(_("media type"), max_length=100)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        ordering = ["release", "name"]
        verbose_name = _("open data file")
        verbose_name_plural = _("open data files")
        constraints = [models.UniqueConstraint(fields=["release", "name"],
                                               name="reports_open_data_file_unique")]

    def __str__(self) -> str:
        return f"{self.release} {self.name}"
