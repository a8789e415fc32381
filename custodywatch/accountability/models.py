"""Heads and officers held to account; victims paid by the Victim Compensation Fund (issue 24).

A :class:`Proceeding` is a disciplinary proceeding against an officer (a head of a unit for
what fell in his tenure, or an officer himself): *proposed* by the system when a conviction,
a substantiated complaint or a risk-moment pattern falls in a head's tenure
(kernels/accountability.py), opened or declined by a prosecutor, decided and sanctioned.
The facility (its head and staff, its agent) never reads a proceeding (see selectors).

The Fund: :class:`MciRate` (the monthly calculation index by year), :class:`FundTariff`
(amounts per category in MCI units), a :class:`FundReview` of a claim
(cases.CompensationClaim) by the prosecution (eligibility from the charges, the amount from
the tables), the Treasury's :class:`TreasuryRegister` of recipients, and a
:class:`RecourseClaim` against the convicted officer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodywatch.cases.models import Case, CompensationClaim, Officer
from custodywatch.complaints.models import Complaint
from custodywatch.registry.models import Facility, HeadAppointment, Region


class Ground(models.TextChoices):
    CONVICTION = "conviction", _("Conviction of a subordinate")
    SUBSTANTIATED = "substantiated_complaint", _("Substantiated complaint")
    RISK_PATTERN = "risk_pattern", _("Pattern of risk moments")
    OTHER = "other", _("Other ground")


class ProceedingStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    OPENED = "opened", _("Opened")
    DECLINED = "declined", _("Not opened")
    DECIDED = "decided", _("Decided")


class Sanction(models.TextChoices):
    NONE = "none", _("No sanction")
    REPRIMAND = "reprimand", _("Reprimand")
    SEVERE_REPRIMAND = "severe_reprimand", _("Severe reprimand")
    DEMOTION = "demotion", _("Demotion")
    DISMISSAL = "dismissal", _("Dismissal")


class Proceeding(models.Model):
    officer = models.ForeignKey(Officer, models.PROTECT, related_name="proceedings",
                                verbose_name=_("officer"))
    # Set when the proceeding is against a head for what fell in this tenure.
    appointment = models.ForeignKey(HeadAppointment, models.PROTECT, null=True, blank=True,
                                    related_name="proceedings", verbose_name=_("appointment"))
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="proceedings",
                                 verbose_name=_("unit"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", editable=False)
    ground = models.CharField(_("ground"), max_length=30, choices=Ground.choices)
    # What it rests on, unique per officer: "charge:12", "complaint:7", "risk:<unit>:<month>".
    source = models.CharField(_("source"), max_length=60)
    case = models.ForeignKey(Case, models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    complaint = models.ForeignKey(Complaint, models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("complaint"))
    events_on = models.DateField(_("events on"))
    status = models.CharField(_("status"), max_length=10, choices=ProceedingStatus.choices,
                              default=ProceedingStatus.PROPOSED, db_index=True)
    proposed_at = models.DateTimeField(_("proposed"))
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    sanction = models.CharField(_("sanction"), max_length=20, choices=Sanction.choices,
                                blank=True)
    sanction_effective_on = models.DateField(_("sanction effective on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("disciplinary proceeding")
        verbose_name_plural = _("disciplinary proceedings")
        constraints = [
            models.UniqueConstraint(fields=["officer", "source"],
                                    name="proceeding_once_per_officer_source"),
            models.CheckConstraint(
                name="proceeding_decided_has_sanction",
                condition=~Q(status="decided") | (Q(decided_on__isnull=False) & ~Q(sanction=""))),
        ]

    def __str__(self) -> str:
        return f"{self.officer} ({self.get_ground_display()}, {self.get_status_display()})"


class FundCategory(models.TextChoices):
    TORTURE = "torture", _("Victim of torture (art. 146 parts 1-2)")
    TORTURE_GRAVE = "torture_grave", _("Victim of torture causing death or grave harm "
                                       "(art. 146 part 3)")


class MciRate(models.Model):
    """The monthly calculation index of a year, set by the republican budget law."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    amount = models.DecimalField(_("MCI (KZT)"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("monthly calculation index")
        verbose_name_plural = _("monthly calculation indices")

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"


