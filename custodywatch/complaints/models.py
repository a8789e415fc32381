"""Complaints and appeals: intake, receipt codes, sealed identity, triage, routing, legal holds.

Who sees what is decided in selectors.py and written down in docs/complaints.md. Nothing in
these tables is shown to the staff of the facility a complaint is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from custodywatch.complaints.timeline_text import render
from custodywatch.core.sealing import blind_token, blind_tokens, seal, unseal
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Facility, Region, Room


class Channel(models.TextChoices):
    WEB = "web", _("Public web form")
    KIOSK = "kiosk", _("Kiosk in a facility")
    HOTLINE = "hotline", _("Hotline (operator)")
    LAWYER = "lawyer", _("Lawyer (operator)")
    RELATIVE = "relative", _("Relative (operator)")
    NPM_VISIT = "npm_visit", _("NPM visit (operator)")
    E_APPEALS = "e_appeals", _("E-appeals system (API)")
    # Opened by the system itself from an independent medical examination or a death in
    # custody (medical/referrals.py): nobody decides whether it happens.
    EX_OFFICIO = "ex_officio", _("Ex officio (automatic referral)")


OPERATOR_CHANNELS = [Channel.HOTLINE, Channel.LAWYER, Channel.RELATIVE, Channel.NPM_VISIT]


class Category(models.TextChoices):
    """The allegation classes of custodywatch.kernels.triage.Allegation, with labels."""

    TORTURE = "torture", _("Torture")
    CRUEL_TREATMENT = "cruel_treatment", _("Cruel, inhuman or degrading treatment")
    THREATS = "threats", _("Threats and intimidation")
    DENIAL_OF_CARE = "denial_of_care", _("Denial of a lawyer or of medical care")
    CONDITIONS = "conditions", _("Conditions of detention")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    HIGH = "high", _("High: still held by the accused unit")
    NORMAL = "normal", _("Normal")


class HandlingBody(models.TextChoices):
    PROSECUTOR = "prosecutor", _("Prosecutor's office")
    OMBUDSPERSON = "ombudsperson", _("Ombudsperson")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received, awaiting registration")
    REGISTERED = "registered", _("Registered, under examination")
    AWAITING_COMPLAINANT = "awaiting_complainant", _("Waiting for the complainant's answer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = [Status.RECEIVED, Status.REGISTERED, Status.AWAITING_COMPLAINANT]


class Disposition(models.TextChoices):
    """How a complaint ended: required at closing (services.complaint_close)."""

    REFERRED = "referred", _("Referred for pre-trial investigation")
    CASE_OPENED = "case_opened", _("Criminal case opened")
    REFUSED = "refused", _("Refused, on a legal ground")
    SUBSTANTIATED = "substantiated", _("Examined: substantiated")
    NOT_SUBSTANTIATED = "not_substantiated", _("Examined: not substantiated")
    REMEDY = "remedy", _("Remedy given")


# The dispositions that need words beside them: the register or case number, the legal
# ground of a refusal, the remedy given.
DISPOSITION_DETAIL_REQUIRED = {Disposition.REFERRED, Disposition.CASE_OPENED,
                               Disposition.REFUSED, Disposition.REMEDY}


def inbox_order() -> tuple:
    """The inbox's order: complaints still open first, high urgency before normal ("high" <
    "normal"), then the earliest answer due. The index complaint_inbox_order is this order."""
    still_open = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1),
                      output_field=IntegerField())
    return (still_open, F("urgency").asc(), F("answer_due_at").asc(), F("id").desc())


class Language(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")
    KYRGYZ = "ky", _("Kyrgyz")
    UZBEK = "uz", _("Uzbek")
    TAJIK = "tg", _("Tajik")
    UYGHUR = "ug", _("Uyghur")
    UNKNOWN = "", _("Not recognised")


class Anomaly(models.TextChoices):
    """Why a complaint is flagged for its handler (it is filed all the same)."""

    NONE = "", _("None")
    TERMINAL_BURST = "terminal_burst", _("Burst of complaints from one terminal")


class Terminal(models.Model):
    """A complaint terminal in a facility, known to the centre as a device.

    Enrolled once with a one-time code typed on the device (``enrolment_key``: a keyed hash
    of it, until it is used or expires); the device then holds its own credential, a random
    secret in a signed HttpOnly cookie, of which only the SHA-256 is kept here
    (``device_key_hash``). Revoked: the credential opens nothing. Only an enrolled terminal
    of a facility files complaints as "kiosk" (complaints/terminals.py).
    """

    class Kind(models.TextChoices):
        KIOSK = "kiosk", _("Complaint terminal")
        # The on-site "designated place" (issue 23, item 7): a screen in the waiting room that
        # shows a present relative the room of an interrogation he was granted to watch, and
        # nothing else; it files no complaint.
        WAITING_ROOM = "waiting_room", _("Waiting-room screen (live view)")

    facility = models.ForeignKey(Facility, models.PROTECT, related_name="complaint_terminals",
                                 verbose_name=_("facility"))
    place = models.CharField(_("place in the facility"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.KIOSK)
    created_at = models.DateTimeField(_("added"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    enrolment_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    enrolment_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    device_key_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    enrolled_at = models.DateTimeField(_("enrolled"), null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    # The per-terminal rate window (terminals.note_filing): when it began and how many
    # complaints it has seen. No filing time is kept per complaint beyond the batch window.
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["facility__code", "place", "id"]
        verbose_name = _("complaint terminal")
        verbose_name_plural = _("complaint terminals")
        constraints = [
            models.UniqueConstraint(fields=["enrolment_key"], condition=~Q(enrolment_key=""),
                                    name="terminal_enrolment_key_unique"),
        ]

    def __str__(self) -> str:
        return f"T{self.pk} {self.facility_id} {self.place}"

    @property
    def is_active(self) -> bool:
        return self.enrolled_at is not None and self.revoked_at is None


class TerminalUptime(models.Model):
    """A span in which a terminal's heartbeats came no further apart than the gap
    (terminals.HEARTBEAT_GAP): the terminal was on and reached the centre."""

    terminal = models.ForeignKey(Terminal, models.CASCADE, related_name="uptimes")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ["terminal", "started_at"]
        indexes = [models.Index(fields=["terminal", "ended_at"], name="terminal_uptime_end")]
        constraints = [models.CheckConstraint(condition=Q(ended_at__gte=F("started_at")),
                                              name="terminal_uptime_ordered")]

    def __str__(self) -> str:
        return f"{self.terminal_id} {self.started_at:%Y-%m-%d %H:%M}–{self.ended_at:%H:%M}"


class TerminalAlert(models.Model):
    """An enrolled terminal silent longer than the set time (terminals.silent_after):
    raised by the centre's sweep, e-mailed to the NPM and the region's prosecutors (never to
    the facility alone), cleared by the terminal's next heartbeat. One open per terminal."""

    terminal = models.ForeignKey(Terminal, models.CASCADE, related_name="alerts",
                                 verbose_name=_("complaint terminal"))
    silent_since = models.DateTimeField(_("silent since"))
    raised_at = models.DateTimeField(_("raised"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("terminal alert")
        verbose_name_plural = _("terminal alerts")
        constraints = [
            models.UniqueConstraint(fields=["terminal"], condition=Q(cleared_at__isnull=True),
                                    name="terminal_alert_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.terminal_id} silent since {self.silent_since:%Y-%m-%d %H:%M}"


class Complaint(models.Model):
    # A public number for letters and for the handler; it opens nothing without the code.
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"), db_index=True)
    # The complaint's words and the officers it accuses are sealed like the identity
    # (core.sealing, contexts below): a copied database alone reveals no complaint. Read and
    # write them through the ``text`` and ``accused_officers`` properties; search goes through
    # ``search_index``, keyed hashes of their words (a blind index).
    text_sealed = models.BinaryField(_("complaint (sealed)"), null=True, blank=True,
                                     editable=False)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices,
                                blank=True)

    # What the complaint is about.
    facility = models.ForeignKey(Facility, models.PROTECT, null=True, blank=True,
                                 related_name="complaints", verbose_name=_("facility concerned"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="complaints",
                               verbose_name=_("region"))
    accused_sealed = models.BinaryField(_("officers accused (sealed)"), null=True, blank=True,
                                        editable=False)
    search_index = models.TextField(blank=True, default="", editable=False)
    incident_started_at = models.DateTimeField(_("incident from"), null=True, blank=True)
    incident_ended_at = models.DateTimeField(_("incident until"), null=True, blank=True)
    still_in_custody = models.BooleanField(_("still held by the accused unit"), default=False)
    custody_record = models.ForeignKey(CustodyRecord, models.SET_NULL, null=True, blank=True,
                                       related_name="complaints",
                                       verbose_name=_("custody record"))

    # Triage: the machine's suggestion and the person's decision, both kept (bench/triage.py).
    suggested_category = models.CharField(_("suggested category"), max_length=20,
                                          choices=Category.choices)
    triggering_words = models.JSONField(_("words that triggered it"), default=list, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    triage_confirmed_at = models.DateTimeField(_("triage confirmed"), null=True, blank=True)
    triage_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL,
                                            null=True, blank=True, related_name="+")

    # Routing and clocks.
    handling_body = models.CharField(_("handled by"), max_length=20,
                                     choices=HandlingBody.choices)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                blank=True, related_name="complaints_handled",
                                verbose_name=_("handling official"))
    status = models.CharField(_("status"), max_length=25, choices=Status.choices,
                              default=Status.RECEIVED, db_index=True)
    registration_due_at = models.DateTimeField(_("registration due"))
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    answer_due_at = models.DateTimeField(_("answer due"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    disposition = models.CharField(_("disposition"), max_length=20,
                                   choices=Disposition.choices, blank=True, default="")
    disposition_detail = models.CharField(_("register number, legal ground or remedy"),
                                          max_length=300, blank=True, default="")
    # When the handler was told that the complainant was moved to another facility.
    transfer_alerted_at = models.DateTimeField(_("transfer alert sent"), null=True, blank=True)

    # The complainant.
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    identity_sealed = models.BinaryField(_("identity (sealed)"), null=True, blank=True,
                                         editable=False)
    # Argon2id of the secret part of the receipt code; the locator part finds the row.
    receipt_locator = models.CharField(max_length=8, unique=True, editable=False)
    receipt_hash = models.CharField(max_length=200, editable=False)
    # The short code with the person's PIN (receipts.new_short_code), for complaints filed
    # with a PIN: its locator finds the row, the rest and the PIN are one Argon2id hash.
    short_locator = models.CharField(max_length=6, unique=True, null=True, blank=True,
                                     editable=False)
    short_hash = models.CharField(max_length=200, blank=True, default="", editable=False)
    # SHA-256 of the proof of filing (the ledger leaf commits to it).
    receipt_sha256 = models.CharField(_("proof-of-filing hash"), max_length=64, editable=False)
    # The enrolled terminal a kiosk complaint came from, and what the handler must know
    # about how it came (a burst from that terminal): flagged, never dropped.
    terminal = models.ForeignKey(Terminal, models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("complaint terminal"))
    anomaly = models.CharField(_("flag"), max_length=20, choices=Anomaly.choices, blank=True,
                               default="")

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["region", "handling_body", "status"]),
            models.Index(fields=["facility", "received_at"]),
            # The inbox's order (inbox_order): its first page is read off this index
            # instead of sorting every complaint in scope (national inbox 67 -> 31 ms).
            models.Index(*inbox_order(), name="complaint_inbox_order"),
        ]
        constraints = [
            models.CheckConstraint(
                name="complaint_incident_ends_after_start",
                condition=Q(incident_ended_at__isnull=True)
                | Q(incident_started_at__isnull=True)
                | Q(incident_ended_at__gt=F("incident_started_at")),
            ),
        ]

    def __str__(self) -> str:
        # Never the complainant's name: labels end up in the audit trail.
        return self.reference

    def save(self, *args, **kwargs) -> None:
        if not self.__dict__.get("_contents_changed"):
            super().save(*args, **kwargs)
            return
        if self.pk is None:  # the sealing context names the row: insert it first
            super().save(*args, **kwargs)
            args, kwargs = (), {"update_fields": []}
        self.seal_contents()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *SEALED_FIELDS}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # ------------------------------------------------------------ sealed contents

    def _opened(self, name: str, sealed: bytes | memoryview | None, context: str) -> str:
        if name not in self.__dict__:
            self.__dict__[name] = unseal(bytes(sealed), context=context).decode() \
                if sealed else ""
        return self.__dict__[name]

    @property
    def text(self) -> str:
        return self._opened("_text", self.text_sealed, text_context(self.pk))

    @text.setter
    def text(self, value: str) -> None:
        self.__dict__["_text"] = value
        self.__dict__["_contents_changed"] = True

    @property
    def accused_officers(self) -> str:
        return self._opened("_accused", self.accused_sealed, accused_context(self.pk))

    @accused_officers.setter
    def accused_officers(self, value: str) -> None:
        self.__dict__["_accused"] = value
        self.__dict__["_contents_changed"] = True

    def seal_contents(self) -> None:
        """Seal the text and the accused officers in this row's contexts (needs the pk)."""
        text, accused = self.text, self.accused_officers
        self.text_sealed = seal(text.encode(), context=text_context(self.pk))
        self.accused_sealed = seal(accused.encode(), context=accused_context(self.pk)) \
            if accused else None
        self.search_index = search_index(text, accused)
        self.__dict__["_contents_changed"] = False

    @classmethod
    def seal_created(cls, complaints: Iterable[Self]) -> None:
        """After ``bulk_create`` (which skips ``save``): seal and store their contents."""
        rows = list(complaints)
        for complaint in rows:
            complaint.seal_contents()
        cls.objects.bulk_update(rows, list(SEALED_FIELDS), batch_size=500)


SEALED_FIELDS = ("text_sealed", "accused_sealed", "search_index")
_WORD = re.compile(r"\w+")
SEARCH_PURPOSE = "complaints.search"


def text_context(complaint_id: int | None) -> str:
    return f"complaints.text:{complaint_id}"


def accused_context(complaint_id: int | None) -> str:
    return f"complaints.accused:{complaint_id}"


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.casefold()) if len(word) > 1}


