"""Camera health and recordings as edge agents report them.

Spans are half-open ``[started_at, ended_at)``. State spans and recording runs are merged
on the way in (a span that touches or overlaps one of the same camera and state extends it),
so these tables grow with changes of state, not with time. Recording segments keep one row
per segment because each carries its own SHA-256 for the evidence trail.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from custodywatch.core.models import Period
from custodywatch.registry.models import Camera, Facility, Room


class CameraState(models.TextChoices):
    """What the picture showed; only OK covers a room. UNKNOWN: the agent is still learning
    the camera's view, so what it shows is not known (CONTRACTS.md: counted as blind, never
    as a fault)."""

    OK = "ok", _("Working")
    BLACK = "black", _("Black picture")
    FROZEN = "frozen", _("Frozen picture")
    COVERED = "covered", _("Lens covered")
    BLURRED = "blurred", _("Out of focus")
    MOVED = "moved", _("Turned away")
    NO_SIGNAL = "no_signal", _("No signal")
    UNKNOWN = "unknown", _("Unknown")


class SpanSource(models.TextChoices):
    AGENT = "agent", _("Reported by the edge agent")
    # Inferred by the sweep from silence; an agent's later report for the same time wins.
    SWEEP = "sweep", _("Inferred from missing heartbeats")


class CameraStateSpan(Period):
    camera = models.ForeignKey(
        Camera, models.CASCADE, related_name="state_spans", verbose_name=_("camera")
    )
    state = models.CharField(_("state"), max_length=12, choices=CameraState.choices)
    source = models.CharField(
        _("source"), max_length=8, choices=SpanSource.choices, default=SpanSource.AGENT
    )

    class Meta:
        ordering = ["camera", "started_at"]
        verbose_name = _("camera state span")
        verbose_name_plural = _("camera state spans")
        indexes = [models.Index(fields=["camera", "ended_at"]),
                   models.Index(fields=["state", "ended_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")),
                                   name="camera_state_span_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.state} {self.started_at:%Y-%m-%d %H:%M:%S}"


class RecordingRun(Period):
    """Uninterrupted recording of one camera (Moonfire's "run"): a gap starts a new run."""

    camera = models.ForeignKey(
        Camera, models.CASCADE, related_name="recording_runs", verbose_name=_("camera")
    )

    class Meta:
        ordering = ["camera", "started_at"]
        verbose_name = _("recording run")
        verbose_name_plural = _("recording runs")
        indexes = [models.Index(fields=["camera", "ended_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")),
                                   name="recording_run_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.started_at:%Y-%m-%d %H:%M:%S}"


class RecordingSegment(Period):
    """One recorded file as the agent hashed it; the hash is what evidence is checked by."""

    camera = models.ForeignKey(
        Camera, models.CASCADE, related_name="recording_segments", verbose_name=_("camera")
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["camera", "started_at"]
        verbose_name = _("recording segment")
        verbose_name_plural = _("recording segments")
        constraints = [
            # A second, different hash for the same segment is refused, never stored.
            models.UniqueConstraint(fields=["camera", "started_at"],
                                    name="recording_segment_unique"),
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")),
                                   name="recording_segment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.sha256[:12]}"


class SignalStatus(models.TextChoices):
    LIVE = "live", _("Heartbeats arriving")
    SILENT = "silent", _("Heartbeats stopped")


class CameraHealth(models.Model):
    """The latest heartbeat of a camera; one row per camera that ever reported.

    The sweep claims LIVE rows whose ``silent_after`` has passed with a conditional UPDATE
    (healthchecks' sendalerts pattern), so two sweepers never both record one silence.
    Pages do not wait for the sweep: they judge silence from ``last_heartbeat_at`` directly.
    """

    camera = models.OneToOneField(
        Camera, models.CASCADE, related_name="health", verbose_name=_("camera")
    )
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"))
    reported_state = models.CharField(
        _("reported state"), max_length=12, choices=CameraState.choices
    )
    state_since = models.DateTimeField(_("in this state since"))
    status = models.CharField(
        _("signal"), max_length=8, choices=SignalStatus.choices, default=SignalStatus.LIVE
    )
    silent_after = models.DateTimeField(_("silent after"))
    # The agent's last heartbeat said its disk is full: it drops routine health reports
    # (their time then reads as blind) and cannot queue new footage hashes.
    agent_disk_full = models.BooleanField(_("agent's disk full"), default=False)
    # The sweep's open no_signal span while the camera stays silent; extended each sweep.
    silence_span = models.ForeignKey(
        CameraStateSpan, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("camera health")
        verbose_name_plural = _("camera health")
        indexes = [
            models.Index(fields=["silent_after"], condition=Q(status="live"),
                         name="camera_health_live_due"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.reported_state} {self.status}"


class CoverageWork(models.Model):
    """A room and a time whose coverage changed: stored blind time there is to be recomputed.

    Written in the transaction that changed the spans, stays or interrogations; consumed by
    ``coverage_work_run`` (video_sweep), which claims rows with a conditional DELETE so that
    two workers never process one row. Rows are not merged on the way in: the ingestion hot
    path only appends, and the job merges a room's rows when it reads them.
    """

    room = models.ForeignKey(Room, models.CASCADE, related_name="+", verbose_name=_("room"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    queued_at = models.DateTimeField(_("queued"))

    class Meta:
        ordering = ["queued_at", "id"]
        verbose_name = _("coverage work")
        verbose_name_plural = _("coverage work")
        indexes = [models.Index(fields=["queued_at"], name="coverage_work_by_age")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class AgentDiskAlert(models.Model):
    """A facility's edge agent says its disk is full (a heartbeat flag): open from the first
    heartbeat that says so until the first newer one that does not; e-mailed once to the
    facility's head and the region's prosecutors, shown on the facility's camera wall.
    At most one open alert per facility (a partial unique constraint)."""

    facility = models.ForeignKey(Facility, models.CASCADE, related_name="+",
                                 verbose_name=_("facility"))
    raised_at = models.DateTimeField(_("raised"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("agent disk alert")
        verbose_name_plural = _("agent disk alerts")
        constraints = [
            models.UniqueConstraint(fields=["facility"], condition=Q(cleared_at__isnull=True),
                                    name="agent_disk_alert_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} disk full {self.raised_at:%Y-%m-%d %H:%M}"


class MarkerSighting(Period):
    """A room marker (AprilTag 36h11 id) that a camera's picture showed from ``started_at``
    until ``ended_at``, as the edge agent decoded it from the frames it samples.

    A camera *proves* a room while its ``ok`` picture shows that room's marker. Sightings of
    one camera and marker less than ``MARKER_BRIDGE`` apart are stored as one interval.
    """

    camera = models.ForeignKey(
        Camera, models.CASCADE, related_name="marker_sightings", verbose_name=_("camera")
    )
    marker_id = models.PositiveSmallIntegerField(_("marker"))
    # Share of analysed frames between first and last in which it was decoded (the agent's
    # figure; the lowest of the merged reports).
    seen = models.FloatField(_("share of frames"))

    class Meta:
        ordering = ["camera", "marker_id", "started_at"]
        verbose_name = _("marker sighting")
        verbose_name_plural = _("marker sightings")
        indexes = [models.Index(fields=["camera", "marker_id", "ended_at"],
                                name="marker_sighting_by_camera")]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gte=F("started_at")),
                                   name="marker_sighting_ordered"),
            models.CheckConstraint(condition=Q(seen__gte=0) & Q(seen__lte=1),
                                   name="marker_sighting_seen_share"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} marker {self.marker_id} {self.started_at:%Y-%m-%d %H:%M}"


class CoverageIncident(models.Model):
    """Something about a facility's coverage a person must look at, opened by the centre.

    - ``foreign_marker``: a camera's picture shows the marker of a room its approved map
      does not give it (re-aimed, or a marker carried to another room);
    - ``marker_lost``: a camera working ``ok`` no longer shows the marker of a room its
      approved map gives it;
    - ``blackout``: most cameras of one site silent or failing at once. It holds all the
      site's footage, is e-mailed to the General Prosecutor's Office at once and stays open
      until the site proves coverage again.

    Opened and closed only by the centre's jobs, never by the facility.
    """

    class Kind(models.TextChoices):
        FOREIGN_MARKER = "foreign_marker", _("Camera sees another room's marker")
        MARKER_LOST = "marker_lost", _("Camera no longer sees its room's marker")
        BLACKOUT = "blackout", _("Facility blackout")

    facility = models.ForeignKey("registry.Facility", models.CASCADE,
                                 related_name="coverage_incidents", verbose_name=_("facility"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    camera = models.ForeignKey(Camera, models.CASCADE, null=True, blank=True,
                               related_name="coverage_incidents", verbose_name=_("camera"))
    room = models.ForeignKey(Room, models.CASCADE, null=True, blank=True,
                             related_name="coverage_incidents", verbose_name=_("room"))
    marker_id = models.PositiveSmallIntegerField(_("marker"), null=True, blank=True)
    started_at = models.DateTimeField(_("since"))
    raised_at = models.DateTimeField(_("raised"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("coverage incident")
        verbose_name_plural = _("coverage incidents")
        constraints = [
            # One open incident of a kind per camera and room, and one open blackout a site.
            models.UniqueConstraint(fields=["kind", "camera", "room"],
                                    condition=Q(closed_at__isnull=True, camera__isnull=False),
                                    name="coverage_incident_open_once"),
            models.UniqueConstraint(fields=["facility", "kind"],
                                    condition=Q(closed_at__isnull=True, camera__isnull=True),
                                    name="coverage_incident_site_open_once"),
        ]
        indexes = [models.Index(fields=["facility", "kind", "closed_at"],
                                name="coverage_incident_by_site")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class RemediationTicket(models.Model):
    """A blind custody room or a camera out of order for longer than
    ``CUSTODYWATCH_TICKET_AFTER_HOURS``: the facility head must fix it by ``due_at``.

    Opened, escalated and closed by the centre (video/tickets.py) only: it closes when
    recovered ``ok`` recordings (and, under the proven rule, the room's marker) prove the fix,
    never because a person says so. ``proof`` records what closed it.
    """

    class Kind(models.TextChoices):
        BLIND_ROOM = "blind_room", _("Blind custody room")
        BROKEN_CAMERA = "broken_camera", _("Camera out of order")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Fixed (proven by footage)")

    facility = models.ForeignKey("registry.Facility", models.CASCADE,
                                 related_name="remediation_tickets", verbose_name=_("facility"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    room = models.ForeignKey(Room, models.CASCADE, null=True, blank=True,
                             related_name="remediation_tickets", verbose_name=_("room"))
    camera = models.ForeignKey(Camera, models.CASCADE, null=True, blank=True,
                               related_name="remediation_tickets", verbose_name=_("camera"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    # The head of the facility when it was opened (HeadAppointment), by name as recorded.
    owner_name = models.CharField(_("owner"), max_length=200, blank=True)
    broken_since = models.DateTimeField(_("broken since"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    due_at = models.DateTimeField(_("due"))
    escalated_at = models.DateTimeField(_("escalated to the prosecutor"), null=True,
                                        blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    proof = models.JSONField(_("proof of the fix"), default=dict, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("remediation ticket")
        verbose_name_plural = _("remediation tickets")
        constraints = [
            models.UniqueConstraint(fields=["room"], condition=Q(status="open"),
                                    name="remediation_ticket_room_open_once"),
            models.UniqueConstraint(fields=["camera"], condition=Q(status="open"),
                                    name="remediation_ticket_camera_open_once"),
        ]
        indexes = [models.Index(fields=["facility", "status"], name="remediation_by_site")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.kind} {self.status}"

    def overdue(self, now) -> bool:
        return self.status == self.Status.OPEN and self.due_at < now