class FundTariff(models.Model):
    """What the Fund pays per category, in MCI units."""

    category = models.CharField(_("category"), max_length=20, choices=FundCategory.choices,
                                unique=True)
    units = models.DecimalField(_("amount (MCI units)"), max_digits=8, decimal_places=2)
    basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        ordering = ["category"]
        verbose_name = _("Fund tariff")
        verbose_name_plural = _("Fund tariffs")

    def __str__(self) -> str:
        return f"{self.category}: {self.units} MCI"


class FundReview(models.Model):
    """The prosecution's review of a claim: eligibility from the charges, category, amount."""

    claim = models.OneToOneField(CompensationClaim, models.CASCADE, related_name="fund_review",
                                 verbose_name=_("compensation claim"))
    eligible = models.BooleanField(_("eligible"))
    category = models.CharField(_("category"), max_length=20, choices=FundCategory.choices,
                                blank=True)
    reasons = models.JSONField(_("charges considered"), default=list)
    mci_year = models.PositiveSmallIntegerField(_("MCI year"), null=True, blank=True)
    mci_amount = models.DecimalField(_("MCI (KZT)"), max_digits=10, decimal_places=2,
                                     null=True, blank=True)
    units = models.DecimalField(_("amount (MCI units)"), max_digits=8, decimal_places=2,
                                null=True, blank=True)
    amount = models.DecimalField(_("amount (KZT)"), max_digits=14, decimal_places=2, null=True,
                                 blank=True)
    reviewed_on = models.DateField(_("reviewed on"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("reviewed by"))

    class Meta:
        verbose_name = _("Fund review")
        verbose_name_plural = _("Fund reviews")

    def __str__(self) -> str:
        return f"review of claim {self.claim_id}"


class TreasuryRegister(models.Model):
    """A register of recipients sent to the Treasury; its CSV's SHA-256 is kept."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    csv_sha256 = models.CharField(_("SHA-256 of the CSV"), max_length=64)
    total = models.DecimalField(_("total (KZT)"), max_digits=16, decimal_places=2)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Treasury register")
        verbose_name_plural = _("Treasury registers")

    def __str__(self) -> str:
        return self.number


class TreasuryEntry(models.Model):
    register = models.ForeignKey(TreasuryRegister, models.PROTECT, related_name="entries")
    claim = models.OneToOneField(CompensationClaim, models.PROTECT, related_name="treasury_entry")
    recipient = models.CharField(_("recipient"), max_length=200)
    iin = models.CharField(_("IIN"), max_length=12, blank=True)
    amount = models.DecimalField(_("amount (KZT)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("Treasury register entry")
        verbose_name_plural = _("Treasury register entries")

    def __str__(self) -> str:
        return f"{self.register_id}: {self.claim_id}"


class RecourseStatus(models.TextChoices):
    FILED = "filed", _("Filed")
    PARTLY = "partly", _("Partly recovered")
    RECOVERED = "recovered", _("Recovered")
    WRITTEN_OFF = "written_off", _("Written off")


class RecourseClaim(models.Model):
    """The Fund's recovery of what it paid from the officer convicted of the torture."""

    claim = models.ForeignKey(CompensationClaim, models.PROTECT, related_name="recourse_claims",
                              verbose_name=_("compensation claim"))
    officer = models.ForeignKey(Officer, models.PROTECT, related_name="recourse_claims",
                                verbose_name=_("convicted officer"))
    amount = models.DecimalField(_("amount (KZT)"), max_digits=14, decimal_places=2)
    filed_on = models.DateField(_("filed on"))
    status = models.CharField(_("status"), max_length=12, choices=RecourseStatus.choices,
                              default=RecourseStatus.FILED)
    recovered = models.DecimalField(_("recovered (KZT)"), max_digits=14, decimal_places=2,
                                    default=0)
    status_on = models.DateField(_("status since"))

    class Meta:
        ordering = ["-filed_on", "-id"]
        verbose_name = _("recourse claim")
        verbose_name_plural = _("recourse claims")
        constraints = [
            models.UniqueConstraint(fields=["claim", "officer"],
                                    name="recourse_once_per_claim_officer"),
        ]

    def __str__(self) -> str:
        return f"recourse {self.claim_id} / {self.officer_id}"
