"""The custody register: detentions, room stays, interrogations, safeguards and alerts.

Times are those at which things happened, not when they were typed. The clock-relevant
facts of a detention (minor at detention, detention due moment, the first relatives'
notification and the intake examination) are kept on the record by the services so that
the duty desk and the overruns view sort and count in SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from custodywatch.registry.models import Facility, Room


def iin_is_valid(iin: str) -> bool:
    """Kazakhstan's individual identification number: 12 digits, the last a check digit."""
    if len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        return False
    digits = [int(c) for c in iin]
    check = sum(d * w for d, w in zip(digits[:11], range(1, 12), strict=True)) % 11
    if check == 10:
        weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        check = sum(d * w for d, w in zip(digits[:11], weights, strict=True)) % 11
        if check == 10:
            return False
    return check == digits[11]


def validate_iin(value: str) -> None:
    if value and not iin_is_valid(value):
        raise ValidationError(_("Not a valid IIN: 12 digits with a correct check digit."))


class EndReason(models.TextChoices):
    RELEASED = "released", _("Released")
    # Released because a court found the detention unlawful (quashed it).
    QUASHED = "quashed", _("Released: detention quashed by a court")
    TRANSFERRED = "transferred", _("Transferred to another facility")
    BROUGHT_BEFORE_COURT = "court", _("Brought before the court")
    ARREST_ORDERED = "arrest_ordered", _("Court ordered arrest (remanded in custody)")
    ESCAPED = "escaped", _("Escaped")
    DIED = "died", _("Died in custody")


class Regime(models.TextChoices):
    """The legal basis of the hold (kernels.deadlines.Regime); each has its own limit."""

    DELIVERY = "delivery", _("Delivery or administrative detention")
    CRIMINAL_DETENTION = "criminal_detention", _("Criminal detention (48 h, minors 24 h)")
    REMAND = "remand", _("Remand in custody by court order")
    ADMINISTRATIVE_ARREST = "administrative_arrest", _("Administrative arrest by a court")
    SENTENCE = "sentence", _("Serving a sentence")
    PSYCHIATRIC = "psychiatric", _("Involuntary psychiatric placement")


class Acknowledgement(models.TextChoices):
    SIGNED = "signed", _("Signed by the person")
    REFUSED_TO_SIGN = "refused_to_sign", _("The person refused to sign (recorded)")


class NotificationMeans(models.TextChoices):
    PHONE = "phone", _("Telephone")
    ELECTRONIC = "electronic", _("Electronic document (ERDR)")
    WRITTEN = "written", _("In writing")
    IN_PERSON = "in_person", _("In person")
    OTHER = "other", _("Other")


FOREIGN_NOT = frozenset({"", "KZ", "KAZ", "KAZAKHSTAN", "КАЗАХСТАН", "ҚАЗАҚСТАН", "РК"})


def is_foreign_citizenship(citizenship: str) -> bool:
    """A foreign national (or stateless): any citizenship but Kazakhstan's; unknown is not."""
    return citizenship.strip().upper() not in FOREIGN_NOT


