"""``ledger verify``: re-hash every stored leaf, rebuild the tree, check it against signatures.

The verifier trusts nothing it reads back: it re-hashes each leaf's stored bytes, re-derives each
audit leaf from the audit row it records and every other leaf from the business row it records
(rows.py: evidence items, transfers, recording segments, complaints, legal holds; an edited row
is caught even if its leaf is intact: the lesson of immudb #2063), recomputes every full tile,
and compares the roots with every stored checkpoint and with the one it was given. It stops at
the first bad index of the log; changed rows are all listed (up to 20), each by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from custodywatch.accounts.models import AuditEvent
from custodywatch.kernels.checkpoint import CheckpointError, parse_checkpoint
from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf
from custodywatch.kernels.merkle import HASH_SIZE, CompactRange, leaf_hash
from custodywatch.kernels.signed_note import NoteError, Verifier, open_note
from custodywatch.kernels.tiles import TILE_WIDTH, internal_nodes
from custodywatch.ledger import rows as row_checks
from custodywatch.ledger.appends import audit_context_details, audit_event_fields
from custodywatch.ledger.commitments import opening
from custodywatch.ledger.keys import ledger_origin
from custodywatch.ledger.models import Checkpoint, Leaf, LeafKind, Tile
from custodywatch.ledger.store import split_hashes

CHUNK = 2000


@dataclass(frozen=True)
class Verdict:
    ok: bool
    size: int
    message: str
    first_bad_index: int | None = None


class _Failure(Exception):
    def __init__(self, index: int | None, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def _open_checkpoint(note: str, verifiers: list[Verifier]) -> tuple[int, bytes]:
    try:
        body = open_note(note, verifiers).text
        parsed = parse_checkpoint(body)
    except (NoteError, CheckpointError) as error:
        raise _Failure(None, f"checkpoint rejected: {error}") from None
    if parsed.origin != ledger_origin():
        raise _Failure(None, f"checkpoint is for log {parsed.origin!r}, not {ledger_origin()!r}")
    return parsed.size, parsed.root


class _AuditCheck:
    """Re-derives audit leaves from the audit rows, a chunk at a time."""

    def __init__(self) -> None:
        self.queue: list[tuple[int, dict]] = []

    def add(self, index: int, fields: dict) -> None:
        self.queue.append((index, fields))
        if len(self.queue) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        ids = [fields.get("event") for _i, fields in self.queue]
        events = AuditEvent.objects.in_bulk([i for i in ids if isinstance(i, int)])
        for index, fields in self.queue:
            event = events.get(fields.get("event"))
            if event is None:
                raise _Failure(index, f"audit event {fields.get('event')} it records is gone")
            if not _audit_matches(event, fields):
                raise _Failure(index, f"audit event {event.pk} was changed after it was logged")
        self.queue.clear()


def _audit_matches(event: AuditEvent, fields: dict) -> bool:
    expected = audit_event_fields(event)
    plain = {name: value for name, value in expected.items() if name != "context"}
    if (plain == {name: value for name, value in fields.items() if name != "context"}
            and isinstance(fields.get("context"), str)
            and opening(f"audit:{event.pk}", audit_context_details(event),
                        fields["context"]) is not None):
        return True
    # Written before commitments: the actor and object in the clear, the context unsalted.
    return audit_event_fields(event, legacy=True) == fields


class _RowCheck:
    """Re-derives the business row of every other leaf kind (rows.py), a chunk at a time."""

    def __init__(self) -> None:
        self.queue: list[row_checks.Entry] = []
        self.findings: list[row_checks.Finding] = []

    def add(self, index: int, kind: str, fields: dict) -> None:
        self.queue.append((index, kind, fields))
        if len(self.queue) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        self.findings.extend(row_checks.check_leaves(self.queue))
        self.queue.clear()


def _check_upper_tiles(size: int) -> None:
    """Each tile's root must fold from its hashes; each tile above level 0 must hold the roots
    of the 256 tiles below it."""
    for level, index, hashes, root, nodes in Tile.objects.values_list(
            "level", "index", "hashes", "root", "nodes").iterator(chunk_size=500):
        entries = split_hashes(hashes)
        if len(entries) != TILE_WIDTH:
            raise _Failure((index * TILE_WIDTH) << (8 * level),
                           f"stored tile {level}/{index} is truncated")
        internal = internal_nodes(entries)
        if internal[-HASH_SIZE:] != bytes(root):
            raise _Failure((index * TILE_WIDTH) << (8 * level),
                           f"stored tile {level}/{index} does not match its root")
        if nodes is not None and bytes(nodes) != internal:
            # Proofs slice these (store.read_plan): they must be the tile's.
            raise _Failure((index * TILE_WIDTH) << (8 * level),
                           f"stored internal nodes of tile {level}/{index} do not match it")
    level = 1
    while size >> (8 * (level + 1)):
        below = {i: bytes(r) for i, r in Tile.objects.filter(level=level - 1)
                 .values_list("index", "root")}
        for index, hashes in Tile.objects.filter(level=level).values_list("index", "hashes"):
            roots = [below.get(index * TILE_WIDTH + k) for k in range(TILE_WIDTH)]
            first_leaf = (index * TILE_WIDTH) << (8 * level)
            if roots != split_hashes(hashes):
                raise _Failure(first_leaf, f"stored tile {level}/{index} does not match")
        level += 1


def verify_ledger(*, verifiers: list[Verifier], checkpoint_note: str | None = None) -> Verdict:
    try:
        return _verify(verifiers, checkpoint_note)
    except _Failure as failure:
        return Verdict(False, 0, failure.message, failure.index)


def _verify(verifiers: list[Verifier], checkpoint_note: str | None) -> Verdict:
    stored = list(Checkpoint.objects.order_by("size", "id").values_list("size", "root", "note"))
    if checkpoint_note is None:
        if not stored:
            raise _Failure(None, "no checkpoint has been issued")
        checkpoint_note = Checkpoint.objects.order_by("-id").values_list("note", flat=True)[0]
    size, root = _open_checkpoint(checkpoint_note, verifiers)
    # Every stored checkpoint within the size is checked too: its signature, then its root.
    expected_roots: dict[int, bytes] = {}
    for stored_size, stored_root, note in stored:
        if stored_size <= size:
            signed_size, signed_root = _open_checkpoint(note, verifiers)
            if (signed_size, signed_root) != (stored_size, bytes(stored_root)):
                raise _Failure(None, f"stored checkpoint of size {stored_size} does not match "
                                     "its signed note")
            expected_roots.setdefault(stored_size, signed_root)
    expected_roots[size] = root
    compact = CompactRange()
    verified_prefix = 0
    edges: dict[int, bytes] = {}
    for stored_size, edge in Checkpoint.objects.filter(size__lte=size).values_list("size", "edge"):
        if edges.setdefault(stored_size, bytes(edge)) != bytes(edge):
            raise _Failure(None, f"two stored right edges for size {stored_size} differ")
    audit = _AuditCheck()
    row_check = _RowCheck()
    tiles = dict(Tile.objects.filter(level=0, index__lt=size // TILE_WIDTH)
                 .values_list("index", "hashes"))
    if 0 in expected_roots and expected_roots[0] != compact.root():
        raise _Failure(0, "checkpoint of the empty tree has a wrong root")
    rows = (Leaf.objects.filter(index__lt=size).order_by("index")
            .values_list("index", "data", "leaf_hash").iterator(chunk_size=CHUNK))
    for index, data, stored_hash in rows:
        if index != compact.size:
            raise _Failure(compact.size, f"leaf {compact.size} is missing")
        data = bytes(data)
        digest = leaf_hash(data)
        if digest != bytes(stored_hash):
            raise _Failure(index, f"leaf {index}: stored data does not match its leaf hash")
        tile = tiles.get(index // TILE_WIDTH)
        offset = (index % TILE_WIDTH) * HASH_SIZE
        if tile is not None and bytes(tile[offset: offset + HASH_SIZE]) != digest:
            raise _Failure(index, f"leaf {index}: does not match its stored tile")
        try:
            kind, fields = decode_leaf(data)
        except LeafError as error:
            raise _Failure(index, f"leaf {index}: {error}") from None
        if kind == LeafKind.AUDIT_EVENT:
            audit.add(index, fields)
        elif kind in row_checks.checked_kinds():
            row_check.add(index, kind, fields)
        compact.append(digest)
        if compact.size in expected_roots:
            if compact.root() != expected_roots[compact.size]:
                raise _Failure(verified_prefix, f"leaves [{verified_prefix}, {compact.size}) do "
                               f"not give the signed root of size {compact.size}")
            verified_prefix = compact.size
        if compact.size in edges and edges[compact.size] != b"".join(compact.hashes):
            # Proofs read the right edge from here (store.read_plan): it must be the tree's.
            raise _Failure(verified_prefix, f"stored right edge of size {compact.size} does not "
                           "match the leaves")
    audit.flush()
    if compact.size < size:
        raise _Failure(compact.size, f"leaf {compact.size} is missing")
    for index, blob in tiles.items():
        if len(bytes(blob)) != TILE_WIDTH * HASH_SIZE:
            raise _Failure(index * TILE_WIDTH, f"stored tile 0/{index} is truncated")
    _check_upper_tiles(size)
    row_check.flush()
    if row_check.findings:
        shown = row_check.findings[:20]
        more = len(row_check.findings) - len(shown)
        return Verdict(False, size, "rows changed after they were logged:\n" + "\n".join(
            str(finding) for finding in shown) + (f"\n... and {more} more" if more else ""),
            shown[0].index)
    return Verdict(True, size, f"ledger verified: {size} leaves, root matches the checkpoint; "
                               "every logged row re-derived")
