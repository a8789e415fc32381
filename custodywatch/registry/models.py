"""Regions, agencies, facilities, rooms, recorders, cameras and the heads of units."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{0,39}$",
    _("Use 1-40 capital letters, digits, '-' or '_'."),
)


class TranslatedNameMixin(models.Model):
    """Official names in the three interface languages; `name` follows the active one."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "ru")[:2]
        return getattr(self, f"name_{language}", "") or self.name_ru


class Region(TranslatedNameMixin):
    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        CITY = "city", _("City of republican significance")

    code = models.CharField(_("ISO 3166-2 code"), max_length=10, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Position in the tile-grid map of the 20 regions (row, column).
    grid_row = models.PositiveSmallIntegerField(default=0)
    grid_col = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    @property
    def short_name(self) -> str:
        """The name without the word for "region", for tight places such as map tiles."""
        words = [w for w in self.name.split() if w.lower() not in {"region", "область", "облысы"}]
        return " ".join(words)


class Agency(TranslatedNameMixin):
    class Kind(models.TextChoices):
        POLICE = "police", _("Police (Ministry of Internal Affairs)")
        NATIONAL_SECURITY = "national_security", _("National Security Committee")
        ANTI_CORRUPTION = "anti_corruption", _("Anti-Corruption Agency")
        FINANCIAL_MONITORING = "financial_monitoring", _("Financial Monitoring Agency")
        PENITENTIARY = "penitentiary", _("Penitentiary (Criminal Executive) Service")
        MILITARY_POLICE = "military_police", _("Military police")
        HEALTH = "health", _("Health care (psychiatric, medical-social)")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")


class LocalNameMixin(models.Model):
    """A registered name (``name``, as the unit is officially registered, usually Russian)
    with its Kazakh and English forms where they are known; ``local_name`` is the one for
    the active interface language, falling back to the registered name."""

    name_kk = models.CharField(_("name (Kazakh)"), max_length=300, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)

    if TYPE_CHECKING:
        name: str  # every model of a registered name has it (a CharField)

    class Meta:
        abstract = True

    @property
    def local_name(self) -> str:
        language = (get_language() or "ru")[:2]
        local: str = getattr(self, f"name_{language}", "") if language != "ru" else ""
        return local or self.name


class Facility(LocalNameMixin):
    class Kind(models.TextChoices):
        POLICE_STATION = "police_station", _("Police station")
        TEMPORARY_DETENTION = "temporary_detention", _("Temporary detention isolator")
        PRETRIAL_DETENTION = "pretrial_detention", _("Pre-trial detention centre")
        CORRECTIONAL_COLONY = "correctional_colony", _("Correctional colony")
        SPECIAL_RECEPTION = "special_reception", _("Special reception centre")
        JUVENILE_CENTRE = "juvenile_centre", _("Centre for juveniles")
        MILITARY_GUARDHOUSE = "military_guardhouse", _("Military guardhouse")
        PSYCHIATRIC = "psychiatric", _("Psychiatric or medical-social institution")
        OTHER = "other", _("Other place of deprivation of liberty")
        # Issue 22, item 7: a hall or a yard used in a mass detention, registered in minutes
        # (custody/mass.py); blind until an approved camera covers its rooms.
        TEMPORARY_PLACE = "temporary_place", _("Temporary place of detention (mass detention)")

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    region = models.ForeignKey(
        Region, models.PROTECT, related_name="facilities", verbose_name=_("region")
    )
    agency = models.ForeignKey(
        Agency, models.PROTECT, related_name="facilities", verbose_name=_("agency")
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("in operation"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        indexes = [models.Index(fields=["region", "agency", "kind"])]

    def __str__(self) -> str:
        return f"{self.code} {self.local_name}"


# AprilTag 36h11 has 587 codes (OpenCV: cv2.aruco.DICT_APRILTAG_36H11); ids repeat across
# facilities, since a camera only ever sees rooms of its own facility.
MARKER_IDS = 587


class Room(LocalNameMixin):
    class Kind(models.TextChoices):
        CELL = "cell", _("Cell")
        INTERROGATION = "interrogation", _("Interrogation room")
        TRANSPARENT_INTERROGATION = "transparent_interrogation", _(
            "Transparent interrogation room"
        )
        MEDICAL = "medical", _("Medical room")
        ADMISSION = "admission", _("Admission and search room")
        CORRIDOR = "corridor", _("Corridor")
        YARD = "yard", _("Exercise yard")
        VISITING = "visiting", _("Visiting room")
        DUTY = "duty", _("Duty room")
        VEHICLE = "vehicle", _("Vehicle")
        # Issue 22, item 7: a part of a temporary place where people are held.
        HOLDING_AREA = "holding_area", _("Holding area of a temporary place")
        OTHER = "other", _("Other")

    facility = models.ForeignKey(
        Facility, models.CASCADE, related_name="rooms", verbose_name=_("facility")
    )
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    custody_use = models.BooleanField(
        _("custody use"),
        default=True,
        help_text=_("A person in custody may be held or questioned here."),
    )
    # The AprilTag 36h11 id printed on the room's marker sheet (registry.markers assigns it):
    # a camera whose picture shows it proves it sees this room. Unique within the facility.
    marker_id = models.PositiveSmallIntegerField(
        _("marker"), null=True, blank=True, editable=False,
        help_text=_("Number of the room's printed marker (AprilTag 36h11)."),
    )

    class Meta:
        ordering = ["facility", "code"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="room_code_unique"),
            models.UniqueConstraint(fields=["facility", "marker_id"], name="room_marker_unique",
                                    condition=models.Q(marker_id__isnull=False)),
            models.CheckConstraint(condition=models.Q(marker_id__lt=MARKER_IDS),
                                   name="room_marker_in_dictionary"),
        ]

    def __str__(self) -> str:
        return f"{self.facility.code}/{self.code}"


class Recorder(models.Model):
    facility = models.ForeignKey(
        Facility, models.CASCADE, related_name="recorders", verbose_name=_("facility")
    )
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    model = models.CharField(_("model"), max_length=100, blank=True)
    storage_days = models.PositiveIntegerField(_("retention (days)"), default=30)

    class Meta:
        ordering = ["facility", "code"]
        verbose_name = _("recorder")
        verbose_name_plural = _("recorders")
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="recorder_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.facility.code}/{self.code}"


class Camera(models.Model):
    facility = models.ForeignKey(
        Facility, models.CASCADE, related_name="cameras", verbose_name=_("facility")
    )
    recorder = models.ForeignKey(
        Recorder,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("recorder"),
    )
    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200, blank=True)
    rooms = models.ManyToManyField(
        Room, related_name="cameras", blank=True, verbose_name=_("rooms covered")
    )
    is_active = models.BooleanField(_("in service"), default=True)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)

    class Meta:
        ordering = ["facility", "code"]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="camera_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.facility.code}/{self.code}"