def search_index(*texts: str) -> str:
    """The blind index of some texts: one keyed token per distinct word, space-delimited."""
    words = set().union(*(_words(text) for text in texts))
    tokens = sorted({blind_token(word, purpose=SEARCH_PURPOSE) for word in words})
    return f" {' '.join(tokens)} " if tokens else ""


def search_tokens(query: str) -> list[list[str]]:
    """For each word of a query, the tokens that find it (one per key of the key file)."""
    return [blind_tokens(word, purpose=SEARCH_PURPOSE) for word in sorted(_words(query))]


def identity_context(complaint_id: int) -> str:
    """The sealing context of a complaint's identity: a sealed value opens only in its row."""
    return f"complaints.identity:{complaint_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is the content hash: no complainant-chosen name reaches the disk.
    return f"complaints/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    media_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    from_complainant = models.BooleanField(default=True)
    # Sent with the complaint itself: its hash is in the proof of filing (receipts.py), which
    # ``ledger verify`` re-derives; a file sent later with a reply is not.
    at_intake = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.complaint_id}/{self.sha256[:12]}"


class Message(models.Model):
    class Sender(models.TextChoices):
        COMPLAINANT = "complainant", _("Complainant")
        OFFICIAL = "official", _("Official")

    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="messages")
    sender = models.CharField(_("from"), max_length=15, choices=Sender.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                               blank=True, related_name="+")
    body = models.TextField(_("message"))
    is_question = models.BooleanField(_("asks the complainant a question"), default=False)
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.sender} {self.sent_at:%Y-%m-%d %H:%M}"