class CustodyRecord(models.Model):
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="custody_records",
                                 verbose_name=_("facility"))
    # The identifier another state system gives this detention; unique per facility.
    external_ref = models.CharField(_("external reference"), max_length=60, blank=True)

    # The person.
    full_name = models.CharField(_("full name"), max_length=200)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    iin = models.CharField(_("IIN"), max_length=12, blank=True, validators=[validate_iin])
    identity_document = models.CharField(_("identity document"), max_length=120, blank=True)
    gender = models.CharField(_("gender (self-identified)"), max_length=40, blank=True)
    citizenship = models.CharField(_("citizenship"), max_length=60, default="KZ")
    language = models.CharField(_("language"), max_length=40, blank=True)
    interpreter = models.CharField(_("interpreter"), max_length=200, blank=True)
    is_minor = models.BooleanField(_("minor at detention"), default=False, editable=False)

    # The detention.
    detained_at = models.DateTimeField(_("actual moment of detention"), db_index=True)
    detained_place = models.CharField(_("place of detention"), max_length=300)
    detaining_officer = models.CharField(_("detaining officer"), max_length=200)
    detaining_unit = models.CharField(_("detaining unit"), max_length=200, blank=True)
    grounds = models.TextField(_("grounds"))
    erdr_number = models.CharField(_("pre-trial register (ERDR) number"), max_length=40,
                                   blank=True)
    arrived_at = models.DateTimeField(_("arrival at the facility"), null=True, blank=True)
    rights_explained_at = models.DateTimeField(_("rights explained"), null=True, blank=True)
    personal_property = models.TextField(_("personal property"), blank=True)

    # The lawyer.
    lawyer_requested_at = models.DateTimeField(_("lawyer requested"), null=True, blank=True)
    lawyer_name = models.CharField(_("lawyer"), max_length=200, blank=True)
    lawyer_assigned_at = models.DateTimeField(_("lawyer assigned"), null=True, blank=True)
    lawyer_first_access_at = models.DateTimeField(_("lawyer's first access"), null=True,
                                                  blank=True)

    # Issue 22: the regime the record states (the facility's kind proposes it) and the
    # court's order and term; the limit of the regime is kept in detention_due_at.
    regime = models.CharField(_("regime of deprivation of liberty"), max_length=30,
                              choices=Regime.choices, default=Regime.CRIMINAL_DETENTION)
    court_order_ref = models.CharField(_("court order"), max_length=120, blank=True)
    court_order_at = models.DateTimeField(_("court order date"), null=True, blank=True)
    term_ends_at = models.DateTimeField(
        _("end of the court's term (remand with extensions, arrest, release date, next court "
          "control)"), null=True, blank=True)
    extension_applied_at = models.DateTimeField(_("application to extend the remand filed"),
                                                null=True, blank=True)
    # Issue 22: safeguards.
    protocol_drawn_at = models.DateTimeField(_("detention protocol drawn up"), null=True,
                                             blank=True)
    prosecutor_notified_at = models.DateTimeField(_("supervising prosecutor notified"),
                                                  null=True, blank=True)
    prosecutor_notified_means = models.CharField(_("prosecutor notified by"), max_length=20,
                                                 choices=NotificationMeans.choices, blank=True)
    consular_notified_at = models.DateTimeField(_("consulate notified"), null=True, blank=True)
    consular_declined_at = models.DateTimeField(_("consular notification declined by the "
                                                  "person"), null=True, blank=True)
    consular_decline_acknowledgement = models.CharField(
        _("declining the consular notification"), max_length=20,
        choices=Acknowledgement.choices, blank=True)
    state_lawyer_offered_at = models.DateTimeField(_("state-appointed lawyer offered"),
                                                   null=True, blank=True)
    rights_language = models.CharField(_("language the rights were explained in"),
                                       max_length=40, blank=True)
    rights_acknowledgement = models.CharField(_("rights explanation"), max_length=20,
                                              choices=Acknowledgement.choices, blank=True)
    is_foreign = models.BooleanField(_("foreign national"), default=False, editable=False)

    # Kept by the services from the clock kernel and the safeguards below. Null: a sentence
    # with no release date recorded (no limit can be counted).
    detention_due_at = models.DateTimeField(_("detention limit"), null=True, editable=False)
    relatives_notified_at = models.DateTimeField(_("relatives first notified"), null=True,
                                                 blank=True, editable=False)
    medical_checked_at = models.DateTimeField(_("intake medical check"), null=True, blank=True,
                                              editable=False)

    # The end.
    ended_at = models.DateTimeField(_("end of custody"), null=True, blank=True)
    end_reason = models.CharField(_("how custody ended"), max_length=20,
                                  choices=EndReason.choices, blank=True)
    end_note = models.TextField(_("court decision, destination or circumstances"), blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detained_at"]
        verbose_name = _("custody record")
        verbose_name_plural = _("custody records")
        constraints = [
            models.UniqueConstraint(fields=["facility", "external_ref"],
                                    condition=~Q(external_ref=""),
                                    name="custody_record_external_ref_unique"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("detained_at")),
                name="custody_record_ends_after_detention"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="")
                | Q(ended_at__isnull=False) & ~Q(end_reason=""),
                name="custody_record_end_has_reason"),
        ]
        indexes = [
            # The duty desk and the sweep: people in custody now.
            models.Index(fields=["facility", "detention_due_at"], name="custody_open_by_facility",
                         condition=Q(ended_at__isnull=True)),
            models.Index(fields=["facility", "detained_at"], name="custody_by_facility_time"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.detained_at:%Y-%m-%d %H:%M} UTC)"

    @property
    def in_custody(self) -> bool:
        return self.ended_at is None


