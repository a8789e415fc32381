"""The evidence ledger: an append-only Merkle log (RFC 9162 hashing) and its signed checkpoints.

Business writes queue a :class:`PendingLeaf` in their own transaction; the integrator moves queued
leaves into :class:`Leaf` in order, completes :class:`Tile` rows and signs a :class:`Checkpoint`.
``Leaf``, ``Tile`` and ``Checkpoint`` refuse UPDATE and DELETE in the database itself
(triggers, migration 0002); ``PendingLeaf`` refuses UPDATE.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeafKind(models.TextChoices):
    EVIDENCE_REGISTERED = "evidence_registered", _("Evidence item registered")
    CUSTODY_TRANSFER = "custody_transfer", _("Chain-of-custody transfer")
    RECORDING_SEGMENT = "recording_segment", _("Recording segment")
    LEGAL_HOLD = "legal_hold", _("Legal hold")
    COMPLAINT_RECEIPT = "complaint_receipt", _("Complaint receipt")
    AUDIT_EVENT = "audit_event", _("Audit event")
    ESCROW_OBJECT = "escrow_object", _("Escrowed footage")
    OPEN_DATA_FILE = "open_data_file", _("Open data file published")
    SEGMENT_FINGERPRINT = "segment_fingerprint", _("Footage fingerprints")


class PendingLeaf(models.Model):
    """A leaf written with its business record, waiting for the next integration batch."""

    kind = models.CharField(_("kind"), max_length=40, choices=LeafKind.choices)
    data = models.BinaryField(_("data"))
    sha256 = models.CharField(_("committed hash"), max_length=64, blank=True)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending leaf")
        verbose_name_plural = _("pending leaves")

    def __str__(self) -> str:
        return f"pending {self.pk} {self.kind}"


class Leaf(models.Model):
    """One entry of the log. ``data`` is the exact byte string that was hashed."""

    index = models.BigIntegerField(_("index"), primary_key=True)
    kind = models.CharField(_("kind"), max_length=40, choices=LeafKind.choices)
    data = models.BinaryField(_("data"))
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)
    # The file or record hash the leaf commits to, indexed so a dropped file is found by its hash.
    sha256 = models.CharField(_("committed hash"), max_length=64, blank=True, db_index=True)
    queued_at = models.DateTimeField(_("queued at"))
    integrated_at = models.DateTimeField(_("integrated at"))

    class Meta:
        ordering = ["index"]
        verbose_name = _("ledger leaf")
        verbose_name_plural = _("ledger leaves")

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


class Tile(models.Model):
    """A full 256-wide tile of hashes at height 8 * level; written once when it fills."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hashes = models.BinaryField(max_length=256 * 32)
    root = models.BinaryField(max_length=32)
    # The tile's internal nodes, heights 1..8 (255 hashes, kernels.tiles.internal_nodes), so a
    # proof slices them instead of hashing. Null on tiles written before they were kept.
    nodes = models.BinaryField(max_length=255 * 32, null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="ledger_tile_key")]
        # A covering index of the roots: a proof folds up to 255 tile roots of the level above
        # the last full tile, and on SQLite reading ``root`` from the row walks the overflow
        # pages of ``hashes`` (8 KiB) first. With it, the roots come from the index alone
        # (bench/README.md, ledger: proofs at 10 M leaves).
        indexes = [models.Index(fields=["level", "index", "root"], name="ledger_tile_roots")]

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index}"


class Checkpoint(models.Model):
    """A signed tree head. One per integration batch, and one per key on rotation."""

    size = models.BigIntegerField(_("tree size"), db_index=True)
    root = models.BinaryField(_("root hash"), max_length=32)
    # The compact range (right edge) of this tree, so the next batch appends without reading it.
    edge = models.BinaryField(max_length=64 * 32)
    note = models.TextField(_("signed note"))
    key_name = models.CharField(_("signing key"), max_length=200)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        get_latest_by = "id"
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"{self.size} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
