"""Torture cases from allegation to verdict.

A :class:`Case` is a pre-trial investigation (opened from complaints or ex officio). Its people
are :class:`CaseParty` rows: victims and witnesses point at a :class:`Person`, suspects and
accused at an :class:`Officer`. A :class:`Charge` is one accused x one victim x one article of
the Criminal Code, with its verdict and sentence. Istanbul Protocol :class:`Examination` rows
carry per-body-region :class:`Finding` rows. :class:`EvidenceItem` and its
:class:`EvidenceTransfer` rows are the chain of custody. Victims' support is
:class:`SupportReferral` and :class:`CompensationClaim`.

Scope: a case belongs to the region of the facility it concerns (``region`` is kept on the row
so that region-scoped reads need no join).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodywatch.complaints.models import Complaint, LegalHold
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Facility, HeadAppointment, Region


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    INVESTIGATION = "investigation", _("Under investigation")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    SENT_TO_COURT = "sent_to_court", _("Sent to court")
    VERDICT = "verdict", _("Verdict")
    APPEAL = "appeal", _("Appeal")
    FINAL = "final", _("Final")


OPEN_CASE_STATUSES = (
    CaseStatus.REGISTERED, CaseStatus.INVESTIGATION, CaseStatus.SUSPENDED,
    CaseStatus.SENT_TO_COURT, CaseStatus.VERDICT, CaseStatus.APPEAL,
)


class ClosureGround(models.TextChoices):
    """Grounds to close a pre-trial investigation (Criminal Procedure Code art. 35)."""

    NO_EVENT = "no_event", _("No event of a crime")
    NO_CORPUS_DELICTI = "no_corpus_delicti", _("No elements of a crime")
    NOT_INVOLVED = "not_involved", _("Suspect's non-involvement")
    DEATH = "death", _("Death of the suspect")
    INSUFFICIENT_EVIDENCE = "insufficient_evidence", _("Insufficient evidence")
    OTHER = "other", _("Other ground")


class Case(models.Model):
    register_number = models.CharField(
        _("pre-trial register (ERDR) number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary of the allegation"), blank=True)
    ex_officio = models.BooleanField(_("opened ex officio"), default=False)
    complaints = models.ManyToManyField(
        Complaint, blank=True, related_name="cases", verbose_name=_("complaints"))
    facility = models.ForeignKey(
        Facility, models.PROTECT, related_name="cases", verbose_name=_("facility concerned"))
    region = models.ForeignKey(
        Region, models.PROTECT, related_name="cases", verbose_name=_("region"), editable=False)
    unit = models.CharField(_("unit concerned"), max_length=200, blank=True)
    supervising_prosecutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("supervising prosecutor"))
    investigating_prosecutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("investigating prosecutor"))
    events_from = models.DateTimeField(_("events from"), null=True, blank=True)
    events_until = models.DateTimeField(_("events until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REGISTERED,
        db_index=True)
    closure_ground = models.CharField(
        _("ground for closing"), max_length=30, choices=ClosureGround.choices, blank=True)
    registered_at = models.DateTimeField(_("registered"), db_index=True)
    # The clocks of a prompt and impartial investigation (UN CAT art. 12) stop at these moments.
    first_step_at = models.DateTimeField(_("first investigative step"), null=True, blank=True)
    examination_at = models.DateTimeField(_("first forensic examination"), null=True, blank=True)
    decision_at = models.DateTimeField(_("decision on the case"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"))
    # Rule checks failed by imported data (code -> rule text); shown in reports, never hidden.
    rule_flags = models.JSONField(_("legal-rule flags"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["facility", "registered_at"]),
        ]

    def __str__(self) -> str:
        return self.register_number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES


class CaseTransition(models.Model):
    """One change of a case's status: the lifecycle, in order, never edited."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from"), max_length=20, choices=CaseStatus.choices,
                                   blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=CaseStatus.choices)
    ground = models.CharField(_("ground"), max_length=30, choices=ClosureGround.choices,
                              blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case transition")
        verbose_name_plural = _("case transitions")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} -> {self.to_status}"


