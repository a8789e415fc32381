"""Live view of interrogations in transparent rooms: who may watch, who watched, and when the
picture was missing.

A viewer's link carries a high-entropy code; only its SHA-256 is kept. The first opening
binds the link to one browser (a signed cookie whose secret is kept as a SHA-256 too), so a
forwarded link opens nothing on a second device. Every watching is a `Watching` row and an
audit event (thus a ledger leaf). See docs/liveview.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from custodywatch.custody.models import Interrogation


class ViewingSession(models.Model):
    """The live view of one interrogation in a transparent room."""

    interrogation = models.OneToOneField(Interrogation, models.CASCADE,
                                         related_name="viewing_session",
                                         verbose_name=_("interrogation"))
    opened_at = models.DateTimeField(_("opened"))

    class Meta:
        verbose_name = _("viewing session")
        verbose_name_plural = _("viewing sessions")

    def __str__(self) -> str:
        return f"live {self.interrogation_id}"


class Relationship(models.TextChoices):
    LAWYER = "lawyer", _("Lawyer")
    SPOUSE = "spouse", _("Spouse or partner")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    LEGAL_REPRESENTATIVE = "representative", _("Legal representative")


class WatchRequest(models.Model):
    """A relative or lawyer asks to watch a person's interrogations (issue 23, item 7).

    Made on the public site or through an operator; an operator checks the requester's
    identity and finds the person's custody record; the prosecutor grants or refuses. The
    facility, a party, is never asked and reads nothing of it (selectors hide the links given
    for a request from facility-bound readers). An interrogation of the person held after a
    grant without the link offered to the requester is flagged (WatchLinkMissing)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting the identity check")
        CHECKED = "checked", _("Identity checked: with the prosecutor")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    class Channel(models.TextChoices):
        WEB = "web", _("Public website")
        OPERATOR = "operator", _("Operator")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.SUBMITTED)
    created_at = models.DateTimeField(_("received"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("taken by"))
    requester_name = models.CharField(_("requester's full name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=20,
                                    choices=Relationship.choices)
    contact = models.CharField(_("contact"), max_length=300)
    person_name = models.CharField(_("full name of the person held"), max_length=200)
    facility = models.ForeignKey("registry.Facility", models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("facility"))
    custody_record = models.ForeignKey("custody.CustodyRecord", models.PROTECT, null=True,
                                       blank=True, related_name="watch_requests",
                                       verbose_name=_("custody record"))
    identity_document = models.CharField(_("identity document checked"), max_length=200,
                                         blank=True)
    identity_checked_at = models.DateTimeField(_("identity checked"), null=True, blank=True)
    identity_checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL,
                                            null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("request to watch")
        verbose_name_plural = _("requests to watch")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["submitted"]) | Q(custody_record__isnull=False),
                name="watch_request_checked_has_record"),
        ]

    def __str__(self) -> str:
        return self.reference


class Viewer(models.Model):
    """A person named to watch; the link works only while the interrogation lasts."""

    session = models.ForeignKey(ViewingSession, models.CASCADE, related_name="viewers",
                                verbose_name=_("viewing session"))
    full_name = models.CharField(_("full name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=20,
                                    choices=Relationship.choices)
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("named"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("named by"))
    bound_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    browser_hash = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("revoked by"))
    # The link offered by the prosecutor's office for a granted request (hidden from the
    # facility's readers: selectors.visible_viewers).
    watch_request = models.ForeignKey(WatchRequest, models.PROTECT, null=True, blank=True,
                                      related_name="viewers", verbose_name=_("request"))

    class Meta:
        ordering = ["session", "created_at", "id"]
        verbose_name = _("viewer")
        verbose_name_plural = _("viewers")
        constraints = [
            models.CheckConstraint(condition=Q(bound_at__isnull=True, browser_hash="")
                                   | Q(bound_at__isnull=False) & ~Q(browser_hash=""),
                                   name="viewer_bound_has_browser"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_relationship_display()})"


class Watching(models.Model):
    """One viewer watching once: from the page's opening to the last frame served."""

    viewer = models.ForeignKey(Viewer, models.CASCADE, related_name="watchings",
                               verbose_name=_("viewer"))
    started_at = models.DateTimeField(_("started"))
    last_frame_at = models.DateTimeField(_("last frame"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["viewer", "started_at", "id"]
        verbose_name = _("watching")
        verbose_name_plural = _("watchings")
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gte=F("started_at")),
                                   name="watching_ends_after_start"),
        ]
        indexes = [models.Index(fields=["started_at"], name="watching_open",
                                condition=Q(ended_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.viewer_id} {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def duration_seconds(self) -> int:
        end = self.ended_at or self.last_frame_at or self.started_at
        return max(int((end - self.started_at).total_seconds()), 0)


class FeedGap(models.Model):
    """No frame from the room's cameras for longer than the allowed gap during an
    interrogation: from the last frame (or the start) until the picture came back."""

    interrogation = models.ForeignKey(Interrogation, models.CASCADE, related_name="feed_gaps",
                                      verbose_name=_("interrogation"))
    started_at = models.DateTimeField(_("picture lost"))
    ended_at = models.DateTimeField(_("picture back"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"))
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["interrogation", "started_at"]
        verbose_name = _("live feed gap")
        verbose_name_plural = _("live feed gaps")
        constraints = [
            # The sweep is idempotent: one open gap per interrogation at a time.
            models.UniqueConstraint(fields=["interrogation"], condition=Q(ended_at__isnull=True),
                                    name="feed_gap_one_open"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gte=F("started_at")),
                                   name="feed_gap_ends_after_start"),
        ]
        indexes = [models.Index(fields=["detected_at"], name="feed_gap_unmailed",
                                condition=Q(mailed_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.interrogation_id} {self.started_at:%Y-%m-%d %H:%M:%S}"


class LinkAttempt(models.Model):
    """A try at a viewer's code, by a keyed hash of the address (addresses are not kept)."""

    address_key = models.CharField(max_length=64)
    at = models.DateTimeField()
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["address_key", "at"], name="live_attempt_by_address")]

    def __str__(self) -> str:
        return f"{self.address_key[:8]} {self.at:%Y-%m-%d %H:%M} {self.succeeded}"


class WatchLinkMissing(models.Model):
    """An interrogation of a person held after a request to watch was granted, with no link
    offered to the requester: a flag for the prosecutor (services.watch_links_sweep)."""

    watch_request = models.ForeignKey(WatchRequest, models.CASCADE, related_name="missing_links",
                                      verbose_name=_("request"))
    interrogation = models.ForeignKey(Interrogation, models.CASCADE, related_name="+",
                                      verbose_name=_("interrogation"))
    detected_at = models.DateTimeField(_("detected"))

    class Meta:
        ordering = ["-detected_at"]
        verbose_name = _("interrogation without the link offered")
        verbose_name_plural = _("interrogations without the link offered")
        constraints = [models.UniqueConstraint(fields=["watch_request", "interrogation"],
                                               name="watch_link_missing_once")]

    def __str__(self) -> str:
        return f"{self.watch_request_id} {self.interrogation_id}"
