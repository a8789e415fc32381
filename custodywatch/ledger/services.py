"""Every write to the ledger: integration of queued leaves, checkpoints, evidence packages.

Appends themselves are queued by :func:`custodywatch.ledger.appends.ledger_append` inside the
business transaction they record.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.kernels.checkpoint import format_checkpoint
from custodywatch.kernels.merkle import CompactRange, leaf_hash
from custodywatch.kernels.signed_note import Signer, sign_note
from custodywatch.kernels.tiles import TILE_WIDTH, fold_perfect, tiles_completed
from custodywatch.ledger.keys import ledger_origin, load_signer
from custodywatch.ledger.models import Checkpoint, PendingLeaf, Tile
from custodywatch.ledger.package import build_package
from custodywatch.ledger.store import DatabaseTiles, split_hashes

INTEGRATION_BATCH = 10_000
# Any constant works; it names the one lock that makes integration single-writer on PostgreSQL.
_ADVISORY_LOCK_KEY = 0x4C454447  # "LEDG"
_DELETE_CHUNK = 500  # stays under SQLite's bound-parameter limit
_INSERT_LEAF = (
    'INSERT INTO ledger_leaf ("index", kind, data, leaf_hash, sha256, queued_at, integrated_at) '
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def _lock_writer() -> None:
    # SQLite runs write transactions BEGIN IMMEDIATE (settings), which already serialises them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


def _sign(*, size: int, root: bytes, edge: tuple[bytes, ...], signer: Signer) -> Checkpoint:
    note = sign_note(format_checkpoint(ledger_origin(), size, root), signer)
    return Checkpoint.objects.create(size=size, root=root, edge=b"".join(edge), note=note,
                                     key_name=signer.verifier().to_text())


def _write_tiles(old_size: int, new_size: int, new_hashes: list[bytes]) -> int:
    overlay = {(0, old_size + i): h for i, h in enumerate(new_hashes)}
    reader = DatabaseTiles(overlay)
    tiles = []
    for level, index in tiles_completed(old_size, new_size):
        start = index * TILE_WIDTH
        entries = reader.edge_entries(level, start, start + TILE_WIDTH)
        root = fold_perfect(entries)
        overlay[level + 1, index] = root  # the next level up reads this tile's root
        tiles.append(Tile(level=level, index=index, hashes=b"".join(entries), root=root))
    Tile.objects.bulk_create(tiles, batch_size=200)
    return len(tiles)


def ledger_integrate(*, limit: int = INTEGRATION_BATCH, signer: Signer | None = None
                     ) -> Checkpoint | None:
    """Move up to ``limit`` queued leaves into the log, in queue order, and sign a checkpoint.

    One transaction: leaves, tiles and checkpoint appear together or not at all. Returns the new
    checkpoint, or None when nothing was queued (the first call signs the empty tree).
    """
    signer = signer or load_signer()
    with transaction.atomic():
        _lock_writer()
        head = Checkpoint.objects.order_by("-id").first()
        pending = list(PendingLeaf.objects.order_by("id")
                       .values_list("id", "kind", "data", "sha256", "queued_at")[:limit])
        if head is not None and not pending:
            return None
        compact = (CompactRange(head.size, split_hashes(head.edge)) if head is not None
                   else CompactRange())
        old_size = compact.size
        adapt = connection.ops.adapt_datetimefield_value
        now = adapt(timezone.now())
        rows, hashes = [], []
        for _id, kind, data, committed, queued_at in pending:
            data = bytes(data)
            digest = leaf_hash(data)
            index = compact.append(digest)
            hashes.append(digest)
            rows.append((index, kind, data, digest, committed, adapt(queued_at), now))
        # executemany on plain tuples, not model instances: the ORM's per-field
        # preparation was two thirds of an integration batch's time.
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT_LEAF, rows)
        ids = [row[0] for row in pending]
        for i in range(0, len(ids), _DELETE_CHUNK):
            PendingLeaf.objects.filter(pk__in=ids[i: i + _DELETE_CHUNK]).delete()
        _write_tiles(old_size, compact.size, hashes)
        return _sign(size=compact.size, root=compact.root(), edge=compact.hashes, signer=signer)


def ledger_integrate_all(*, limit: int = INTEGRATION_BATCH) -> list[Checkpoint]:
    """Integrate until the queue is empty, one checkpoint per batch."""
    signer = load_signer()
    issued = []
    while (checkpoint := ledger_integrate(limit=limit, signer=signer)) is not None:
        issued.append(checkpoint)
    return issued


def checkpoint_issue(*, signer: Signer | None = None) -> Checkpoint:
    """On demand: integrate what is queued, then make sure the latest tree head carries a
    signature by the current key (after a key rotation, re-sign the same tree head)."""
    signer = signer or load_signer()
    ledger_integrate_all()
    with transaction.atomic():
        _lock_writer()
        head = Checkpoint.objects.order_by("-id").first()
        if head is None:
            head = ledger_integrate(signer=signer)
            assert head is not None  # the empty tree is always signed
            return head
        if head.key_name == signer.verifier().to_text():
            return head
        return _sign(size=head.size, root=bytes(head.root), edge=tuple(split_hashes(head.edge)),
                     signer=signer)


def evidence_package_export(*, acting_user: User | None, origin: Origin, indexes: list[int],
                            files: dict[str, str] | None = None) -> bytes:
    """A zip for a court: see :mod:`custodywatch.ledger.package`. Audited as an export."""
    payload = build_package(indexes=indexes, files=files or {})
    audit_record(actor=acting_user, action=AuditEvent.Action.EXPORT, origin=origin,
                 object_type="ledger.leaf", object_id=",".join(map(str, indexes))[:64],
                 detail={"indexes": indexes[:1000], "files": len(files or {})})
    return payload
