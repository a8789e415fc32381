"""Off-site, write-once copies of custody footage (docs/escrow.md).

An ``EscrowObject`` is one recorder segment sealed by the facility's agent for the centre and
stored in the S3 bucket (Object Lock, COMPLIANCE) under the SHA-256 of its plaintext, the hash
the ledger recorded for the segment. The ledger's ``escrow_object`` leaf adds the SHA-256 of
the stored bytes, so anyone can check an object without the key.

An ``EscrowHold`` keeps the footage of a facility and period locked longer: a complaint, case,
injury or blackout sets it; only a prosecutor's recorded decision releases it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from custodywatch.core.models import Period
from custodywatch.registry.models import Camera, Facility, Room
from custodywatch.video.models import RecordingSegment


class EscrowState(models.TextChoices):
    GRANTED = "granted", _("Upload granted")
    STORED = "stored", _("Escrowed")
    REJECTED = "rejected", _("Upload rejected")


class EscrowObject(Period):
    sha256 = models.CharField(_("SHA-256 of the segment"), max_length=64, unique=True)
    segment = models.ForeignKey(RecordingSegment, models.PROTECT, related_name="escrow",
                                verbose_name=_("recording segment"))
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="escrow_objects",
                                 verbose_name=_("facility"))
    camera = models.ForeignKey(Camera, models.PROTECT, related_name="escrow_objects",
                               verbose_name=_("camera"))
    state = models.CharField(_("state"), max_length=10, choices=EscrowState.choices,
                             default=EscrowState.GRANTED)
    stored_sha256 = models.CharField(_("SHA-256 of the stored bytes"), max_length=64)
    size = models.BigIntegerField(_("stored bytes"))
    version_id = models.CharField(_("object version"), max_length=200, blank=True)
    granted_at = models.DateTimeField(_("granted"))
    stored_at = models.DateTimeField(_("escrowed"), null=True, blank=True)
    retain_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    verified_ok = models.BooleanField(_("last verification passed"), null=True)

    class Meta:
        ordering = ["camera", "started_at"]
        verbose_name = _("escrowed segment")
        verbose_name_plural = _("escrowed segments")
        indexes = [models.Index(fields=["facility", "started_at"]),
                   models.Index(fields=["camera", "started_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")),
                                   name="escrow_object_not_empty"),
            models.CheckConstraint(condition=Q(size__gte=0), name="escrow_object_size"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.sha256[:12]}"


class HoldReason(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    CASE = "case", _("Case")
    INJURY = "injury", _("Injury")
    BLACKOUT = "blackout", _("Facility blackout")


class EscrowHold(Period):
    """Lock a facility's escrowed footage of a period (of the cameras covering ``rooms`` and
    of ``cameras``; neither: all) until at least ``until``. Lives at the centre only: no read
    of a facility shows it."""

    facility = models.ForeignKey(Facility, models.PROTECT, related_name="escrow_holds",
                                 verbose_name=_("facility"))
    reason = models.CharField(_("reason"), max_length=10, choices=HoldReason.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    # The rooms concerned (the cameras covering them); none: every camera of the facility.
    rooms = models.ManyToManyField(Room, blank=True, related_name="escrow_holds",
                                   verbose_name=_("rooms"))
    # Cameras held besides those rooms' (an accused officer's body-worn camera).
    cameras = models.ManyToManyField(Camera, blank=True, related_name="escrow_holds",
                                     verbose_name=_("cameras"))
    until = models.DateTimeField(_("kept until"))
    created_at = models.DateTimeField(_("placed"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("released by"))
    release_decision = models.TextField(_("prosecutor's decision"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("escrow hold")
        verbose_name_plural = _("escrow holds")
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")),
                                   name="escrow_hold_not_empty"),
            # A release names who decided and what: never a silent release.
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | (Q(released_by__isnull=False)
                                                         & ~Q(release_decision="")),
                name="escrow_hold_release_recorded"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.facility_id} {self.started_at:%Y-%m-%d}"


class SegmentFingerprint(Period):
    """The perceptual fingerprints the agent computed from a recorded segment's decoded frames
    (kernels/fingerprint.py): one 64-bit DCT hash every ``step_ms``, from the segment's start,
    8 bytes big-endian each. Also in the ledger (leaf ``segment_fingerprint``)."""

    segment = models.OneToOneField(RecordingSegment, models.PROTECT, related_name="fingerprint",
                                   verbose_name=_("recording segment"))
    camera = models.ForeignKey(Camera, models.PROTECT, related_name="segment_fingerprints",
                               verbose_name=_("camera"))
    step_ms = models.PositiveIntegerField(_("milliseconds between hashed frames"))
    hashes = models.BinaryField(_("frame hashes"))
    received_at = models.DateTimeField(_("received"))

    class Meta:
        ordering = ["camera", "started_at"]
        verbose_name = _("footage fingerprints")
        verbose_name_plural = _("footage fingerprints")
        indexes = [models.Index(fields=["camera", "started_at"])]
        constraints = [models.CheckConstraint(condition=Q(step_ms__gte=100),
                                              name="segment_fingerprint_step")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.started_at:%Y-%m-%d %H:%M:%S}"


class BodyCameraAssignment(models.Model):
    """A registry camera worn by an officer instead of fixed in a room: from ``started_at``
    until ``ended_at`` (open: still his). Its files come from a docking station (a folder the
    agent watches) and are escrowed like fixed footage, every one of them (``escrow_plan``).
    The officer is named by his personnel number, as cases name officers (cases.Officer)."""

    camera = models.ForeignKey(Camera, models.PROTECT, related_name="wearers",
                               verbose_name=_("camera"))
    personnel_number = models.CharField(_("personnel number"), max_length=40, db_index=True)
    full_name = models.CharField(_("full name"), max_length=200)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["camera", "-started_at"]
        verbose_name = _("body-worn camera assignment")
        verbose_name_plural = _("body-worn camera assignments")
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gt=F("started_at")),
                                   name="body_camera_assignment_period"),
            # One wearer at a time: at most one open assignment per camera.
            models.UniqueConstraint(fields=["camera"], condition=Q(ended_at__isnull=True),
                                    name="body_camera_one_open_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.personnel_number}"


class CustodyEvent(models.TextChoices):
    ARRIVAL = "arrival", _("Arrival")
    MOVE = "move", _("Moved to a room")
    INTERROGATION = "interrogation", _("Interrogation")
    MEDICAL = "medical", _("Medical check")
    RELEASE = "release", _("End of custody")


class BodyCameraGap(Period):
    """A body-worn camera worn on duty during a custody event of its facility that uploaded
    nothing covering the event (``escrow.tasks.body_camera_gaps``): raised once per
    assignment, person and event. For the supervising prosecutors only; the facility's pages
    never show it."""

    assignment = models.ForeignKey(BodyCameraAssignment, models.PROTECT, related_name="gaps",
                                   verbose_name=_("body-worn camera assignment"))
    custody_record = models.ForeignKey("custody.CustodyRecord", models.PROTECT,
                                       related_name="+", verbose_name=_("custody record"))
    event = models.CharField(_("event"), max_length=15, choices=CustodyEvent.choices)
    raised_at = models.DateTimeField(_("raised"))

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("body-worn camera gap")
        verbose_name_plural = _("body-worn camera gaps")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "custody_record", "event",
                                            "started_at"], name="body_camera_gap_once"),
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")),
                                   name="body_camera_gap_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.event} {self.started_at:%Y-%m-%d %H:%M}"