class RoomStay(models.Model):
    """A person in one room from `started_at` until `ended_at` (null while still there)."""

    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE, related_name="stays",
                                       verbose_name=_("custody record"))
    room = models.ForeignKey(Room, models.PROTECT, related_name="stays", verbose_name=_("room"))
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    # Kept by the coverage job (video.coverage_jobs): blind time up to coverage_computed_at
    # (an open stay is clipped to that moment); null until first computed.
    blind_ms = models.BigIntegerField(_("blind milliseconds"), null=True, blank=True,
                                      editable=False)
    coverage_computed_at = models.DateTimeField(_("coverage computed"), null=True, blank=True,
                                                editable=False)

    class Meta:
        ordering = ["custody_record", "started_at"]
        verbose_name = _("room stay")
        verbose_name_plural = _("room stays")
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gt=F("started_at")),
                                   name="room_stay_ends_after_start"),
            models.UniqueConstraint(fields=["custody_record"], condition=Q(ended_at__isnull=True),
                                    name="room_stay_one_open_per_record"),
        ]
        indexes = [models.Index(fields=["room", "started_at"], name="room_stay_by_room")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.started_at:%Y-%m-%d %H:%M}–{self.ended_at or ''}"


class Interrogation(models.Model):
    class Kind(models.TextChoices):
        INTERROGATION = "interrogation", _("Interrogation")
        CONFRONTATION = "confrontation", _("Confrontation")
        IDENTIFICATION = "identification", _("Identification parade")
        OTHER = "other", _("Other investigative action")

    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE,
                                       related_name="interrogations",
                                       verbose_name=_("custody record"))
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices,
                            default=Kind.INTERROGATION)
    room = models.ForeignKey(Room, models.PROTECT, related_name="interrogations",
                             verbose_name=_("room"))
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    investigator = models.CharField(_("investigator"), max_length=200)
    lawyer_present = models.BooleanField(_("lawyer present"))
    interpreter = models.CharField(_("interpreter"), max_length=200, blank=True)
    recording_ref = models.CharField(_("recording reference"), max_length=200, blank=True)
    # Kept by the coverage job, as on RoomStay.
    blind_ms = models.BigIntegerField(_("blind milliseconds"), null=True, blank=True,
                                      editable=False)
    coverage_computed_at = models.DateTimeField(_("coverage computed"), null=True, blank=True,
                                                editable=False)

    class Meta:
        ordering = ["custody_record", "started_at"]
        verbose_name = _("interrogation or investigative action")
        verbose_name_plural = _("interrogations and investigative actions")
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gt=F("started_at")),
                                   name="interrogation_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class MedicalCheck(models.Model):
    class Occasion(models.TextChoices):
        INTAKE = "intake", _("At arrival")
        TRANSFER = "transfer", _("At transfer")
        RELEASE = "release", _("At release")
        OTHER = "other", _("Other")

    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE,
                                       related_name="medical_checks",
                                       verbose_name=_("custody record"))
    occasion = models.CharField(_("occasion"), max_length=10, choices=Occasion.choices,
                                default=Occasion.INTAKE)
    examined_at = models.DateTimeField(_("examined at"))
    examiner = models.CharField(_("examined by"), max_length=200)
    # "No injuries" is an answer, never a default: services demand it or an injury.
    no_injuries = models.BooleanField(_("no injuries found"))
    declared_ill_treatment = models.BooleanField(_("ill-treatment declared by the person"),
                                                 default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["custody_record", "examined_at"]
        verbose_name = _("medical check")
        verbose_name_plural = _("medical checks")

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} {self.examined_at:%Y-%m-%d %H:%M}"