class HeadAppointment(models.Model):
    """Who headed a unit and when: heads are personally responsible for their subdivision."""

    facility = models.ForeignKey(
        Facility, models.CASCADE, related_name="head_appointments", verbose_name=_("unit")
    )
    # The person (issue 24): one officer's appointments over time, across units, so his
    # record follows him. ``full_name`` stays as recorded on the appointment.
    officer = models.ForeignKey(
        "cases.Officer", models.PROTECT, null=True, blank=True, related_name="appointments",
        verbose_name=_("officer"))
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=200)
    rank = models.CharField(_("rank"), max_length=100, blank=True)
    started_on = models.DateField(_("appointed on"))
    ended_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        ordering = ["facility", "-started_on"]
        verbose_name = _("head of unit")
        verbose_name_plural = _("heads of units")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=models.F("started_on")),
                name="head_appointment_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.facility.code})"


class CameraView(models.Model):
    """What a camera's agent judges it against (its reference) and what it sees lately.

    Sent by the agent (``/api/references/sync``), shown side by side to a person who approves
    the reference, adopts the current view as the new reference, or asks the agent to relearn.
    """

    camera = models.OneToOneField(Camera, models.CASCADE, related_name="view")
    reference_png = models.BinaryField(null=True, blank=True)
    reference_sha256 = models.CharField(max_length=64, blank=True)
    reference_status = models.CharField(_("reference"), max_length=10, blank=True)
    reference_at = models.DateTimeField(_("reference received"), null=True, blank=True)
    current_png = models.BinaryField(null=True, blank=True)
    current_sha256 = models.CharField(max_length=64, blank=True)
    current_at = models.DateTimeField(_("current view received"), null=True, blank=True)

    class Meta:
        verbose_name = _("camera view")
        verbose_name_plural = _("camera views")

    def __str__(self) -> str:
        return f"view of {self.camera_id}"


class ReferenceDecision(models.Model):
    """A person's decision about a camera's reference view, delivered to its agent once."""

    class Kind(models.TextChoices):
        APPROVE = "approve", _("Approve the reference")
        ADOPT_CURRENT = "adopt_current", _("Make the current view the reference")
        RELEARN = "relearn", _("Relearn the reference from the stream")

    camera = models.ForeignKey(Camera, models.CASCADE, related_name="reference_decisions")
    kind = models.CharField(_("decision"), max_length=15, choices=Kind.choices)
    # The image decided on (the reference approved, or the current view adopted).
    image_sha256 = models.CharField(max_length=64, blank=True)
    image_png = models.BinaryField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    decided_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"))
    applied_at = models.DateTimeField(_("applied by the agent"), null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("reference decision")
        verbose_name_plural = _("reference decisions")

    def __str__(self) -> str:
        return f"{self.camera_id}: {self.kind}"


class CameraChange(models.Model):
    """A facility's proposal to add a camera, change the rooms it covers or take it out of
    service. The facility is a party: its agent, head and staff only propose; the change takes
    effect when a prosecutor or NPM monitor in scope approves it (registry/camera_changes.py).
    """

    class Kind(models.TextChoices):
        CREATE = "create", _("New camera")
        UPDATE = "update", _("Change of rooms covered or details")
        DEACTIVATE = "deactivate", _("Out of service")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Replaced by a later proposal")

    facility = models.ForeignKey(Facility, models.CASCADE, related_name="camera_changes",
                                 verbose_name=_("facility"))
    camera = models.ForeignKey(Camera, models.CASCADE, related_name="changes",
                               verbose_name=_("camera"))
    kind = models.CharField(_("change"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    recorder_code = models.CharField(_("recorder"), max_length=40, blank=True)
    room_codes = models.JSONField(_("rooms covered"), default=list)
    is_active = models.BooleanField(_("in service"), default=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    proposed_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+",
                                    verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed"))
    # Blind custody rooms of the facility now, and as they would be after the change.
    blind_before = models.PositiveIntegerField(_("blind rooms now"), default=0)
    blind_after = models.PositiveIntegerField(_("blind rooms after"), default=0)
    # It lowers the blind count without a camera proving the rooms it gains by their marker:
    # the regional prosecutor is told.
    flagged = models.BooleanField(_("flagged to the prosecutor"), default=False)
    decided_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("camera change")
        verbose_name_plural = _("camera changes")
        constraints = [
            models.UniqueConstraint(fields=["camera"], condition=Q(status="pending"),
                                    name="camera_change_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.kind} {self.status}"
