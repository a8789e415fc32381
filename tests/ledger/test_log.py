"""Appends, integration, tiles, database-level append-only guards."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
from custodywatch.accounts.models import AuditEvent
from custodywatch.demo.generator import wipe
from custodywatch.kernels import merkle
from custodywatch.kernels.ledger_leaf import decode_leaf
from custodywatch.kernels.signed_note import generate_key, open_note
from custodywatch.ledger import selectors, services
from custodywatch.ledger.models import Checkpoint, Leaf, PendingLeaf, Tile
from tests.ledger.conftest import ORIGIN, register_evidence

pytestmark = pytest.mark.django_db


def test_audit_event_queues_its_leaf_in_the_same_transaction(signer):
    before = PendingLeaf.objects.count()
    event = audit_record(actor=None, action=AuditEvent.Action.EXPORT, origin=SYSTEM_ORIGIN,
                         object_type="registry.facility", object_id="FA-1",
                         detail={"rows": 3})
    pending = PendingLeaf.objects.order_by("-id").first()
    assert PendingLeaf.objects.count() == before + 1
    kind, fields = decode_leaf(bytes(pending.data))
    assert kind == "audit_event"
    assert fields["event"] == event.pk and fields["object_type"] == "registry.facility"
    # Who acted on which object, and the details, by salted commitment only (issue 17 item 5).
    assert fields["object_id"] == "" and fields["actor"] == ""
    assert "rows" not in bytes(pending.data).decode() and "FA-1" not in bytes(
        pending.data).decode()


def test_a_failed_business_write_leaves_no_leaf(signer):
    before = PendingLeaf.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action=AuditEvent.Action.UPDATE, origin=SYSTEM_ORIGIN,
                     object_type="x", object_id="1")
        raise RuntimeError("the business write failed")
    assert PendingLeaf.objects.count() == before


def test_integration_is_batched_ordered_and_signed(signer):
    PendingLeaf.objects.all().delete()
    digests = [register_evidence(n) for n in range(600)]
    first = services.ledger_integrate(limit=400, signer=signer)
    second = services.ledger_integrate(limit=400, signer=signer)
    assert services.ledger_integrate(limit=400, signer=signer) is None
    assert (first.size, second.size) == (400, 600)
    assert list(Leaf.objects.order_by("index").values_list("sha256", flat=True)) == digests
    assert not PendingLeaf.objects.exists()
    hashes = [merkle.leaf_hash(bytes(d)) for d in
              Leaf.objects.order_by("index").values_list("data", flat=True)]
    assert bytes(second.root) == merkle.root_from_leaf_hashes(hashes)
    assert bytes(first.root) == merkle.root_from_leaf_hashes(hashes[:400])
    # Two full level-0 tiles, written once, never the partial right edge.
    assert sorted(Tile.objects.values_list("level", "index")) == [(0, 0), (0, 1)]
    note = open_note(second.note, [signer.verifier()])
    assert note.text.splitlines()[:2] == [ORIGIN, "600"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's in-database move")
def test_sqlite_integration_moves_queued_rows_in_order_across_gaps(signer):
    PendingLeaf.objects.all().delete()
    for n in range(5):
        register_evidence(n)
    PendingLeaf.objects.filter(pk=PendingLeaf.objects.order_by("id")[1].pk).delete()  # a gap
    for n in range(5, 8):
        register_evidence(n)
    queued = list(PendingLeaf.objects.order_by("id").values_list("data", "sha256", "queued_at"))
    assert services.ledger_integrate(signer=signer).size == 7
    assert services.ledger_integrate(signer=signer) is None
    leaves = list(Leaf.objects.order_by("index").values_list("index", "data", "leaf_hash",
                                                            "sha256", "queued_at"))
    assert [row[0] for row in leaves] == list(range(7))
    assert [(bytes(d), s, q) for _i, d, _h, s, q in leaves] == [
        (bytes(d), s, q) for d, s, q in queued]
    assert all(bytes(h) == merkle.leaf_hash(bytes(d)) for _i, d, h, _s, _q in leaves)
    head = selectors.checkpoint_latest()
    assert head.size == 7
    assert bytes(head.root) == merkle.root_from_leaf_hashes([bytes(r[2]) for r in leaves])
    # A batch smaller than the queue takes the oldest rows and leaves the rest queued.
    later = [register_evidence(n) for n in range(8, 11)]
    assert services.ledger_integrate(limit=2, signer=signer).size == 9
    assert PendingLeaf.objects.count() == 1
    assert services.ledger_integrate(signer=signer).size == 10
    assert list(Leaf.objects.order_by("index").values_list("sha256", flat=True))[7:] == later


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's in-database move")
def test_sqlite_move_stores_what_the_generic_path_stores(signer, monkeypatch):
    PendingLeaf.objects.all().delete()
    for n in range(6):
        register_evidence(n)
    with monkeypatch.context() as patch:  # the first three through the generic path
        patch.setattr(services, "_integrate_rows_sqlite", services._integrate_rows)
        services.ledger_integrate(limit=3, signer=signer)
    services.ledger_integrate(limit=3, signer=signer)
    with connection.cursor() as cursor:
        cursor.execute('SELECT typeof(kind), typeof(data), typeof(leaf_hash), typeof(sha256), '
                       'typeof(queued_at), length(queued_at), typeof(integrated_at) '
                       'FROM ledger_leaf ORDER BY "index"')
        shapes = cursor.fetchall()
    assert len(set(shapes)) == 1, shapes
    hashes = [bytes(h) for h in Leaf.objects.order_by("index").values_list("leaf_hash",
                                                                          flat=True)]
    assert bytes(selectors.checkpoint_latest().root) == merkle.root_from_leaf_hashes(hashes)


def test_proofs_from_the_store_verify(signer):
    for n in range(300):
        register_evidence(n)
    services.ledger_integrate_all()
    size = selectors.tree_size()
    root = bytes(selectors.checkpoint_latest().root)
    for index in (0, 255, 256, size - 1):
        digest, proof = selectors.inclusion_proof(index=index, size=size)
        assert merkle.verify_inclusion(index, size, digest, proof, root)
    old = Checkpoint.objects.order_by("id").first()
    proof = selectors.consistency_proof(first=old.size, second=size)
    assert merkle.verify_consistency(old.size, size, bytes(old.root), root, proof)
    with pytest.raises(selectors.ProofError):
        selectors.inclusion_proof(index=size, size=size + 1)


def test_checkpoint_on_demand_resigns_after_key_rotation(signer, settings, tmp_path):
    register_evidence(1)
    head = services.checkpoint_issue()
    assert services.checkpoint_issue().pk == head.pk  # nothing new: the same checkpoint
    new_key, new_verifier = generate_key(ORIGIN)
    path = tmp_path / "new.key"
    path.write_text(new_key.to_text())
    settings.LEDGER_SIGNING_KEY_FILE = str(path)
    rotated = services.checkpoint_issue()
    assert rotated.pk != head.pk and rotated.size == head.size
    assert bytes(rotated.root) == bytes(head.root)
    assert open_note(rotated.note, [new_verifier]).text == open_note(
        head.note, [signer.verifier()]).text


@pytest.mark.parametrize("table", ["ledger_leaf", "ledger_tile", "ledger_checkpoint"])
def test_database_refuses_update_and_delete_on_log_tables(signer, table):
    for n in range(256):
        register_evidence(n)
    services.ledger_integrate_all()
    column = {"ledger_leaf": "kind", "ledger_tile": "level", "ledger_checkpoint": "key_name"}
    value = {"ledger_leaf": "'x'", "ledger_tile": "1", "ledger_checkpoint": "'x'"}
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column[table]} = {value[table]}")  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Leaf.objects.filter(index=0).update(sha256="0" * 64)


def test_pending_leaves_refuse_update(signer):
    register_evidence(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PendingLeaf.objects.update(sha256="0" * 64)


def test_demo_wipe_is_the_one_path_that_empties_the_ledger(signer):
    register_evidence(1)
    services.ledger_integrate_all()
    wipe()
    assert not Leaf.objects.exists() and not Checkpoint.objects.exists()
    register_evidence(2)
    services.ledger_integrate_all()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Leaf.objects.all().delete()  # the guards are back
