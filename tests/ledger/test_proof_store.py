"""The one-read proof store: answers equal the in-memory tree's, and what proofs read from
(tile internal nodes, the checkpoint's right edge) is covered by `ledger verify`."""

from __future__ import annotations

import pytest

from custodywatch.kernels import merkle
from custodywatch.ledger import selectors, services
from custodywatch.ledger.models import Checkpoint, Leaf, PendingLeaf, Tile
from tests.ledger.conftest import register_evidence
from tests.ledger.test_verify import sql, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(signer):
    PendingLeaf.objects.all().delete()
    for n in range(600):
        register_evidence(n)
    services.ledger_integrate(limit=257, signer=signer)  # a checkpoint inside tile 1
    services.ledger_integrate_all()
    return signer


def test_proofs_equal_the_memory_trees_at_every_checkpoint_and_between(log):
    hashes = [bytes(h) for h in Leaf.objects.order_by("index").values_list("leaf_hash",
                                                                            flat=True)]
    tree = merkle.MemoryTree(hashes)
    assert Tile.objects.filter(nodes__isnull=False).count() == Tile.objects.count() == 2
    sizes = sorted(set(Checkpoint.objects.values_list("size", flat=True)) | {300, 511, 512})
    for size in sizes:
        for index in {0, 255, 256, size // 2, size - 1} & set(range(size)):
            leaf, proof = selectors.inclusion_proof(index=index, size=size)
            assert (leaf, proof) == (hashes[index], merkle.inclusion_proof(index, size, tree))
        for first in (1, 256, 257, size - 1):
            if 0 < first <= size:
                assert selectors.consistency_proof(first=first, second=size) == \
                    merkle.consistency_proof(first, size, tree)
    with pytest.raises(selectors.ProofError):
        selectors.inclusion_proof(index=0, size=601)
    with pytest.raises(selectors.ProofError):
        selectors.consistency_proof(first=1, second=601)


def test_tampered_internal_nodes_are_caught_by_verify(log):
    tile = Tile.objects.get(level=0, index=1)
    nodes = bytearray(tile.nodes)
    nodes[40] ^= 1
    sql("UPDATE ledger_tile SET nodes = %s WHERE id = %s", [bytes(nodes), tile.pk])
    code, message = verify()
    assert code == 1
    assert "internal nodes of tile 0/1" in message


def test_tampered_right_edge_is_caught_by_verify(log):
    head = Checkpoint.objects.get(size=257)
    edge = bytearray(head.edge)
    edge[0] ^= 1
    sql("UPDATE ledger_checkpoint SET edge = %s WHERE id = %s", [bytes(edge), head.pk])
    code, message = verify()
    assert code == 1
    assert "right edge of size 257" in message
