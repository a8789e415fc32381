"""Tests for the RFC 9162 / RFC 6962 Merkle kernel: published vectors plus property tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custodywatch.kernels.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import require_or_skip

# transparency-dev/merkle testdata, checked out beside the project (../shared/testdata); the
# tests that read it skip when it is absent and fail when CI=true (require_or_skip).
VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "rfc6962-vectors"
VECTORS_MISSING = f"no RFC 6962 vectors at {VECTORS}"

# transparency-dev/merkle testonly/constants.go: LeafInputs, NodeHashes and RootHashes.
LEAF_INPUTS = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
NODE_HASHES = [[bytes.fromhex(h) for h in level] for level in (
    ("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",),
)]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
# constants.go CompactTrees: the right-edge hashes for each size, as (level, index) in NODE_HASHES.
COMPACT = [(), ((0, 0),), ((1, 0),), ((1, 0), (0, 2)), ((2, 0),), ((2, 0), (0, 4)),
           ((2, 0), (1, 2)), ((2, 0), (1, 2), (0, 6)), ((3, 0),)]

STANDARD_TREE = MemoryTree(leaf_hash(d) for d in LEAF_INPUTS)

# A bigger tree of distinct leaves for property tests; proofs for smaller sizes come from it too.
MAX_SIZE = 300
BIG_LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_SIZE)]
BIG_TREE = MemoryTree(BIG_LEAVES)
BIG_ROOTS = [root_from_leaf_hashes(BIG_LEAVES[:n]) for n in range(MAX_SIZE + 1)]

PROPS = settings(max_examples=80, deadline=None)


# --- Reference proofs: RFC 6962 sections 2.1.1 and 2.1.2 transcribed literally on lists. ---

def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [root_from_leaf_hashes(d[k:])]
    return ref_path(m - k, d[k:]) + [root_from_leaf_hashes(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [root_from_leaf_hashes(d)]
    k = _k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [root_from_leaf_hashes(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [root_from_leaf_hashes(d[:k])]


def flip(proof: list[bytes], i: int, byte: int, bit: int) -> list[bytes]:
    h = bytearray(proof[i])
    h[byte] ^= 1 << bit
    return [*proof[:i], bytes(h), *proof[i + 1:]]


# --- Known answers. ---

def test_empty_tree_root() -> None:
    want = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert want == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == want
    assert MemoryTree().root() == want
    assert CompactRange().root() == want


def test_leaf_and_node_hash_prefixes() -> None:
    assert leaf_hash(b"") == NODE_HASHES[0][0]
    assert node_hash(NODE_HASHES[0][0], NODE_HASHES[0][1]) == NODE_HASHES[1][0]
    assert leaf_hash(b"") != node_hash(b"", b"")


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc6962_roots(size: int) -> None:
    hashes = [leaf_hash(d) for d in LEAF_INPUTS[:size]]
    compact = CompactRange()
    for h in hashes:
        compact.append(h)
    assert root_from_leaf_hashes(hashes) == ROOTS[size]
    assert MemoryTree(hashes).root() == ROOTS[size]
    assert STANDARD_TREE.root(size) == ROOTS[size]
    assert compact.root() == ROOTS[size]
    assert compact.hashes == tuple(NODE_HASHES[lv][i] for lv, i in COMPACT[size])


def test_memory_tree_stores_published_node_hashes() -> None:
    for level, row in enumerate(NODE_HASHES):
        width = 1 << level
        for i, want in enumerate(row):
            assert STANDARD_TREE.subtree_hash(i * width, (i + 1) * width) == want


# --- Published vectors from transparency-dev/merkle testdata. ---

def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [(str(f.relative_to(VECTORS)), json.loads(f.read_text())) for f in files]


def _cases(vectors: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    # Without the folder, one placeholder case that skips (fails in CI) rather than an empty
    # parameter set, which pytest would skip even when CI=true.
    if vectors:
        return [pytest.param(name, v, id=name) for name, v in vectors]
    return [pytest.param("", {}, id="vectors-absent")]


INCLUSION_VECTORS = _load("inclusion")
CONSISTENCY_VECTORS = _load("consistency")


def test_vector_set_is_complete() -> None:
    # Guards against a moved folder silently turning the parametrised tests into zero tests.
    require_or_skip(VECTORS.is_dir(), VECTORS_MISSING)
    assert len(INCLUSION_VECTORS) == 98
    assert len(CONSISTENCY_VECTORS) == 98
    assert sum(not v["wantErr"] for _, v in INCLUSION_VECTORS) == 6
    assert sum(not v["wantErr"] for _, v in CONSISTENCY_VECTORS) == 6


@pytest.mark.parametrize(("name", "v"), _cases(INCLUSION_VECTORS))
def test_inclusion_vector(name: str, v: dict[str, Any]) -> None:
    require_or_skip(bool(v), VECTORS_MISSING)
    index, size, root = v["leafIdx"], v["treeSize"], _b64(v["root"])
    proof = [_b64(p) for p in v["proof"] or []]
    ok = verify_inclusion(index, size, _b64(v["leafHash"]), proof, root)
    assert ok is (not v["wantErr"]), v["desc"]
    if ok and 0 < size < len(ROOTS) and root == ROOTS[size]:
        # Happy paths over the standard leaves: our generator must emit the very same proof.
        assert inclusion_proof(index, size, STANDARD_TREE) == proof


@pytest.mark.parametrize(("name", "v"), _cases(CONSISTENCY_VECTORS))
def test_consistency_vector(name: str, v: dict[str, Any]) -> None:
    require_or_skip(bool(v), VECTORS_MISSING)
    first, second = v["size1"], v["size2"]
    root1, root2 = _b64(v["root1"]), _b64(v["root2"])
    proof = [_b64(p) for p in v["proof"] or []]
    ok = verify_consistency(first, second, root1, root2, proof)
    assert ok is (not v["wantErr"]), v["desc"]
    if ok and second < len(ROOTS) and root2 == ROOTS[second]:
        assert consistency_proof(first, second, STANDARD_TREE) == proof


# --- Property tests on trees up to MAX_SIZE leaves. ---

@st.composite
def size_and_index(draw: st.DrawFn, min_size: int = 1) -> tuple[int, int]:
    size = draw(st.integers(min_size, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, second)), second


@PROPS
@given(size_and_index())
def test_inclusion_proof_roundtrip(case: tuple[int, int]) -> None:
    size, index = case
    proof = inclusion_proof(index, size, BIG_TREE)
    assert proof == ref_path(index, BIG_LEAVES[:size])
    assert verify_inclusion(index, size, BIG_LEAVES[index], proof, BIG_ROOTS[size])
    # Truncated or padded proofs must fail on length alone.
    assert not verify_inclusion(index, size, BIG_LEAVES[index], proof + [EMPTY_ROOT],
                                BIG_ROOTS[size])
    if proof:
        assert not verify_inclusion(index, size, BIG_LEAVES[index], proof[:-1], BIG_ROOTS[size])
    # An extra hash past the root must not be accepted as proof of a taller "root" (the RFC's
    # "if sn is 0, stop and fail" step).
    x = BIG_LEAVES[0]
    assert not verify_inclusion(index, size, BIG_LEAVES[index], proof + [x],
                                node_hash(x, BIG_ROOTS[size]))


@PROPS
@given(size_and_index(min_size=2), st.data())
def test_inclusion_rejects_tampering(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    proof = inclusion_proof(index, size, BIG_TREE)
    i = data.draw(st.integers(0, len(proof) - 1))
    bad = flip(proof, i, data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7)))
    assert not verify_inclusion(index, size, BIG_LEAVES[index], bad, BIG_ROOTS[size])
    wrong = data.draw(st.integers(0, size + 3).filter(lambda j: j != index))
    assert not verify_inclusion(wrong, size, BIG_LEAVES[index], proof, BIG_ROOTS[size])
    assert not verify_inclusion(index, size, BIG_LEAVES[index], proof, BIG_ROOTS[size - 1])


@PROPS
@given(two_sizes())
def test_consistency_proof_roundtrip(case: tuple[int, int]) -> None:
    first, second = case
    proof = consistency_proof(first, second, BIG_TREE)
    assert proof == ref_subproof(first, BIG_LEAVES[:second], True)
    assert verify_consistency(first, second, BIG_ROOTS[first], BIG_ROOTS[second], proof)
    assert not verify_consistency(first, second, BIG_ROOTS[first], BIG_ROOTS[second],
                                  proof + [EMPTY_ROOT])
    assert not verify_consistency(0, second, EMPTY_ROOT, BIG_ROOTS[second], proof)
    if first != second:
        x = BIG_LEAVES[0]
        assert not verify_consistency(first, second, node_hash(x, BIG_ROOTS[first]),
                                      node_hash(x, BIG_ROOTS[second]), proof + [x])


@PROPS
@given(two_sizes(), st.data())
def test_consistency_rejects_tampering(case: tuple[int, int], data: st.DataObject) -> None:
    first, second = case
    proof = consistency_proof(first, second, BIG_TREE)
    r1, r2 = BIG_ROOTS[first], BIG_ROOTS[second]
    other = data.draw(st.sampled_from([r for r in BIG_ROOTS if r not in (r1, r2)]))
    assert not verify_consistency(first, second, other, r2, proof)
    assert not verify_consistency(first, second, r1, other, proof)
    if first != second:
        assert not verify_consistency(second, first, r2, r1, proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = flip(proof, i, data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7)))
        assert not verify_consistency(first, second, r1, r2, bad)
        assert not verify_consistency(first, second, r1, r2, proof[:-1])


@PROPS
@given(st.lists(st.binary(max_size=8), max_size=70))
def test_compact_range_matches_full_root(leaves: list[bytes]) -> None:
    hashes = [leaf_hash(d) for d in leaves]
    compact = CompactRange()
    for n, h in enumerate(hashes):
        assert compact.root() == root_from_leaf_hashes(hashes[:n])
        assert compact.append(h) == n
    assert compact.size == len(hashes)
    assert compact.root() == root_from_leaf_hashes(hashes)
    # A writer that persisted (size, hashes) resumes exactly where it stopped.
    resumed = CompactRange(compact.size, compact.hashes)
    resumed.append(leaf_hash(b"next"))
    assert resumed.root() == root_from_leaf_hashes([*hashes, leaf_hash(b"next")])


def test_compact_range_every_size_up_to_max() -> None:
    compact = CompactRange()
    for n, h in enumerate(BIG_LEAVES):
        compact.append(h)
        assert compact.root() == BIG_ROOTS[n + 1]
        assert len(compact.hashes) == (n + 1).bit_count()


@PROPS
@given(st.integers(0, MAX_SIZE), st.integers(0, MAX_SIZE))
def test_subtree_hash_any_range(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    assert BIG_TREE.subtree_hash(start, end) == root_from_leaf_hashes(BIG_LEAVES[start:end])


class CountingTree(MemoryTree):
    """Counts every subtree_hash call, the recursive ones included."""

    calls = 0

    def subtree_hash(self, start: int, end: int) -> bytes:
        self.calls += 1
        return super().subtree_hash(start, end)


def test_proofs_cost_logarithmic_lookups() -> None:
    size = 1000
    tree = CountingTree(leaf_hash(i.to_bytes(4, "big")) for i in range(size))
    bound = 3 * size.bit_length()
    for index in (0, 1, 511, 512, 700, 998, 999):
        tree.calls = 0
        inclusion_proof(index, size, tree)
        assert tree.calls <= bound, (index, tree.calls)
    for first in (1, 2, 3, 500, 512, 513, 999):
        tree.calls = 0
        consistency_proof(first, size, tree)
        assert tree.calls <= bound, (first, tree.calls)


# --- Argument handling. ---

def test_proof_generation_rejects_bad_ranges() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(8, 8, STANDARD_TREE)
    with pytest.raises(ValueError):
        inclusion_proof(-1, 8, STANDARD_TREE)
    with pytest.raises(ValueError):
        inclusion_proof(0, 9, STANDARD_TREE)
    with pytest.raises(ValueError):
        consistency_proof(5, 4, STANDARD_TREE)
    with pytest.raises(ValueError):
        consistency_proof(4, 9, STANDARD_TREE)
    assert consistency_proof(0, 8, STANDARD_TREE) == []
    assert consistency_proof(8, 8, STANDARD_TREE) == []


def test_proof_functions_accept_a_plain_callable() -> None:
    proof = inclusion_proof(5, 8, STANDARD_TREE.subtree_hash)
    assert proof == inclusion_proof(5, 8, STANDARD_TREE)
    assert verify_inclusion(5, 8, leaf_hash(LEAF_INPUTS[5]), proof, ROOTS[8])


def test_appending_raw_data_is_refused() -> None:
    with pytest.raises(ValueError):
        MemoryTree().append(b"not a hash")
    with pytest.raises(ValueError):
        CompactRange().append(b"not a hash")
    with pytest.raises(ValueError):
        CompactRange(3, [EMPTY_ROOT])
    assert MemoryTree().append_data(b"\x00") == 0


@pytest.mark.parametrize("args", [
    ("0", 1, ROOTS[1], [], ROOTS[1]),
    (0, None, ROOTS[1], [], ROOTS[1]),
    (0, 1, "not bytes", [], "not bytes"),
    (0, 1, ROOTS[1], None, ROOTS[1]),
    (0, 1, ROOTS[1], [None], ROOTS[1]),
    (0, 1, ROOTS[1], b"", ROOTS[1]),
    (-1, 0, ROOTS[1], [], ROOTS[1]),
])
def test_verify_inclusion_bad_input_is_false(args: tuple[Any, ...]) -> None:
    assert verify_inclusion(*args) is False


@pytest.mark.parametrize("args", [
    ("1", 2, ROOTS[1], ROOTS[2], [NODE_HASHES[0][1]]),
    (1, 2, None, ROOTS[2], [NODE_HASHES[0][1]]),
    (1, 2, ROOTS[1], ROOTS[2], None),
    (1, 2, ROOTS[1], ROOTS[2], [b"short"]),
    (-1, 2, ROOTS[1], ROOTS[2], [NODE_HASHES[0][1]]),
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, []),
])
def test_verify_consistency_bad_input_is_false(args: tuple[Any, ...]) -> None:
    assert verify_consistency(*args) is False
    # The same proof with well-formed arguments is valid, so the failure above is the input's.
    assert verify_consistency(1, 2, ROOTS[1], ROOTS[2], [NODE_HASHES[0][1]])


@PROPS
@given(
    st.integers(-2, 2**70), st.integers(-2, 2**70), st.binary(max_size=40),
    st.lists(st.binary(min_size=31, max_size=33), max_size=80), st.binary(max_size=40),
)
def test_verify_inclusion_never_raises(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> None:
    # Random data can only "verify" in the trivial one-leaf tree where the leaf is the root.
    trivial = index == 0 and size == 1 and not proof and leaf == root and len(leaf) == 32
    assert verify_inclusion(index, size, leaf, proof, root) is trivial


@PROPS
@given(
    st.integers(-2, 2**70), st.integers(-2, 2**70), st.binary(max_size=40),
    st.binary(max_size=40), st.lists(st.binary(min_size=31, max_size=33), max_size=80),
)
def test_verify_consistency_never_raises(
    first: int, second: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    trivial = 0 < first == second and not proof and root1 == root2
    assert verify_consistency(first, second, root1, root2, proof) is trivial


# --- Cross-check with an independent implementation (pymerkle, PyPI), on random trees ---------

def _pymerkle_tree(leaves: list[bytes]):  # type: ignore[no-untyped-def]
    # A pinned dev dependency: skip where it is not installed, fail in CI (require_or_skip).
    try:
        import pymerkle
    except ImportError:
        require_or_skip(False, "pymerkle is not installed (the 'test' extra)")
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for data in leaves:
        tree.append_entry(data)
    return pymerkle, tree


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=70), st.data())
def test_roots_and_proofs_match_pymerkle(leaves: list[bytes], data: st.DataObject) -> None:
    pymerkle, other = _pymerkle_tree(leaves)
    ours = MemoryTree(leaf_hash(leaf) for leaf in leaves)
    size = len(leaves)
    for n in {1, size // 2 or 1, size}:
        assert ours.root(n) == other.get_root(n)
    index = data.draw(st.integers(0, size - 1))
    # pymerkle numbers leaves from 1 and puts the leaf itself first on its path.
    path = other.prove_inclusion(index + 1, size).serialize()["path"]
    assert inclusion_proof(index, size, ours) == [bytes.fromhex(h) for h in path[1:]]
    first = data.draw(st.integers(1, size))
    their_proof = other.prove_consistency(first, size)
    pymerkle.verify_consistency(ours.root(first), ours.root(size), their_proof)  # raises if bad
    assert verify_consistency(first, size, other.get_root(first), other.get_root(size),
                              consistency_proof(first, size, ours))
