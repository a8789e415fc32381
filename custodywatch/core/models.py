from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Abstract field groups that many models repeat, defined once. The definitions are exactly
# those the models had (no migration): a change here is a change to every table below it.


class Period(models.Model):
    """A closed span of time, both ends known: ``started_at`` ("from") to ``ended_at``
    ("until"). Camera state spans, recording runs and segments, marker sightings, escrow
    objects, holds, fingerprints and body-camera gaps. Their constraints (``ended_at`` after
    ``started_at``) and indexes stay in each model's Meta."""

    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"))

    class Meta:
        abstract = True


class CreatedRecord(models.Model):
    """Who wrote the row (kept as NULL when the account goes) and when, set on creation."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an Idempotency-Key, replayed on retries."""

    principal = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"


class Counter(models.Model):
    """The last number given out in one numbering (e.g. "complaint C-2026-"): the row is
    locked by the UPDATE that takes the next number, so numbers never collide, whatever the
    concurrency (core/counters.py)."""

    name = models.CharField(max_length=60, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} {self.value}"


class StoredFileAlert(models.Model):
    """A stored file (evidence, a complaint attachment, a photo) found missing or no longer
    matching the SHA-256 recorded when it was received (core/stored_files.py). Open until the
    genuine file is stored again."""

    class Problem(models.TextChoices):
        MISSING = "missing", _("missing")
        DAMAGED = "damaged", _("damaged")

    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    problem = models.CharField(max_length=10, choices=Problem.choices)
    detected_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id"],
                                    condition=models.Q(resolved_at__isnull=True),
                                    name="stored_file_alert_open_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}: {self.problem}"


class ScheduledJob(models.Model):
    """One row per periodic job of `custodywatch worker` (core/periodic.py): a worker runs the
    job when it moves ``due_at`` on with a conditional UPDATE (``WHERE due_at <= now``), so
    however many workers run, each due run is taken by one of them."""

    name = models.CharField(max_length=80, primary_key=True)
    due_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True, default="")
    failed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} due {self.due_at:%Y-%m-%d %H:%M:%S}"
