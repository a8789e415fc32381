"""RFC 9162 / RFC 6962 Merkle tree kernel with SHA-256, standard library only.

Leaf ranges are half-open, ``[start, end)``. Proofs are lists of 32-byte hashes ordered from the
leaf (or old root) upwards, as in RFC 9162 section 2.1.3 and 2.1.4.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "MemoryTree",
    "SubtreeHashes",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf: ``SHA-256(0x00 || data)``."""
    # The 0x00/0x01 prefixes keep a leaf from ever passing for an interior node (second preimage).
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly below ``n`` (``n >= 2``): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _require_hash(value: bytes) -> bytes:
    # Appending raw data instead of its leaf hash is the likely mistake; fail loudly, not later.
    if not _is_hash(value):
        raise ValueError(f"expected a {HASH_SIZE}-byte hash")
    return bytes(value)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of the given leaf hashes (RFC 6962 section 2.1); O(n) hashes, recursion depth log n."""

    def mth(start: int, end: int) -> bytes:
        if end - start == 1:
            return hashes[start]
        mid = start + _split(end - start)
        return node_hash(mth(start, mid), mth(mid, end))

    return mth(0, len(hashes)) if hashes else EMPTY_ROOT


@runtime_checkable
class SubtreeHashes(Protocol):
    """Source of stored subtree hashes that proofs are assembled from."""

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``."""
        ...


class MemoryTree:
    """Append-only in-memory log that keeps every complete, aligned subtree hash."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        # _levels[h][i] is the hash of leaves [i * 2**h, (i + 1) * 2**h), like a tiles layout:
        # a complete aligned subtree is one list lookup and nothing is ever rehashed.
        self._levels: list[list[bytes]] = [[]]
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> int:
        """Add a leaf hash; return its index. Amortised O(1) node hashes."""
        index = self.size
        self._levels[0].append(_require_hash(leaf_hash))
        level, i = 0, index
        # While the new node is a right child, its parent has just become complete.
        while i & 1:
            row = self._levels[level]
            if len(self._levels) == level + 1:
                self._levels.append([])
            self._levels[level + 1].append(node_hash(row[i - 1], row[i]))
            level, i = level + 1, i >> 1
        return index

    def append_data(self, data: bytes) -> int:
        """Add a leaf by its data; return its index."""
        return self.append(leaf_hash(data))

    def root(self, size: int | None = None) -> bytes:
        """Root of the tree of the first ``size`` leaves (default: all of them)."""
        return self.subtree_hash(0, self.size if size is None else size)

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``.

        O(log n) lookups when ``start`` is a multiple of the range's size rounded up to a power
        of two, which holds for every range a proof or root asks for; other ranges are still
        correct but may fall back to hashing smaller pieces.
        """
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) outside tree of size {self.size}")
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return self._levels[level][start >> level]
        mid = start + _split(n)
        return node_hash(self.subtree_hash(start, mid), self.subtree_hash(mid, end))


SubtreeSource = SubtreeHashes | Callable[[int, int], bytes]


def _lookup(get_hash: SubtreeSource) -> Callable[[int, int], bytes]:
    # A bare callable is accepted too, so a storage layer can pass a bound method or a lambda.
    return get_hash.subtree_hash if isinstance(get_hash, SubtreeHashes) else get_hash


