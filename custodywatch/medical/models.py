"""Independent medical examinations of people in custody, and the referrals they open.

An :class:`Examination` is made by a doctor or feldsher who is not the facility's staff
(EXAMINE_DETAINEES), at intake, at each transfer and at release: in private, with the
person's consent or refusal recorded, injuries placed on the body map of the forensic
examination (``cases/body.py``), photographs hashed into the ledger, the person's own account
and the doctor's opinion of consistency.

A :class:`Referral` is what an injury, an allegation, a new injury or a death opens by itself,
in the transaction that recorded it (``referrals.py``): an ex officio allegation routed to the
prosecutor, a legal hold on the footage, an ex officio case with its Istanbul Protocol
examination request, and the case's 24 h first-step clock. Nothing here is shown to the staff
of the facility concerned.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodywatch.cases.models import Case, Consistency
from custodywatch.cases.models import Examination as ForensicExamination
from custodywatch.complaints.models import Complaint, LegalHold
from custodywatch.custody.models import CustodyRecord, MedicalCheck
from custodywatch.custody.models import Injury as CheckInjury


class Occasion(models.TextChoices):
    INTAKE = "intake", _("At arrival")
    TRANSFER = "transfer", _("At transfer")
    RELEASE = "release", _("At release")
    OTHER = "other", _("Other")


class Consent(models.TextChoices):
    GIVEN = "given", _("Consented to the examination")
    REFUSED = "refused", _("Refused the examination")


class View(models.TextChoices):
    FRONT = "front", _("Front")
    BACK = "back", _("Back")


class Examination(models.Model):
    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE,
                                       related_name="medical_examinations",
                                       verbose_name=_("custody record"))
    occasion = models.CharField(_("occasion"), max_length=10, choices=Occasion.choices)
    examined_at = models.DateTimeField(_("examined at"), db_index=True)
    examiner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                 verbose_name=_("examiner"))
    examiner_name = models.CharField(_("examiner (as recorded)"), max_length=200)
    # The doctor attests that no member of the facility's staff could hear the examination
    # (CPT standard: out of hearing and, unless the doctor asks otherwise, out of sight).
    in_private = models.BooleanField(_("examined in private"))
    consent = models.CharField(_("consent"), max_length=10, choices=Consent.choices)
    no_injuries = models.BooleanField(_("no injuries found"), default=False)
    declared_ill_treatment = models.BooleanField(_("ill-treatment declared by the person"),
                                                 default=False)
    person_account = models.TextField(_("the person's own account"), blank=True)
    doctor_allegation = models.BooleanField(
        _("the doctor records an allegation of ill-treatment"), default=False)
    consistency = models.CharField(_("consistency of the injuries with the account"),
                                   max_length=20, choices=Consistency.choices, blank=True)
    opinion = models.TextField(_("the doctor's opinion"), blank=True)
    # The sending system's identifier (batch API): a retried item changes nothing.
    external_ref = models.CharField(_("external reference"), max_length=60, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["custody_record", "examined_at", "id"]
        verbose_name = _("independent medical examination")
        verbose_name_plural = _("independent medical examinations")
        constraints = [
            models.UniqueConstraint(fields=["custody_record", "external_ref"],
                                    condition=~Q(external_ref=""),
                                    name="medical_examination_external_ref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} {self.examined_at:%Y-%m-%d %H:%M}"

    @property
    def refused(self) -> bool:
        return self.consent == Consent.REFUSED


class Injury(models.Model):
    """One injury placed on the body map (front or back, x/y as fractions of the view)."""

    examination = models.ForeignKey(Examination, models.CASCADE, related_name="injuries")
    view = models.CharField(_("view"), max_length=5, choices=View.choices)
    body_region = models.CharField(_("body region"), max_length=40)
    x = models.FloatField(_("x on the diagram"))
    y = models.FloatField(_("y on the diagram"))
    kind = models.CharField(_("type"), max_length=20, choices=CheckInjury.Kind.choices)
    description = models.TextField(_("description"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("injury")
        verbose_name_plural = _("injuries")
        constraints = [
            models.CheckConstraint(name="medical_injury_on_diagram",
                                   condition=Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.view} {self.body_region}: {self.kind}"


def photo_path(instance: Photo, filename: str) -> str:
    return f"medical/photos/{instance.sha256[:2]}/{instance.sha256}"


class Photo(models.Model):
    examination = models.ForeignKey(Examination, models.CASCADE, related_name="photos")
    injury = models.ForeignKey(Injury, models.SET_NULL, null=True, blank=True,
                               related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=200)
    media_type = models.CharField(max_length=60)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    ledger_pending_id = models.BigIntegerField(null=True, blank=True, editable=False)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.examination_id}/{self.sha256[:12]}"


class Trigger(models.TextChoices):
    INJURY_FOUND = "injury_found", _("Injury found by the doctor")
    DECLARED = "declared", _("Ill-treatment declared by the person")
    DOCTOR_ALLEGATION = "doctor_allegation", _("Allegation recorded by the doctor")
    NEW_INJURY = "new_injury", _("New injury during custody")
    DEATH = "death", _("Death in custody")


class Referral(models.Model):
    """What opened by itself: allegation, hold, case with its examination request, clock."""

    custody_record = models.ForeignKey(CustodyRecord, models.PROTECT, related_name="referrals",
                                       verbose_name=_("custody record"))
    examination = models.OneToOneField(Examination, models.PROTECT, null=True, blank=True,
                                       related_name="referral",
                                       verbose_name=_("medical examination"))
    # The facility's own intake check (custody.MedicalCheck) when it, not an independent
    # examination, found or heard of the injury: its finding is referred all the same.
    medical_check = models.OneToOneField(MedicalCheck, models.PROTECT, null=True, blank=True,
                                         related_name="referral",
                                         verbose_name=_("facility's medical check"))
    triggers = models.JSONField(_("triggers"), default=list)
    complaint = models.OneToOneField(Complaint, models.PROTECT, related_name="referral",
                                     verbose_name=_("ex officio allegation"))
    hold = models.ForeignKey(LegalHold, models.PROTECT, related_name="+",
                             verbose_name=_("legal hold"))
    case = models.OneToOneField(Case, models.PROTECT, related_name="referral",
                                verbose_name=_("case"))
    forensic_examination = models.ForeignKey(ForensicExamination, models.PROTECT,
                                             related_name="+",
                                             verbose_name=_("Istanbul Protocol examination"))
    opened_at = models.DateTimeField(_("opened"))
    first_step_due_at = models.DateTimeField(_("first investigative step due"))
    # New injuries: what appeared since the previous examination, with where the person
    # was, who interrogated them and the blind minutes in between (timeline comparison).
    comparison = models.JSONField(_("comparison with earlier examinations"), default=dict,
                                  blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("automatic referral")
        verbose_name_plural = _("automatic referrals")
        constraints = [
            # A death opens one referral; an examination at most one.
            models.UniqueConstraint(fields=["custody_record"],
                                    condition=Q(examination__isnull=True,
                                                medical_check__isnull=True),
                                    name="medical_referral_one_death_per_record"),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({', '.join(self.triggers)})"

    @property
    def trigger_labels(self) -> list:
        return [Trigger(t).label for t in self.triggers if t in Trigger.values]


class Death(models.Model):
    """A death in custody: autopsy, cause and manner, relatives informed (all recorded)."""

    class Manner(models.TextChoices):
        PENDING = "pending", _("Pending investigation")
        NATURAL = "natural", _("Natural")
        ACCIDENT = "accident", _("Accident")
        SUICIDE = "suicide", _("Suicide")
        HOMICIDE = "homicide", _("Homicide")
        UNDETERMINED = "undetermined", _("Undetermined")

    custody_record = models.OneToOneField(CustodyRecord, models.PROTECT, related_name="death",
                                          verbose_name=_("custody record"))
    died_at = models.DateTimeField(_("died at"))
    place = models.CharField(_("place of death"), max_length=300, blank=True)
    autopsy_at = models.DateTimeField(_("autopsy"), null=True, blank=True)
    autopsy_by = models.CharField(_("autopsy by"), max_length=200, blank=True)
    cause = models.CharField(_("cause of death"), max_length=300, blank=True)
    manner = models.CharField(_("manner of death"), max_length=15, choices=Manner.choices,
                              default=Manner.PENDING)
    relatives_informed_at = models.DateTimeField(_("relatives informed"), null=True,
                                                 blank=True)
    relatives_informed = models.CharField(_("who was informed"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("death in custody")
        verbose_name_plural = _("deaths in custody")

    def __str__(self) -> str:
        return f"death {self.custody_record_id}"


class RiskAlert(models.Model):
    """A risk moment: a rule of kernels/risk_rules.py fired on a person's custody timeline.

    Read by prosecutors, the NPM and the Ombudsperson in their scope; never by the facility.
    """

    rule = models.CharField(_("rule"), max_length=40, db_index=True)
    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE, related_name="risk_alerts",
                                       verbose_name=_("custody record"))
    at = models.DateTimeField(_("moment"))
    evidence = models.JSONField(_("evidence"), default=list)
    why = models.CharField(_("why"), max_length=300)
    facts = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("risk moment")
        verbose_name_plural = _("risk moments")
        constraints = [
            models.UniqueConstraint(fields=["rule", "custody_record", "at"],
                                    name="medical_risk_alert_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.custody_record_id} {self.at:%Y-%m-%d %H:%M}"
