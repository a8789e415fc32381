"""Reads of the ledger: checkpoints and proofs are public, leaves need a reader's role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import User
from custodywatch.kernels import merkle
from custodywatch.kernels.ledger_leaf import LeafError, decode_leaf
from custodywatch.ledger import store, tlog_proof
from custodywatch.ledger.models import Checkpoint, Leaf, PendingLeaf

# Leaves carry who read or changed what; facility staff must not learn who looked into their
# facility, and machines have no business reading them (READ_LEDGER_LEAVES).
MAX_LEAVES_PER_CALL = 1000


class ProofError(ValueError):
    """A proof asked for a tree or leaf that does not exist."""


def can_read_leaves(user: User) -> bool:
    return has_capability(user, Capability.READ_LEDGER_LEAVES)


def checkpoint_latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-id").first()


def tree_size() -> int:
    latest = checkpoint_latest()
    return latest.size if latest is not None else 0


def pending_count() -> int:
    return PendingLeaf.objects.count()


def leaves_range(*, start: int, end: int) -> list[Leaf]:
    """Integrated leaves ``[start, end)``, clamped to the latest checkpoint and to 1,000."""
    if start < 0 or end < start:
        raise ProofError("need 0 <= start <= end")
    end = min(end, start + MAX_LEAVES_PER_CALL, tree_size())
    return list(Leaf.objects.filter(index__gte=start, index__lt=end).order_by("index"))


def inclusion_proof(*, index: int, size: int) -> tuple[bytes, list[bytes]]:
    """The leaf hash and its audit path in the tree of ``size`` leaves.

    One database read (kernels/tiles.py "planned proofs"): the latest size, the stored right
    edge, the tiles and the leaf hash come back together.
    """
    if not 0 <= index < size:
        raise ProofError(f"no leaf {index} in a signed tree of size {size}")
    try:
        latest, leaf, proof = store.inclusion(index, size)
    except LookupError as error:  # a signed head the store cannot back: say so, never a 500
        raise ProofError(str(error)) from None
    if size > latest:
        raise ProofError(f"no leaf {index} in a signed tree of size {size}")
    if leaf is None:
        raise ProofError(f"leaf {index} is missing from the store")
    return leaf, proof


def consistency_proof(*, first: int, second: int) -> list[bytes]:
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    try:
        latest, proof = store.consistency(first, second)
    except LookupError as error:
        raise ProofError(str(error)) from None
    if second > latest:
        raise ProofError(f"no consistency proof from {first} to {second}")
    return proof


@dataclass(frozen=True)
class LeafView:
    """A leaf as a person sees it: decoded fields and whether it is in the signed tree."""

    leaf: Leaf
    kind: str
    fields: dict
    leaf_hash: bytes
    proof: list[bytes]
    checkpoint: Checkpoint | None
    verified: bool
    # The committed details, for a reader who may see their complaint or case (rows.py).
    opened: Any = None


def leaf_view(*, user: User, index: int) -> LeafView:
    if not can_read_leaves(user):
        raise PermissionError
    leaf = Leaf.objects.get(index=index)
    data = bytes(leaf.data)
    try:
        kind, fields = decode_leaf(data)
    except LeafError:
        kind, fields = leaf.kind, {}
    checkpoint = checkpoint_latest()
    proof: list[bytes] = []
    verified = False
    digest = merkle.leaf_hash(data)  # re-hashed from the stored bytes, not read back
    if checkpoint is not None and index < checkpoint.size:
        try:
            _latest, _leaf, proof = store.inclusion(index, checkpoint.size)
        except LookupError:
            proof = []  # the store cannot back the signed head: shown as not verified
        verified = merkle.verify_inclusion(index, checkpoint.size, digest, proof,
                                           bytes(checkpoint.root))
    from custodywatch.ledger.rows import open_leaf

    opened = open_leaf(user=user, kind=kind, fields=fields)
    return LeafView(leaf, kind, fields, digest, proof, checkpoint, verified, opened)


def leaves_with_hash(*, user: User, sha256: str) -> QuerySet[Leaf]:
    if not can_read_leaves(user):
        return Leaf.objects.none()
    return Leaf.objects.filter(sha256=sha256.lower()).order_by("index")


def leaves_recent(*, user: User, kind: str = "") -> QuerySet[Leaf]:
    if not can_read_leaves(user):
        return Leaf.objects.none()
    leaves = Leaf.objects.order_by("-index")
    return leaves.filter(kind=kind) if kind else leaves


def tlog_receipt(*, user: User, index: int) -> str:
    """Entry ``index`` as a C2SP ``.tlog-proof`` receipt against the latest checkpoint, the
    leaf's bytes in ``extra`` (custodywatch/ledger/tlog_proof.py). Readers of leaves only."""
    if not can_read_leaves(user):
        raise PermissionError
    checkpoint = checkpoint_latest()
    if checkpoint is None or not 0 <= index < checkpoint.size:
        raise ProofError(f"entry {index} is not in a signed tree yet")
    data = Leaf.objects.filter(index=index).values_list("data", flat=True).first()
    if data is None:
        raise ProofError(f"leaf {index} is missing from the store")
    _leaf, proof = inclusion_proof(index=index, size=checkpoint.size)
    return tlog_proof.format_proof(tlog_proof.TlogProof(index, proof, checkpoint.note,
                                                        bytes(data)))