def inclusion_proof(index: int, size: int, get_hash: SubtreeSource) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of the first ``size`` leaves (RFC 6962 PATH)."""
    if not 0 <= index < size:
        raise ValueError(f"need 0 <= index < size, got index={index} size={size}")
    subtree = _lookup(get_hash)
    proof: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting the sibling of each node on the leaf's path.
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            proof.append(subtree(mid, end))
            end = mid
        else:
            proof.append(subtree(start, mid))
            start = mid
    proof.reverse()  # The RFC orders the path from the leaf up.
    return proof


def consistency_proof(first: int, second: int, get_hash: SubtreeSource) -> list[bytes]:
    """Consistency proof from tree size ``first`` to ``second`` (RFC 6962 SUBPROOF).

    Empty when ``first == second`` or ``first == 0``; the latter has nothing to prove and
    :func:`verify_consistency` rejects it.
    """
    if not 0 <= first <= second:
        raise ValueError(f"need 0 <= first <= second, got first={first} second={second}")
    if first in (0, second):
        return []
    subtree = _lookup(get_hash)
    proof: list[bytes] = []
    start, end = 0, second
    # `on_left_edge` is SUBPROOF's flag b: while true, the old root is one the verifier already
    # holds, so it is not repeated in the proof.
    on_left_edge = True
    while end != first:
        k = _split(end - start)
        if first - start <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, on_left_edge = start + k, False
    if not on_left_edge:
        proof.append(subtree(start, end))
    proof.reverse()
    return proof


def _as_hashes(proof: object) -> list[bytes] | None:
    """The proof as a list if it is a sequence of 32-byte hashes, else None."""
    if not isinstance(proof, list | tuple):
        return None
    return list(proof) if all(_is_hash(p) for p in proof) else None


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2. Returns False, never raises, for anything invalid."""
    path = _as_hashes(proof)
    if path is None or not _is_hash(leaf_hash):
        return False
    if not (isinstance(index, int) and isinstance(size, int)) or not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in path:
        if sn == 0:
            return False  # Proof longer than the path to the root.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # On the right edge of an unbalanced tree, skip the levels with no right sibling.
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2. Returns False, never raises, for anything invalid.

    Requires ``0 < first <= second``: a proof from the empty tree proves nothing. For equal sizes
    the proof must be empty and the two roots equal.
    """
    path = _as_hashes(proof)
    if path is None or not (isinstance(first, int) and isinstance(second, int)):
        return False
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path or not (_is_hash(first_root) and _is_hash(second_root)):
        return False
    if first & (first - 1) == 0:
        # The old tree is a complete left subtree, so the proof omits the root the client has.
        path.insert(0, bytes(first_root))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


class CompactRange:
    """Right edge of a tree: the roots of its perfect subtrees, largest first (O(log n) hashes).

    Enough for a single writer to append and compute the root without reading the tree.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        # One perfect subtree per set bit of the size, so the count must match the popcount.
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {max(size, 0).bit_count()} edge hashes")
        self._size = size
        self._hashes = [_require_hash(h) for h in hashes]

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The edge hashes, largest subtree first; persist these with ``size`` to resume."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> int:
        """Add a leaf hash; return its index. O(log n) node hashes at worst."""
        index = self._size
        self._hashes.append(_require_hash(leaf_hash))
        # Each trailing one bit of the old size is a perfect subtree that the new leaf completes.
        n = index
        while n & 1:
            right = self._hashes.pop()
            self._hashes[-1] = node_hash(self._hashes[-1], right)
            n >>= 1
        self._size += 1
        return index

    def extend(self, leaf_hashes: Sequence[bytes]) -> int:
        """Append many leaf hashes (a batch); return the index of the first. Same result as
        calling :meth:`append` for each, without a call per leaf."""
        first = size = self._size
        edge, sha256 = self._hashes, hashlib.sha256
        try:
            for value in leaf_hashes:
                if not isinstance(value, bytes) or len(value) != HASH_SIZE:
                    raise ValueError(f"expected a {HASH_SIZE}-byte hash")
                edge.append(value)
                n = size
                while n & 1:  # node_hash, inlined
                    right = edge.pop()
                    edge[-1] = sha256(b"\x01" + edge[-1] + right).digest()
                    n >>= 1
                size += 1
        finally:
            self._size = size  # the leaves before a bad one stay appended, as with append()
        return first

    def root(self) -> bytes:
        """MTH of all leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        root = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            root = node_hash(left, root)
        return root
