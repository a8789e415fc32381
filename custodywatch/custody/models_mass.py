"""Issue 22, items 7 and 8: mass detention and "where is he held?".

Mass detention (custody/mass.py): a prosecutor declares it for a region (or the country);
temporary places are registered under it; every person held in its area since it began gets
an individual review of the measure, by a prosecutor, in a queue.

Whereabouts (custody/whereabouts.py): a licensed lawyer, or a hotline operator for a relative
whose identity the operator checked, asks where a person is held now (the Convention on
Enforced Disappearance, art. 18); every question is kept here, audited and in the ledger. A
court's incommunicado order is recorded on the custody record by a prosecutor.

Imported at the end of custody/models.py so that Django registers the models with the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from custodywatch.registry.models import Facility, Region


class MassDetention(models.Model):
    """Mass detention mode, on from ``started_at`` until ``ended_at``, in a region (none: the
    country)."""

    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("region"))
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField(_("people detained since"))
    declared_at = models.DateTimeField(_("declared"))
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("declared by"))
    ended_at = models.DateTimeField(_("switched off"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("switched off by"))

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("mass detention")
        verbose_name_plural = _("mass detentions")
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gt=F("started_at")),
                                   name="mass_detention_ends_after_start"),
            # One mode on a region at a time (two declaring at once: one wins).
            models.UniqueConstraint(fields=["region"], condition=Q(ended_at__isnull=True),
                                    name="mass_detention_one_on_per_region"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_on(self) -> bool:
        return self.ended_at is None


class TemporaryPlace(models.Model):
    """A facility registered in a hurry for a mass detention (Facility.Kind.TEMPORARY_PLACE)."""

    mass_detention = models.ForeignKey(MassDetention, models.PROTECT, related_name="places",
                                       verbose_name=_("mass detention"))
    facility = models.OneToOneField(Facility, models.PROTECT, related_name="temporary_place",
                                    verbose_name=_("facility"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                      related_name="+", verbose_name=_("registered by"))
    registered_at = models.DateTimeField(_("registered"))

    class Meta:
        ordering = ["registered_at", "id"]
        verbose_name = _("temporary place")
        verbose_name_plural = _("temporary places")

    def __str__(self) -> str:
        return str(self.facility)


class MeasureReview(models.Model):
    """One detainee's measure reviewed individually by a prosecutor (the January 2022 review,
    done in the system instead of by hand)."""

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Custody upheld")
        CHANGED = "changed", _("Measure changed to one without custody: release")
        RELEASE = "release", _("No grounds to hold: release")

    mass_detention = models.ForeignKey(MassDetention, models.CASCADE, related_name="reviews",
                                       verbose_name=_("mass detention"))
    custody_record = models.ForeignKey("custody.CustodyRecord", models.CASCADE,
                                       related_name="measure_reviews",
                                       verbose_name=_("custody record"))
    queued_at = models.DateTimeField(_("queued"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices,
                                blank=True)
    decided_on = models.DateField(_("date of the decision"), null=True, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("reviewed by"))
    decided_at = models.DateTimeField(_("recorded"), null=True, blank=True)

    class Meta:
        ordering = ["queued_at", "id"]
        verbose_name = _("measure review")
        verbose_name_plural = _("measure reviews")
        constraints = [
            models.UniqueConstraint(fields=["mass_detention", "custody_record"],
                                    name="measure_review_once"),
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True, decided_on__isnull=True)
                | ~Q(decision="") & Q(decided_at__isnull=False, decided_on__isnull=False),
                name="measure_review_decided_whole"),
        ]
        indexes = [models.Index(fields=["mass_detention", "queued_at"],
                                name="measure_review_pending",
                                condition=Q(decision=""))]

    def __str__(self) -> str:
        return f"{self.custody_record_id}: {self.decision or 'pending'}"


class BulkIntake(models.Model):
    """One list of detainees uploaded for a facility: all rows or none; the same file again
    is recognised by its hash and changes nothing."""

    facility = models.ForeignKey(Facility, models.PROTECT, related_name="bulk_intakes",
                                 verbose_name=_("facility"))
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("lines"))
    registered = models.PositiveIntegerField(_("registered"))
    already_registered = models.PositiveIntegerField(_("already registered"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("bulk intake")
        verbose_name_plural = _("bulk intakes")
        constraints = [models.UniqueConstraint(fields=["facility", "sha256"],
                                               name="bulk_intake_file_once")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.file_name}"


class IncommunicadoOrder(models.Model):
    """A court's order that the person's whereabouts are not disclosed until ``ends_at``."""

    custody_record = models.ForeignKey("custody.CustodyRecord", models.CASCADE,
                                       related_name="incommunicado_orders",
                                       verbose_name=_("custody record"))
    authority = models.CharField(_("ordering authority (court)"), max_length=200)
    order_ref = models.CharField(_("order number"), max_length=120)
    ordered_at = models.DateTimeField(_("order date"))
    ends_at = models.DateTimeField(_("restriction ends"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["-ends_at", "-id"]
        verbose_name = _("incommunicado order")
        verbose_name_plural = _("incommunicado orders")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("ordered_at")),
                                   name="incommunicado_ends_after_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order_ref} ({self.authority})"


class LawyerLicence(models.Model):
    """The licence of a lawyer's account, recorded by a system administrator from the Bar's
    register; a lookup needs one in force."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE,
                                related_name="lawyer_licence", verbose_name=_("lawyer"))
    number = models.CharField(_("licence number"), max_length=40, unique=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("lawyer's licence")
        verbose_name_plural = _("lawyers' licences")

    def __str__(self) -> str:
        return self.number


class IdentityCheck(models.Model):
    """A hotline operator's check of a relative's identity, naming the person sought."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("Identity document seen in person")
        DIGITAL_SIGNATURE = "digital_signature", _("Digital signature (EDS)")
        VIDEO_CALL = "video_call", _("Video call with the identity document")

    asker_name = models.CharField(_("relative's full name"), max_length=200)
    asker_document = models.CharField(_("relative's identity document"), max_length=120)
    relationship = models.CharField(_("relationship to the person sought"), max_length=80)
    method = models.CharField(_("how the identity was checked"), max_length=20,
                              choices=Method.choices)
    sought_iin = models.CharField(_("IIN of the person sought"), max_length=12)
    sought_name = models.CharField(_("full name of the person sought"), max_length=200)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("checked by"))
    checked_at = models.DateTimeField(_("checked"))

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")

    def __str__(self) -> str:
        return f"{self.asker_name} → {self.sought_name}"


class WhereaboutsQuery(models.Model):
    """One question "where is he held?" and the kind of answer given."""

    class Channel(models.TextChoices):
        LAWYER = "lawyer", _("Lawyer")
        RELATIVE = "relative", _("Relative, through the operator")

    class Answer(models.TextChoices):
        HELD = "held", _("Held: facility and since when given")
        IN_TRANSIT = "in_transit", _("In transit between facilities")
        INCOMMUNICADO = "incommunicado", _("Held incommunicado by court order: place withheld")
        ENDED = "ended", _("Not held now: last custody's end given")
        NOT_FOUND = "not_found", _("No custody record found")

    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                 verbose_name=_("asked by"))
    asked_at = models.DateTimeField(_("asked"), db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    iin = models.CharField(_("IIN"), max_length=12)
    full_name = models.CharField(_("full name"), max_length=200)
    reason = models.TextField(_("reason"))
    identity_check = models.ForeignKey(IdentityCheck, models.PROTECT, null=True, blank=True,
                                       related_name="queries", verbose_name=_("identity check"))
    answer = models.CharField(_("answer"), max_length=15, choices=Answer.choices)
    custody_record = models.ForeignKey("custody.CustodyRecord", models.SET_NULL, null=True,
                                       blank=True, related_name="+",
                                       verbose_name=_("custody record"))

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("whereabouts question")
        verbose_name_plural = _("whereabouts questions")
        indexes = [models.Index(fields=["asked_by", "asked_at"], name="whereabouts_by_asker")]

    def __str__(self) -> str:
        return f"{self.channel} {self.asked_at:%Y-%m-%d %H:%M}"
