"""`custodywatch ledger verify`: tamper with the stored log, expect the first bad index."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from custodywatch.accounts.audit import SYSTEM_ORIGIN, audit_record
from custodywatch.accounts.models import AuditEvent
from custodywatch.kernels.checkpoint import format_checkpoint
from custodywatch.kernels.merkle import leaf_hash
from custodywatch.kernels.signed_note import generate_key, sign_note
from custodywatch.ledger import db_guards, services
from custodywatch.ledger.models import Checkpoint, Leaf, LeafKind, PendingLeaf
from tests.ledger.conftest import ORIGIN, register_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(signer):
    PendingLeaf.objects.all().delete()
    for n in range(300):
        register_evidence(n)
    services.ledger_integrate(limit=100, signer=signer)
    services.ledger_integrate_all()
    return signer


def verify(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("ledger", "verify", *args, stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def sql(statement: str, params: list | None = None) -> None:
    # A database administrator's tampering: the guards are dropped first, as only they can.
    db_guards.uninstall(connection)
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def test_intact_log_verifies(log):
    code, message = verify()
    assert code == 0, message
    assert "300 leaves" in message


def test_one_changed_byte_names_its_index(log):
    data = bytearray(Leaf.objects.get(index=5).data)
    data[-3] ^= 1
    sql("UPDATE ledger_leaf SET data = %s WHERE \"index\" = 5", [bytes(data)])
    code, message = verify()
    assert code == 1
    assert "first bad index 5:" in message


def test_changed_data_and_hash_is_caught_by_the_tile(log):
    leaf = Leaf.objects.get(index=9)
    forged = bytes(leaf.data).replace(b"\"E-9\"", b"\"E-X\"")
    assert forged != bytes(leaf.data)
    sql("UPDATE ledger_leaf SET data = %s, leaf_hash = %s WHERE \"index\" = 9",
        [forged, leaf_hash(forged)])
    code, message = verify()
    assert (code, "first bad index 9:" in message) == (1, True), message


def test_dropped_leaf_names_its_index(log):
    sql("DELETE FROM ledger_leaf WHERE \"index\" = 7")
    code, message = verify()
    assert code == 1 and "first bad index 7:" in message and "missing" in message


def test_reordered_leaves_name_the_first(log):
    rows = {i: Leaf.objects.get(index=i) for i in (3, 4)}
    for here, there in ((3, 4), (4, 3)):
        sql("UPDATE ledger_leaf SET data = %s, leaf_hash = %s, sha256 = %s WHERE \"index\" = %s",
            [bytes(rows[there].data), bytes(rows[there].leaf_hash), rows[there].sha256, here])
    code, message = verify()
    assert code == 1 and "first bad index 3:" in message


def test_leaf_beyond_the_tiles_reordered_is_caught_by_the_root(log):
    rows = {i: Leaf.objects.get(index=i) for i in (280, 290)}
    for here, there in ((280, 290), (290, 280)):
        sql("UPDATE ledger_leaf SET data = %s, leaf_hash = %s WHERE \"index\" = %s",
            [bytes(rows[there].data), bytes(rows[there].leaf_hash), here])
    code, message = verify()
    # No full tile covers these; the batch [100, 300) is the smallest range the log can name.
    assert code == 1 and "first bad index 100:" in message


def test_replaced_checkpoint_with_another_key_fails(log, tmp_path):
    stranger, _ = generate_key(ORIGIN)
    latest = Checkpoint.objects.order_by("-id").first()
    forged = tmp_path / "forged.txt"
    forged.write_text(sign_note(format_checkpoint(ORIGIN, latest.size, bytes(latest.root)),
                                stranger))
    code, message = verify("--checkpoint", str(forged))
    assert code == 1 and "checkpoint rejected" in message


def test_replaced_checkpoint_with_another_root_fails(log):
    latest = Checkpoint.objects.order_by("-id").first()
    wrong_root = bytes(32)
    Checkpoint.objects.create(size=latest.size, root=wrong_root, edge=latest.edge,
                              key_name=latest.key_name,
                              note=sign_note(format_checkpoint(ORIGIN, latest.size, wrong_root),
                                             log))
    code, message = verify()
    assert code == 1 and "first bad index 100:" in message


def test_edited_audit_row_is_caught_though_its_leaf_is_intact(log):
    event = audit_record(actor=None, action=AuditEvent.Action.READ, origin=SYSTEM_ORIGIN,
                         object_type="complaints.complaint", object_id="17")
    services.ledger_integrate_all()
    index = Leaf.objects.filter(kind=LeafKind.AUDIT_EVENT).order_by("-index").first().index
    AuditEvent.objects.filter(pk=event.pk).update(object_id="18")
    code, message = verify()
    assert code == 1 and f"first bad index {index}:" in message and "changed" in message


def test_bad_checkpoint_file_is_bad_input(log, tmp_path):
    code, message = verify("--checkpoint", str(tmp_path / "absent.txt"))
    assert code == 2 and "absent.txt" in message
