"""Monitoring visits, their findings and sealed interviews, and the recommendations that
follow them (from a visit, from the UN Committee against Torture or from the Ombudsperson)
with their follow-up history and overdue alerts."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodywatch.core.models import CreatedRecord
from custodywatch.registry.models import Agency, Facility, Room


class Category(models.TextChoices):
    """What a finding or a recommendation is about (the NPM's usual report chapters)."""

    CONDITIONS = "conditions", _("Material conditions")
    TREATMENT = "treatment", _("Treatment")
    SAFEGUARDS = "safeguards", _("Legal safeguards")
    HEALTH_CARE = "health_care", _("Health care")
    VIDEO_SURVEILLANCE = "video_surveillance", _("Video surveillance")
    REGIME = "regime", _("Regime and activities")
    CONTACT = "contact", _("Contact with the outside world")
    COMPLAINTS = "complaints", _("Complaints and inspection")
    STAFF = "staff", _("Staff")
    OTHER = "other", _("Other")


class Visit(CreatedRecord):
    class Kind(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNANNOUNCED = "unannounced", _("Unannounced")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    facility = models.ForeignKey(
        Facility, models.CASCADE, related_name="visits", verbose_name=_("facility")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    rooms_inspected = models.ManyToManyField(
        Room, related_name="visits", blank=True, verbose_name=_("places inspected")
    )
    summary = models.TextField(_("summary"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["facility", "-starts_on"]),
                   models.Index(fields=["starts_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                   name="visit_period_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.facility.code} {self.starts_on:%Y-%m-%d}"


class TeamMember(models.Model):
    """One person of a visiting team; civil-society members may have no account."""

    class Affiliation(models.TextChoices):
        NPM = "npm", _("NPM member")
        OMBUDSPERSON = "ombudsperson", _("Ombudsperson's staff")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        EXPERT = "expert", _("Expert (medical, legal, other)")

    visit = models.ForeignKey(Visit, models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    affiliation = models.CharField(_("affiliation"), max_length=20, choices=Affiliation.choices)
    is_leader = models.BooleanField(_("team leader"), default=False)

    class Meta:
        ordering = ["-is_leader", "full_name"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return self.full_name


class Finding(models.Model):
    """An observation made during a visit. `uuid` is made by the recording device, so an
    offline tablet and the server agree on which finding is which; `revision` grows with
    every change so an edit made on a stale copy is recognised as a conflict."""

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, models.CASCADE, related_name="findings")
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    room = models.ForeignKey(
        Room, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("room")
    )
    text = models.TextField(_("finding"))
    revision = models.PositiveIntegerField(default=1)
    conflict_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="conflicting_versions",
        verbose_name=_("conflicting version of"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.text[:60]}"


def photo_path(instance: FindingPhoto, filename: str) -> str:
    return f"visits/photos/{instance.finding.visit_id}/{uuid.uuid4().hex}{_suffix(filename)}"


def _suffix(filename: str) -> str:
    lowered = filename.lower()
    for suffix in (".jpg", ".jpeg", ".png", ".webp"):
        if lowered.endswith(suffix):
            return suffix
    return ".bin"


class FindingPhoto(models.Model):
    finding = models.ForeignKey(Finding, models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=photo_path)
    content_type = models.CharField(max_length=50)
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [models.UniqueConstraint(fields=["finding", "sha256"],
                                               name="finding_photo_once")]

    def __str__(self) -> str:
        return f"photo {self.sha256[:12]}"


class Interview(models.Model):
    """A private interview. The notes are sealed (custodywatch.core.sealing) and read only
    by monitors, every read audited: a facility's staff must never learn who said what."""

    class Interviewee(models.TextChoices):
        DETAINEE = "detainee", _("Person deprived of liberty")
        STAFF = "staff", _("Staff member")
        MEDICAL = "medical", _("Medical staff")
        OTHER = "other", _("Other")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, models.CASCADE, related_name="interviews")
    interviewee = models.CharField(_("interviewee"), max_length=20, choices=Interviewee.choices)
    in_private = models.BooleanField(_("held in private"), default=True)
    room = models.ForeignKey(
        Room, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("room")
    )
    sealed_notes = models.BinaryField(editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")

    def __str__(self) -> str:
        return f"{self.get_interviewee_display()} ({self.visit})"

    def seal_context(self) -> str:
        return f"visits.interview:{self.uuid}"


class Source(models.TextChoices):
    VISIT = "visit", _("NPM visit")
    UN_CAT = "un_cat", _("UN Committee against Torture")
    OMBUDSPERSON = "ombudsperson", _("Ombudsperson")
    SPT = "spt", _("UN Subcommittee on Prevention of Torture")
    UPR = "upr", _("Universal Periodic Review")
    SPECIAL_PROCEDURES = "special_procedures", _("UN special procedures")


# Sources whose recommendations name an official reference (a document symbol and paragraph)
# and are published on the public page; a visit's recommendations reach the public only as
# counts (the NPM's annual report): their words may point at people.
INTERNATIONAL_SOURCES = (Source.UN_CAT, Source.SPT, Source.UPR, Source.SPECIAL_PROCEDURES)
PUBLIC_SOURCES = (*INTERNATIONAL_SOURCES, Source.OMBUDSPERSON)


# A target of the 17 Sustainable Development Goals: "16.3", "5.2", "16.a".
SDG_TARGET = re.compile(r"(?:[1-9]|1[0-7])\.(?:[1-9]|1[0-9]|[a-c])")


def sdg_sort_key(target: str) -> tuple[int, int, str]:
    goal, _dot, part = target.partition(".")
    return (int(goal) if goal.isdigit() else 99, int(part) if part.isdigit() else 99, part)


class AffectedGroup(models.TextChoices):
    """Who a recommendation concerns (as OHCHR's recommendation databases tag them)."""

    PERSONS_DEPRIVED_OF_LIBERTY = "deprived_of_liberty", _("Persons deprived of liberty")
    WOMEN = "women", _("Women and girls")
    CHILDREN = "children", _("Children")
    PERSONS_WITH_DISABILITIES = "disabilities", _("Persons with disabilities")
    MENTAL_HEALTH = "mental_health", _("Persons with mental health conditions")
    MIGRANTS = "migrants", _("Migrants, refugees and foreign nationals")
    MINORITIES = "minorities", _("Ethnic, religious or linguistic minorities")
    HUMAN_RIGHTS_DEFENDERS = "defenders", _("Human rights defenders")
    VICTIMS = "victims", _("Victims of torture and their families")


class ResponseLevel(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted")
    NOTED = "noted", _("Noted")
    REJECTED = "rejected", _("Rejected")


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    PARTIALLY = "partially", _("Partially implemented")
    NOT_IMPLEMENTED = "not_implemented", _("Not implemented")
    NO_LONGER_RELEVANT = "no_longer_relevant", _("No longer relevant")


# A recommendation's follow-up ends with these; every other status keeps it open.
CLOSED_STATUSES = (ImplementationStatus.IMPLEMENTED, ImplementationStatus.NO_LONGER_RELEVANT)


class RecommendationGroup(CreatedRecord):
    """Recommendations of different bodies that ask the same thing share their follow-up."""

    title = models.CharField(_("title"), max_length=300)

    class Meta:
        verbose_name = _("group of recommendations")
        verbose_name_plural = _("groups of recommendations")

    def __str__(self) -> str:
        return self.title


class Recommendation(CreatedRecord):
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # A visit's recommendations outlive it (SET_NULL); that a recommendation from a visit
    # names its visit is checked when it is issued (services.recommendation_issue).
    visit = models.ForeignKey(
        Visit, models.SET_NULL, null=True, blank=True, related_name="recommendations",
        verbose_name=_("visit"),
    )
    finding = models.ForeignKey(
        Finding, models.SET_NULL, null=True, blank=True, related_name="recommendations",
        verbose_name=_("finding"),
    )
    facility = models.ForeignKey(
        Facility, models.CASCADE, null=True, blank=True, related_name="recommendations",
        verbose_name=_("facility concerned"),
    )
    addressee_body = models.ForeignKey(
        Agency, models.PROTECT, related_name="recommendations", verbose_name=_("addressed to")
    )
    responsible_official = models.CharField(_("responsible official"), max_length=200)
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("responsible official's account"),
    )
    superior_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("superior's account"),
    )
    text = models.TextField(_("recommendation"))
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    cat_reference = models.CharField(
        _("official reference"), max_length=200, blank=True,
        help_text=_("The document and paragraph, e.g. CAT/C/KAZ/CO/4, para. 12; "
                    "A/HRC/43/10, para. 140.12; or the Convention's article"),
    )
    affected_groups = models.JSONField(_("groups concerned"), default=list, blank=True)
    # Sustainable Development Goal targets, e.g. "16.3", "16.a" (goals 1-17).
    sdg_targets = models.JSONField(_("SDG targets"), default=list, blank=True)
    issued_on = models.DateField(_("issued on"))
    deadline = models.DateField(_("deadline"))
    response_level = models.CharField(
        _("addressee's response"), max_length=20, choices=ResponseLevel.choices, blank=True
    )
    status = models.CharField(
        _("implementation status"), max_length=20, choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOT_STARTED,
    )
    group = models.ForeignKey(
        RecommendationGroup, models.SET_NULL, null=True, blank=True,
        related_name="recommendations", verbose_name=_("group"),
    )

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        indexes = [models.Index(fields=["facility", "status"]),
                   models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gte=models.F("issued_on")),
                                   name="recommendation_deadline_after_issue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.text[:60]}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def affected_group_labels(self) -> list[str]:
        labels = dict(AffectedGroup.choices)
        return [str(labels.get(group, group)) for group in self.affected_groups]


class Evidence(models.Model):
    """What a status is based on. A monitor's own observation at a visit weighs most; an
    addressee's own report is kept but never alone makes a recommendation implemented."""

    class Kind(models.TextChoices):
        SEEN_AT_VISIT = "seen_at_visit", _("Seen by monitors at a visit")
        DOCUMENT = "document", _("Document")
        SELF_REPORTED = "self_reported", _("Reported by the addressee")

    recommendation = models.ForeignKey(Recommendation, models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind of evidence"), max_length=20, choices=Kind.choices)
    visit = models.ForeignKey(
        Visit, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("visit")
    )
    description = models.TextField(_("description"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("evidence of implementation")
        verbose_name_plural = _("evidence of implementation")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:60]}"


class Response(models.Model):
    """The addressee's answer, with the level of acceptance it declares."""

    recommendation = models.ForeignKey(
        Recommendation, models.CASCADE, related_name="responses"
    )
    level = models.CharField(_("response"), max_length=20, choices=ResponseLevel.choices)
    text = models.TextField(_("answer"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answered_at", "id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.text[:60]}"


class StatusChange(models.Model):
    """The history of a recommendation's implementation status; rows are never changed."""

    recommendation = models.ForeignKey(
        Recommendation, models.CASCADE, related_name="status_history"
    )
    from_status = models.CharField(max_length=20, choices=ImplementationStatus.choices)
    to_status = models.CharField(max_length=20, choices=ImplementationStatus.choices)
    # Services never change a status without evidence; SET_NULL only so that deleting a
    # recommendation (a demo reset) can take its evidence along with it.
    evidence = models.ForeignKey(Evidence, models.SET_NULL, null=True,
                                 related_name="status_changes")
    note = models.TextField(_("note"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class ChecklistItem(models.Model):
    """One open recommendation to check at a visit: the next visit's checklist."""

    visit = models.ForeignKey(Visit, models.CASCADE, related_name="checklist")
    recommendation = models.ForeignKey(Recommendation, models.CASCADE, related_name="+")
    observed_status = models.CharField(
        _("status seen"), max_length=20, choices=ImplementationStatus.choices, blank=True
    )
    note = models.TextField(_("what was seen"), blank=True)

    class Meta:
        ordering = ["recommendation__deadline", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "recommendation"],
                                               name="checklist_item_once")]

    def __str__(self) -> str:
        return f"{self.visit_id}/{self.recommendation_id}"


class OverdueAlert(models.Model):
    """A recommendation past its deadline, told to one person once per deadline.

    Raised by `visits_sweep`; the e-mail is claimed with a conditional UPDATE on
    `mailed_at`, as the custody sweep does, so two sweepers never send it twice."""

    class Level(models.TextChoices):
        ADDRESSEE = "addressee", _("Addressee")
        SUPERIOR = "superior", _("Superior")

    recommendation = models.ForeignKey(Recommendation, models.CASCADE, related_name="alerts")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=Level.choices)
    deadline = models.DateField()
    raised_at = models.DateTimeField()
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "id"]
        constraints = [models.UniqueConstraint(
            fields=["recommendation", "recipient", "deadline"], name="overdue_alert_once")]
        indexes = [models.Index(fields=["mailed_at"], condition=Q(mailed_at__isnull=True),
                                name="overdue_alert_unmailed")]

    def __str__(self) -> str:
        return f"overdue #{self.recommendation_id} → {self.recipient_id}"


class PlanningWeight(models.Model):
    """A configured weight of one planning factor; factors without a row use the default."""

    factor = models.CharField(_("factor"), max_length=40, unique=True)
    weight = models.FloatField(_("weight"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("planning weight")
        verbose_name_plural = _("planning weights")

    def __str__(self) -> str:
        return f"{self.factor}={self.weight}"


class CommentStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    HELD = "held", _("Held for moderation")
    REJECTED = "rejected", _("Not published")


class RecommendationComment(models.Model):
    """A registered NGO's comment on a public recommendation (issue 24 item 6), shown on the
    public page with the organisation's name. One that may identify a person (a detainee's
    name, an IIN, a phone number, an e-mail: kernels/personal_data.py) is held until a
    moderator publishes or rejects it."""

    recommendation = models.ForeignKey(Recommendation, models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    # The organisation's name when the comment was written (what the public sees).
    organisation = models.CharField(_("organisation"), max_length=200)
    text = models.TextField(_("comment"))
    status = models.CharField(_("status"), max_length=10, choices=CommentStatus.choices,
                              db_index=True)
    held_for = models.JSONField(_("held for"), default=list, blank=True)
    created_at = models.DateTimeField(_("written"))
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    moderation_note = models.CharField(_("moderator's note"), max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("NGO comment")
        verbose_name_plural = _("NGO comments")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.text[:60]}"
