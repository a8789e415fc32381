"""Every write to the ledger: integration of queued leaves, checkpoints, evidence packages.

Appends themselves are queued by :func:`custodywatch.ledger.appends.ledger_append` inside the
business transaction they record.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.kernels.checkpoint import format_checkpoint
from custodywatch.kernels.merkle import HASH_SIZE, CompactRange
from custodywatch.kernels.signed_note import Signer, sign_note
from custodywatch.kernels.tiles import TILE_WIDTH, internal_nodes, tiles_completed
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
        nodes = internal_nodes(entries)
        root = nodes[-HASH_SIZE:]
        overlay[level + 1, index] = root  # the next level up reads this tile's root
        tiles.append(Tile(level=level, index=index, hashes=b"".join(entries), root=root,
                          nodes=nodes))
    Tile.objects.bulk_create(tiles, batch_size=200)
    return len(tiles)


def _pending(limit: int) -> list[tuple[Any, ...]]:
    """The first ``limit`` queued leaves in queue order: (id, kind, data, sha256, queued_at)."""
    with connection.cursor() as cursor:
        # queued_at goes back out as it came in: SQLite's stored text (the CAST skips the
        # driver's datetime parsing); other backends get it adapted by the caller.
        queued_at = "CAST(queued_at AS TEXT)" if connection.vendor == "sqlite" else "queued_at"
        cursor.execute(f"SELECT id, kind, data, sha256, {queued_at} "  # noqa: S608 - constant
                       "FROM ledger_pendingleaf ORDER BY id LIMIT %s", [limit])
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _move(pending: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]) -> None:
    """Insert the leaves and drop their queue entries, in the integrator's transaction.

    Plain tuples and raw statements: the ORM's per-field preparation was two thirds of an
    integration batch's time. SQLite: one executemany, and one DELETE of the id range, which
    holds exactly the ids read because write transactions there are serialised (BEGIN
    IMMEDIATE) and the read took the lowest ids in order.
    """
    with connection.cursor() as cursor:
        cursor.executemany(_INSERT_LEAF, rows)
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM ledger_pendingleaf WHERE id >= %s AND id <= %s",
                           [pending[0][0], pending[-1][0]])
            return
    ids = [row[0] for row in pending]
    for i in range(0, len(ids), _DELETE_CHUNK):
        PendingLeaf.objects.filter(pk__in=ids[i: i + _DELETE_CHUNK]).delete()


def _integrate_rows(old_size: int, limit: int, compact: CompactRange) -> list[bytes]:
    """Move up to ``limit`` queued leaves into ``ledger_leaf`` from index ``old_size``; extend
    ``compact``; return the new leaf hashes. Python hashes each leaf's bytes. The portable
    path (SQLite and PostgreSQL have their own, below, tested against this one)."""
    pending = _pending(limit)
    if not pending:
        return []
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())
    if connection.vendor != "sqlite":
        pending = [(*row[:4], adapt(row[4])) for row in pending]
    # merkle.leaf_hash, inlined: one call per leaf less in the hot loop.
    hashes = [sha256(b"\x00" + bytes(row[2])).digest() for row in pending]
    compact.extend(hashes)
    rows = [(index, kind, bytes(data), digest, committed, queued_at, now)
            for index, (_id, kind, data, committed, queued_at), digest
            in zip(range(old_size, old_size + len(pending)), pending, hashes, strict=True)]
    _move(pending, rows)
    return hashes


def _sqlite_leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data).digest()  # merkle.leaf_hash, called by SQLite per row


def _integrate_rows_sqlite(old_size: int, limit: int, compact: CompactRange) -> list[bytes]:
    """The same on SQLite without taking the rows through Python: one ``INSERT ... SELECT``
    numbers the first ``limit`` queued rows in queue order (``row_number()``) and hashes each
    (``merkle.leaf_hash`` registered as a function of this connection), then the new hashes
    are read back by primary key and the queue's id range is deleted: exact, because write
    transactions are serialised (BEGIN IMMEDIATE). Binding seven parameters per row and
    building the tuples was half of an integration batch."""
    connection.ensure_connection()
    connection.connection.create_function("custodywatch_leaf_hash", 1, _sqlite_leaf_hash,
                                          deterministic=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id), count(*) FROM (SELECT id FROM "
                       "ledger_pendingleaf ORDER BY id LIMIT %s)", [limit])
        low, high, count = cursor.fetchone()
        if not count:
            return []
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(
            'INSERT INTO ledger_leaf ("index", kind, data, leaf_hash, sha256, queued_at, '
            "integrated_at) SELECT %s + row_number() OVER (ORDER BY id) - 1, kind, data, "
            "custodywatch_leaf_hash(data), sha256, queued_at, %s FROM ledger_pendingleaf "
            "WHERE id >= %s AND id <= %s",
            [old_size, now, low, high])
        cursor.execute('SELECT leaf_hash FROM ledger_leaf WHERE "index" >= %s '
                       'ORDER BY "index"', [old_size])
        hashes = [bytes(row[0]) for row in cursor.fetchall()]
        if len(hashes) != count:
            raise RuntimeError(f"integrated {len(hashes)} leaves, queued {count}")
        cursor.execute("DELETE FROM ledger_pendingleaf WHERE id >= %s AND id <= %s",
                       [low, high])
    compact.extend(hashes)
    return hashes


def _integrate_rows_postgresql(old_size: int, limit: int, compact: CompactRange) -> list[bytes]:
    """The same on PostgreSQL without shipping the leaves' bytes back and forth: the server
    hashes them (its ``sha256``, the same SHA-256: ``ledger verify`` re-hashes every leaf
    in Python) and moves the rows with one INSERT ... SELECT; Python gets ids and hashes
    only, to grow the tree."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, sha256('\\x00'::bytea || data) FROM ledger_pendingleaf "
                       "ORDER BY id LIMIT %s", [limit])
        pending = cursor.fetchall()
        if not pending:
            return []
        ids = [row[0] for row in pending]
        hashes = [bytes(row[1]) for row in pending]
        compact.extend(hashes)
        cursor.execute(
            'INSERT INTO ledger_leaf ("index", kind, data, leaf_hash, sha256, queued_at, '
            "integrated_at) SELECT %s + u.n - 1, p.kind, p.data, "
            "sha256('\\x00'::bytea || p.data), p.sha256, p.queued_at, %s "
            "FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(id, n) "
            "JOIN ledger_pendingleaf p ON p.id = u.id",
            [old_size, timezone.now(), ids])
        cursor.execute("DELETE FROM ledger_pendingleaf WHERE id = ANY(%s::bigint[])", [ids])
    return hashes


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
        compact = (CompactRange(head.size, split_hashes(head.edge)) if head is not None
                   else CompactRange())
        old_size = compact.size
        move = {"postgresql": _integrate_rows_postgresql,
                "sqlite": _integrate_rows_sqlite}.get(connection.vendor, _integrate_rows)
        hashes = move(old_size, limit, compact)
        if head is not None and not hashes:
            return None
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
            if head is None:  # cannot happen: the empty tree is always signed
                raise RuntimeError("the ledger signed no checkpoint for the empty tree")
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