class TimelineEvent(models.Model):
    """What happened to a complaint, in words a handler and a court can follow."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        TRIAGED = "triaged", _("Triage confirmed")
        ROUTED = "routed", _("Routed")
        REASSIGNED = "reassigned", _("Reassigned")
        REGISTERED = "registered", _("Registered")
        MESSAGE = "message", _("Message")
        HOLD = "hold", _("Legal hold")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")
        IDENTITY = "identity", _("Identity unsealed")
        LINKED = "linked", _("Custody record linked")
        CASE_OPENED = "case_opened", _("Case opened")
        ACCUSED = "accused", _("Accused officers")

    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="timeline")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The event's words, translated when read (complaints/timeline_text.py); `note` is free
    # text kept as typed.
    parts = models.JSONField(_("words"), default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def described(self) -> str:
        """The words and the note, in the reader's language."""
        words = [render(part, TIMELINE_CHOICES) for part in self.parts]
        return " · ".join(word for word in [*words, self.note] if word)


class IdentityAccess(models.Model):
    """A request to see a complainant's identity, and its approval by a custodian.

    Break-the-glass: a handler of an urgent complaint may open it at once; such an opening
    is listed for the custodian's review afterwards (`reviewed_at`).
    """

    class Kind(models.TextChoices):
        REQUEST = "request", _("Request for a custodian's approval")
        BREAK_GLASS = "break_glass", _("Break the glass (urgent)")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Awaiting a custodian")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="identity_accesses")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices,
                                default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("access until"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                    blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("identity access")
        verbose_name_plural = _("identity accesses")

    def __str__(self) -> str:
        return f"identity access {self.pk} ({self.kind}, {self.decision})"


class LegalHold(models.Model):
    """Footage that must not be deleted: a facility's rooms (or all of it) over a period.

    A hold beats every retention rule (GlobaLeaks #3591: reports deleted at expiry). Video
    retention reads `footage_on_hold` in selectors.py before it deletes anything.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RELEASED = "released", _("Released")

    complaint = models.ForeignKey(Complaint, models.PROTECT, related_name="legal_holds")
    facility = models.ForeignKey(Facility, models.PROTECT, related_name="legal_holds")
    rooms = models.ManyToManyField(Room, blank=True, related_name="legal_holds",
                                   help_text=_("None: every room of the facility."))
    custody_record = models.ForeignKey(CustodyRecord, models.SET_NULL, null=True, blank=True,
                                       related_name="legal_holds")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.ACTIVE)
    created_at = models.DateTimeField(_("placed"))
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        indexes = [models.Index(fields=["facility", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(name="legal_hold_ends_after_start",
                                   condition=Q(ends_at__gt=F("starts_at"))),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} {self.facility_id} {self.starts_at:%Y-%m-%d}"


class ReceiptAttempt(models.Model):
    """A try at a receipt code, by keyed hashes of the address, the terminal (a browser's
    cookie) and the code's locator: enough to count tries, nothing kept in the clear."""

    address_key = models.CharField(max_length=64, db_index=True)
    terminal_key = models.CharField(max_length=64, blank=True, default="")
    code_key = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["address_key", "at"]),
                   models.Index(fields=["terminal_key", "at"], name="receipt_try_terminal_at"),
                   models.Index(fields=["code_key", "at"], name="receipt_try_code_at")]

    def __str__(self) -> str:
        return f"{self.address_key[:8]} {self.at:%Y-%m-%d %H:%M} {self.succeeded}"


class SegmentPreservation(models.Model):
    """What a facility's agent reported about a recording segment the centre asked it to keep.

    The centre asks for held segments mixed with a routine sample of ordinary ones (see
    preservation.py), so an order never tells the facility that a complaint exists.
    """

    class Status(models.TextChoices):
        PRESERVED = "preserved", _("Preserved, hash matches")
        MISSING = "missing", _("Missing on the recorder")
        ALTERED = "altered", _("Altered since it was recorded")

    segment = models.OneToOneField("video.RecordingSegment", models.CASCADE,
                                   related_name="preservation")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reported_sha256 = models.CharField(_("hash of the file found"), max_length=64, blank=True)
    reported_at = models.DateTimeField(_("reported"))

    class Meta:
        verbose_name = _("segment preservation")
        verbose_name_plural = _("segment preservations")

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.status}"


# The TextChoices a timeline event's words may name (complaints/timeline_text.py).
TIMELINE_CHOICES: dict[str, type[models.TextChoices]] = {
    enum.__name__: enum for enum in (Category, Channel, HandlingBody, Disposition)}