class CaseStep(models.Model):
    """An investigative step (interview, scene inspection, order of examination, seizure...)."""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("Interview")
        SCENE = "scene", _("Scene inspection")
        SEIZURE = "seizure", _("Seizure of evidence")
        EXAMINATION_ORDERED = "examination_ordered", _("Forensic examination ordered")
        CONFRONTATION = "confrontation", _("Confrontation")
        SUSPECT_NOTIFIED = "suspect_notified", _("Suspect notified")
        REMOVAL = "removal", _("Suspect removed from duty")
        OTHER = "other", _("Other step")

    case = models.ForeignKey(Case, models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=30, choices=Kind.choices)
    taken_at = models.DateTimeField(_("taken at"))
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_at", "id"]
        verbose_name = _("investigative step")
        verbose_name_plural = _("investigative steps")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind} {self.taken_at:%Y-%m-%d}"


class Person(models.Model):
    """A victim, witness or lawyer; one person can appear in several cases."""

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        UNKNOWN = "unknown", _("Not stated")

    full_name = models.CharField(_("full name"), max_length=200)
    iin = models.CharField(_("IIN"), max_length=12, blank=True, db_index=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    custody_records = models.ManyToManyField(
        CustodyRecord, blank=True, related_name="case_persons",
        verbose_name=_("custody records"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.full_name


class DutyStatus(models.TextChoices):
    ON_DUTY = "on_duty", _("On duty")
    SUSPENDED = "suspended", _("Suspended from duty")
    DISMISSED = "dismissed", _("Dismissed")


class Officer(models.Model):
    """A law-enforcement officer named as suspect or accused, or a head of a unit
    (registry.HeadAppointment.officer); may hold a user account, which is how the product keeps
    him away from his own case."""

    full_name = models.CharField(_("full name"), max_length=200)
    personnel_number = models.CharField(_("personnel number"), max_length=40, blank=True,
                                        db_index=True)
    rank = models.CharField(_("rank"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    facility = models.ForeignKey(Facility, models.PROTECT, null=True, blank=True,
                                 related_name="officers", verbose_name=_("unit"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="officer_profiles", verbose_name=_("user account"))
    # Suspension from duty is a status, set and lifted by accountability.services only.
    duty_status = models.CharField(_("duty status"), max_length=10, choices=DutyStatus.choices,
                                   default=DutyStatus.ON_DUTY)
    duty_status_since = models.DateField(_("duty status since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("officer")
        verbose_name_plural = _("officers")

    def __str__(self) -> str:
        return self.full_name


class Accusation(models.Model):
    """An officer a complaint accuses, linked by its handler to an :class:`Officer` record.

    Owned by the cases app (which already depends on complaints): the complaints app reads
    it through the reverse name ``Complaint.accusations``. Its officer's user account never
    sees the complaint, is never given it, and never sees a case opened from it.
    """

    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="accusations",
                                  verbose_name=_("complaint"))
    officer = models.ForeignKey(Officer, models.PROTECT, related_name="accusations",
                                verbose_name=_("officer"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    added_at = models.DateTimeField(_("linked"), auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("accused officer of a complaint")
        verbose_name_plural = _("accused officers of complaints")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "officer"],
                                    name="accusation_unique_complaint_officer"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: officer {self.officer_id}"


class CaseParty(models.Model):
    class Role(models.TextChoices):
        VICTIM = "victim", _("Victim")
        SUSPECT = "suspect", _("Suspect")
        ACCUSED = "accused", _("Accused")
        WITNESS = "witness", _("Witness")
        LAWYER = "lawyer", _("Lawyer")

    OFFICER_ROLES = (Role.SUSPECT, Role.ACCUSED)

    case = models.ForeignKey(Case, models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True,
                               related_name="parties", verbose_name=_("person"))
    officer = models.ForeignKey(Officer, models.PROTECT, null=True, blank=True,
                                related_name="parties", verbose_name=_("officer"))
    custody_record = models.ForeignKey(CustodyRecord, models.SET_NULL, null=True, blank=True,
                                       related_name="case_parties",
                                       verbose_name=_("custody record"))
    # For an officer: his unit's head at the time of the events (personal responsibility).
    unit_head = models.ForeignKey(HeadAppointment, models.SET_NULL, null=True, blank=True,
                                  related_name="case_parties",
                                  verbose_name=_("head of the unit at the time"))
    represents = models.ForeignKey("self", models.SET_NULL, null=True, blank=True,
                                   related_name="lawyers", verbose_name=_("represents"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.CheckConstraint(
                name="case_party_officer_or_person",
                condition=(
                    Q(role__in=["suspect", "accused"], officer__isnull=False, person__isnull=True)
                    | (~Q(role__in=["suspect", "accused"])
                       & Q(officer__isnull=True, person__isnull=False))
                ),
            ),
        ]

    def __str__(self) -> str:
        who = self.officer if self.officer_id else self.person
        return f"{self.get_role_display()}: {who}"


class Article(models.TextChoices):
    """Criminal Code articles a case charges; 146 is torture."""

    TORTURE = "146", _("Art. 146 Torture")
    ABUSE_OF_POWER = "361", _("Art. 361 Abuse of official powers")
    EXCESS_OF_POWER = "362", _("Art. 362 Excess of power or official authority")
    NEGLIGENCE = "371", _("Art. 371 Negligence")
    FORGERY = "369", _("Art. 369 Official forgery")
    OTHER = "other", _("Other article")


class Verdict(models.TextChoices):
    PENDING = "pending", _("No verdict yet")
    CONVICTED = "convicted", _("Convicted")
    ACQUITTED = "acquitted", _("Acquitted")
    DISMISSED = "dismissed", _("Charge dropped")


class Charge(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="charges")
    accused = models.ForeignKey(CaseParty, models.PROTECT, related_name="charges_as_accused",
                                verbose_name=_("accused"))
    victim = models.ForeignKey(CaseParty, models.PROTECT, related_name="charges_as_victim",
                               verbose_name=_("victim"))
    article = models.CharField(_("article"), max_length=10, choices=Article.choices)
    article_part = models.CharField(_("part"), max_length=10, blank=True)
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices,
                               default=Verdict.PENDING)
    verdict_on = models.DateField(_("verdict date"), null=True, blank=True)
    # Sentence.
    imprisonment_months = models.PositiveIntegerField(_("imprisonment (months)"), null=True,
                                                      blank=True)
    fine_amount = models.DecimalField(_("fine (KZT)"), max_digits=14, decimal_places=2,
                                      null=True, blank=True)
    ban_on_positions_years = models.PositiveSmallIntegerField(
        _("ban on holding positions (years)"), null=True, blank=True)
    # What art. 146 forbids after a conviction; refused at entry, flagged when imported.
    probation = models.BooleanField(_("probation (conditional sentence)"), default=False)
    amnesty = models.BooleanField(_("released by amnesty"), default=False)
    limitation = models.BooleanField(_("released by the statute of limitations"), default=False)
    reconciliation = models.BooleanField(_("released by reconciliation with the victim"),
                                         default=False)
    active_repentance = models.BooleanField(_("released for active repentance"), default=False)
    rule_flags = models.JSONField(_("legal-rule flags"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        constraints = [
            models.UniqueConstraint(fields=["accused", "victim", "article"],
                                    name="charge_unique_accused_victim_article"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: art. {self.article} ({self.accused_id} x {self.victim_id})"


class Consistency(models.TextChoices):
    """The Istanbul Protocol's degrees of consistency of a finding with the history given."""

    NOT_CONSISTENT = "not_consistent", _("Not consistent")
    CONSISTENT = "consistent", _("Consistent with")
    HIGHLY_CONSISTENT = "highly_consistent", _("Highly consistent")
    TYPICAL = "typical", _("Typical of")
    DIAGNOSTIC = "diagnostic", _("Diagnostic of")


class Examination(models.Model):
    """A forensic examination in Istanbul Protocol form."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        DONE = "done", _("Completed")

    case = models.ForeignKey(Case, models.CASCADE, related_name="examinations")
    subject = models.ForeignKey(CaseParty, models.PROTECT, related_name="examinations",
                                verbose_name=_("person examined"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.REQUESTED)
    requested_at = models.DateTimeField(_("requested"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    examiner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                 related_name="examinations", verbose_name=_("examiner"))
    examined_at = models.DateTimeField(_("examined"), null=True, blank=True)
    place = models.CharField(_("place of examination"), max_length=300, blank=True)
    history = models.TextField(_("history given by the person"), blank=True)
    psychological_findings = models.TextField(_("psychological findings"), blank=True)
    psychological_consistency = models.CharField(
        _("consistency of the psychological findings"), max_length=20,
        choices=Consistency.choices, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("forensic examination")
        verbose_name_plural = _("forensic examinations")

    def __str__(self) -> str:
        return f"{self.case_id}: examination {self.pk}"


class Finding(models.Model):
    """A physical finding placed on the body diagram (front or back, x/y in 0..1)."""

    class View(models.TextChoices):
        FRONT = "front", _("Front")
        BACK = "back", _("Back")

    examination = models.ForeignKey(Examination, models.CASCADE, related_name="findings")
    view = models.CharField(_("view"), max_length=5, choices=View.choices)
    body_region = models.CharField(_("body region"), max_length=40)
    x = models.FloatField(_("x on the diagram"))
    y = models.FloatField(_("y on the diagram"))
    description = models.TextField(_("description"))
    consistency = models.CharField(_("consistency"), max_length=20, choices=Consistency.choices)

    class Meta:
        ordering = ["id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(name="finding_on_diagram",
                                   condition=Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.view} {self.body_region}: {self.get_consistency_display()}"


def examination_photo_path(instance: ExaminationPhoto, filename: str) -> str:
    return f"cases/photos/{instance.sha256[:2]}/{instance.sha256}"


class ExaminationPhoto(models.Model):
    examination = models.ForeignKey(Examination, models.CASCADE, related_name="photos")
    finding = models.ForeignKey(Finding, models.SET_NULL, null=True, blank=True,
                                related_name="photos")
    file = models.FileField(upload_to=examination_photo_path, max_length=200)
    media_type = models.CharField(max_length=60)
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.examination_id}/{self.sha256[:12]}"


def evidence_file_path(instance: EvidenceItem, filename: str) -> str:
    return f"cases/evidence/{instance.sha256[:2]}/{instance.sha256}"


class EvidenceItem(models.Model):
    class Kind(models.TextChoices):
        PHYSICAL = "physical", _("Physical item")
        DOCUMENT = "document", _("Document")
        DIGITAL = "digital", _("Digital file")
        FOOTAGE = "footage", _("Video footage")
        BIOLOGICAL = "biological", _("Biological sample")

    case = models.ForeignKey(Case, models.CASCADE, related_name="evidence")
    label = models.CharField(_("label"), max_length=40)
    kind = models.CharField(_("type"), max_length=15, choices=Kind.choices)
    description = models.TextField(_("description"))
    found_at = models.CharField(_("where found"), max_length=300)
    collected_by = models.CharField(_("collected by"), max_length=200)
    collected_at = models.DateTimeField(_("collected"))
    # Where and with whom it is now: the end of the last transfer (or the collection).
    holder = models.CharField(_("current holder"), max_length=200)
    location = models.CharField(_("storage location"), max_length=300)
    file = models.FileField(upload_to=evidence_file_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    legal_hold = models.ForeignKey(LegalHold, models.SET_NULL, null=True, blank=True,
                                   related_name="evidence_items",
                                   verbose_name=_("held footage"))
    # The pending ledger entry written with the item; its index once integrated.
    ledger_pending_id = models.BigIntegerField(null=True, blank=True, editable=False)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                      blank=True, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collected_at", "id"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        constraints = [
            models.UniqueConstraint(fields=["case", "label"], name="evidence_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.label}"


class EvidenceTransfer(models.Model):
    """One hand-over in the chain of custody; it must start where the last one ended."""

    item = models.ForeignKey(EvidenceItem, models.CASCADE, related_name="transfers")
    from_holder = models.CharField(_("from (holder)"), max_length=200)
    from_location = models.CharField(_("from (location)"), max_length=300)
    to_holder = models.CharField(_("to (holder)"), max_length=200)
    to_location = models.CharField(_("to (location)"), max_length=300)
    transferred_at = models.DateTimeField(_("transferred"))
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    ledger_pending_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["transferred_at", "id"]
        verbose_name = _("evidence transfer")
        verbose_name_plural = _("evidence transfers")

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_holder} -> {self.to_holder}"


class SupportKind(models.TextChoices):
    LEGAL = "legal", _("Legal aid")
    MEDICAL = "medical", _("Medical care")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    SOCIAL = "social", _("Social support")


class CrisisCentre(models.Model):
    """A centre that gives victims legal, medical, psychological or social help (issue 24
    item 4): the registry the referrals point at, kept by the administrators."""

    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(Region, models.PROTECT, related_name="crisis_centres",
                               verbose_name=_("region"))
    # SupportKind values.
    services = models.JSONField(_("services offered"), default=list)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    # The response clock: a referral not answered within this many days raises an alert.
    response_days = models.PositiveSmallIntegerField(_("days to answer a referral"), default=5)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("crisis centre")
        verbose_name_plural = _("crisis centres")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="crisis_centre_unique_name"),
            models.CheckConstraint(name="crisis_centre_answers_within_days",
                                   condition=Q(response_days__gte=1)),
        ]

    def __str__(self) -> str:
        return self.name

    def offers(self, kind: str) -> bool:
        return kind in self.services

    @property
    def service_labels(self) -> list[str]:
        labels = dict(SupportKind.choices)
        return [str(labels.get(kind, kind)) for kind in self.services]


class Consent(models.TextChoices):
    """How the person's consent to a referral (and to his contact details going to the
    centre) was recorded; without it nobody is referred."""

    WRITTEN = "written", _("Written, signed by the person")
    ORAL = "oral", _("Oral, recorded before a witness")
    REPRESENTATIVE = "representative", _("By the person's legal representative")


class ReferralOutcome(models.TextChoices):
    GOALS_MET = "goals_met", _("Help given, goals met")
    PARTLY_MET = "partly_met", _("Help given, goals partly met")
    STOPPED_BY_PERSON = "stopped_by_person", _("Stopped at the person's wish")
    LOST_CONTACT = "lost_contact", _("Contact lost")
    NOT_PROVIDED = "not_provided", _("Help not provided")


class SupportReferral(models.Model):
    Kind = SupportKind

    class Status(models.TextChoices):
        REFERRED = "referred", _("Referred")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")

    case = models.ForeignKey(Case, models.CASCADE, related_name="referrals")
    victim = models.ForeignKey(CaseParty, models.PROTECT, related_name="referrals")
    kind = models.CharField(_("support"), max_length=15, choices=Kind.choices)
    # The centre's name as referred (older referrals have only this).
    centre = models.CharField(_("crisis centre"), max_length=200)
    crisis_centre = models.ForeignKey(CrisisCentre, models.PROTECT, null=True, blank=True,
                                      related_name="referrals",
                                      verbose_name=_("crisis centre"))
    consent = models.CharField(_("consent"), max_length=15, choices=Consent.choices,
                               blank=True)
    consent_recorded_at = models.DateTimeField(_("consent recorded"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL,
                                            null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=15, choices=Status.choices,
                              default=Status.REFERRED)
    referred_at = models.DateTimeField(_("referred"))
    status_changed_at = models.DateTimeField(_("status changed"))
    # The response clock: due at referral + the centre's days; the sweep marks it overdue
    # once (cases/tasks.py), the centre's first answer (accepted or declined) stops it.
    response_due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    response_overdue_at = models.DateTimeField(_("answer overdue since"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=ReferralOutcome.choices,
                               blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["referred_at", "id"]
        verbose_name = _("support referral")
        verbose_name_plural = _("support referrals")
        indexes = [models.Index(fields=["status", "response_due_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind} ({self.status})"

    @property
    def answer_overdue(self) -> bool:
        return self.responded_at is None and self.response_overdue_at is not None


class ReferralService(models.Model):
    """A service the centre gave under a referral (sessions of one kind on a day)."""

    referral = models.ForeignKey(SupportReferral, models.CASCADE, related_name="services")
    kind = models.CharField(_("service"), max_length=15, choices=SupportKind.choices)
    given_on = models.DateField(_("given on"))
    sessions = models.PositiveSmallIntegerField(_("sessions"), default=1)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["given_on", "id"]
        verbose_name = _("service given")
        verbose_name_plural = _("services given")
        constraints = [models.CheckConstraint(name="referral_service_sessions_positive",
                                              condition=Q(sessions__gte=1))]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.kind} on {self.given_on}"


class CompensationClaim(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        PARTLY = "partly", _("Partly granted")
        REFUSED = "refused", _("Refused")

    case = models.ForeignKey(Case, models.CASCADE, related_name="compensation_claims")
    victim = models.ForeignKey(CaseParty, models.PROTECT, related_name="compensation_claims")
    claimed_at = models.DateField(_("claimed"))
    amount_claimed = models.DecimalField(_("amount claimed (KZT)"), max_digits=14,
                                         decimal_places=2)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices,
                                default=Decision.PENDING)
    decided_at = models.DateField(_("decided"), null=True, blank=True)
    amount_granted = models.DecimalField(_("amount granted (KZT)"), max_digits=14,
                                         decimal_places=2, null=True, blank=True)
    paid_at = models.DateField(_("paid"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["claimed_at", "id"]
        verbose_name = _("compensation claim")
        verbose_name_plural = _("compensation claims")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.amount_claimed} ({self.decision})"


class ExclusionKind(models.TextChoices):
    CONFESSION = "confession", _("Confession")
    TESTIMONY = "testimony", _("Testimony of a witness or victim")
    OTHER = "other", _("Other evidence")


class EvidenceExclusion(models.Model):
    """A court's ruling that evidence was obtained by torture or cruel treatment and is
    inadmissible (Convention art. 15; Criminal Procedure Code art. 112), recorded by the
    prosecution: the UN CAT export counts them (issue 24 item 5). The person is described
    only by sex, age and citizenship."""

    court = models.CharField(_("court"), max_length=200)
    ruling_reference = models.CharField(_("ruling"), max_length=100)
    ruled_on = models.DateField(_("ruled on"))
    criminal_case_number = models.CharField(_("criminal case number"), max_length=60,
                                            blank=True)
    kind = models.CharField(_("evidence excluded"), max_length=12,
                            choices=ExclusionKind.choices)
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="evidence_exclusions",
                                 verbose_name=_("unit that obtained it"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", editable=False)
    person_sex = models.CharField(_("sex"), max_length=10, choices=Person.Sex.choices,
                                  default=Person.Sex.UNKNOWN)
    person_age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    person_citizenship = models.CharField(_("citizenship"), max_length=2, blank=True)
    # The torture investigation it led to, where there is one.
    case = models.ForeignKey(Case, models.SET_NULL, null=True, blank=True,
                             related_name="evidence_exclusions", verbose_name=_("case"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-ruled_on", "-id"]
        verbose_name = _("evidence excluded as obtained by torture")
        verbose_name_plural = _("evidence excluded as obtained by torture")
        constraints = [models.UniqueConstraint(fields=["court", "ruling_reference"],
                                               name="evidence_exclusion_once_per_ruling")]

    def __str__(self) -> str:
        return f"{self.court}, {self.ruling_reference}"

    def save(self, *args, **kwargs) -> None:
        self.region_id = self.facility.region_id
        super().save(*args, **kwargs)