class Injury(models.Model):
    class Kind(models.TextChoices):
        BRUISE = "bruise", _("Bruise")
        ABRASION = "abrasion", _("Abrasion")
        WOUND = "wound", _("Wound")
        BURN = "burn", _("Burn")
        FRACTURE = "fracture", _("Fracture")
        SWELLING = "swelling", _("Swelling")
        OTHER = "other", _("Other")

    medical_check = models.ForeignKey(MedicalCheck, models.CASCADE, related_name="injuries",
                                      verbose_name=_("medical check"))
    body_location = models.CharField(_("body location"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    photo_refs = models.CharField(_("photo references"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("injury")
        verbose_name_plural = _("injuries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.body_location}"


class RelativesNotification(models.Model):
    class Method(models.TextChoices):
        PHONE = "phone", _("Telephone")
        SMS = "sms", _("Text message")
        IN_PERSON = "in_person", _("In person")
        LETTER = "letter", _("Letter")
        CONSULATE = "consulate", _("Through the consulate")
        OTHER = "other", _("Other")

    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE,
                                       related_name="notifications",
                                       verbose_name=_("custody record"))
    notified_at = models.DateTimeField(_("notified at"))
    person_notified = models.CharField(_("who was notified"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=80, blank=True)
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    notified_by = models.CharField(_("notified by"), max_length=200, blank=True)

    class Meta:
        ordering = ["custody_record", "notified_at"]
        verbose_name = _("relatives notification")
        verbose_name_plural = _("relatives notifications")

    def __str__(self) -> str:
        return f"{self.person_notified} {self.notified_at:%Y-%m-%d %H:%M}"


class RightDelay(models.Model):
    """An authorised delay of a right (who authorised it, why, until when): the right's
    clock runs to `until` instead of the law's term, and the page says so."""

    class Right(models.TextChoices):
        RELATIVES = "relatives", _("Relatives notification")
        LAWYER = "lawyer", _("Lawyer access")
        CONSULAR = "consular", _("Consular notification")
        LAWYER_ARRIVAL = "lawyer_arrival", _("Arrival of the requested lawyer")

    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE, related_name="delays",
                                       verbose_name=_("custody record"))
    right = models.CharField(_("right"), max_length=20, choices=Right.choices)
    authorised_by = models.CharField(_("authorised by"), max_length=200)
    reason = models.TextField(_("reason"))
    until = models.DateTimeField(_("delayed until"))
    authorised_at = models.DateTimeField(_("authorised at"))

    class Meta:
        ordering = ["custody_record", "authorised_at"]
        verbose_name = _("authorised delay of a right")
        verbose_name_plural = _("authorised delays of rights")
        constraints = [
            models.UniqueConstraint(fields=["custody_record", "right", "until"],
                                    name="right_delay_once"),
            models.CheckConstraint(condition=Q(until__gt=F("authorised_at")),
                                   name="right_delay_ends_after_authorisation"),
        ]

    def __str__(self) -> str:
        return f"{self.get_right_display()} → {self.until:%Y-%m-%d %H:%M}"


class CustodyAlert(models.Model):
    """A clock about to run out, run out, or a death: raised once, acknowledged by a person."""

    class Clock(models.TextChoices):
        DETENTION = "detention", _("Detention limit")
        RELATIVES = "relatives", _("Relatives notification")
        LAWYER = "lawyer", _("Lawyer access")
        MEDICAL = "medical", _("Intake medical check")
        DEATH = "death", _("Death in custody")
        CAMERA = "camera", _("Camera coverage")
        BLIND_PLACEMENT = "blind_placement", _("Placed in a blind room")
        BLIND_STAY = "blind_stay", _("Long stay in a blind room")
        BLIND_MOVE = "blind_move", _("Moved through a blind room or vehicle")
        # Issue 21 (medical/): released or transferred without an independent examination.
        EXIT_EXAMINATION = "exit_examination", _("Release or transfer examination")
        # Issue 22: safeguard clocks (kernels.deadlines.ClockKind).
        PROTOCOL = "protocol", _("Detention protocol")
        PROSECUTOR = "prosecutor", _("Prosecutor notified")
        CONSULAR = "consular", _("Consular notification")
        LAWYER_ARRIVAL = "lawyer_arrival", _("Requested lawyer's arrival")
        RIGHTS = "rights", _("Rights explained")
        EXTENSION = "extension", _("Application to extend the remand")
        TRANSIT = "transit", _("Transfer not received (lost in transit)")

    class Level(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        DEATH = "death", _("Death in custody")
        UNRECORDED = "unrecorded", _("Not recorded by a working camera")
        NOT_EXAMINED = "not_examined", _("Left custody without an independent examination")
        LOST = "lost", _("No facility received the person")

    custody_record = models.ForeignKey(CustodyRecord, models.CASCADE, related_name="alerts",
                                       verbose_name=_("custody record"))
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    # Which warning (seconds before the due moment); 0 for overdue and death.
    warning_seconds = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised"))
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                        blank=True, related_name="+",
                                        verbose_name=_("acknowledged by"))
    acknowledged_by_name = models.CharField(_("acknowledged by (as recorded)"), max_length=200,
                                            blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    # A camera-coverage alert whose action footage that arrived later (an agent's outbox
    # after an outage) shows fully recorded: closed by the coverage job, kept for the record.
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    # The investigative action a camera-coverage alert is about; null for the clocks.
    interrogation = models.ForeignKey(Interrogation, models.CASCADE, null=True, blank=True,
                                      related_name="alerts",
                                      verbose_name=_("interrogation or investigative action"))
    # The room stay a blind-custody alert (placement, long stay, move) is about.
    room_stay = models.ForeignKey(RoomStay, models.CASCADE, null=True, blank=True,
                                  related_name="alerts", verbose_name=_("room stay"))

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("custody alert")
        verbose_name_plural = _("custody alerts")
        constraints = [
            # Raising is idempotent: a sweep that runs twice raises nothing new.
            models.UniqueConstraint(fields=["custody_record", "clock", "level",
                                            "warning_seconds"], name="custody_alert_once",
                                    condition=Q(interrogation__isnull=True,
                                                room_stay__isnull=True)),
            # A blind-custody alert: once per room stay and kind.
            models.UniqueConstraint(fields=["room_stay", "clock"],
                                    condition=Q(room_stay__isnull=False),
                                    name="custody_alert_once_per_stay"),
            # A camera-coverage alert: once per investigative action.
            models.UniqueConstraint(fields=["interrogation", "clock"],
                                    condition=Q(interrogation__isnull=False),
                                    name="custody_alert_once_per_interrogation"),
        ]
        indexes = [
            models.Index(fields=["raised_at"], name="custody_alert_unmailed",
                         condition=Q(mailed_at__isnull=True)),
            models.Index(fields=["raised_at"], name="custody_alert_unacknowledged",
                         condition=Q(acknowledged_at__isnull=True, escalated_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} · {self.get_level_display()}"


# Issue 22, items 7 and 8: kept in their own module, registered with this app here.
from custodywatch.custody.models_mass import (  # noqa: E402, F401
    BulkIntake,
    IdentityCheck,
    IncommunicadoOrder,
    LawyerLicence,
    MassDetention,
    MeasureReview,
    TemporaryPlace,
    WhereaboutsQuery,
)
