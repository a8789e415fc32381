"""Issue 17 item 6: a row that has a ledger leaf, changed behind the application's back, fails
``ledger verify`` (exit 1, naming the row), the background ``ledger sweep``, and its page.

One byte of each kind of row is altered in the database (an administrator's SQL, a restored
backup), each in a savepoint that is rolled back afterwards: a copy of the database per
alteration. Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.services import token_create
from custodywatch.cases import services as cases
from custodywatch.cases.models import EvidenceItem
from custodywatch.ledger import rows
from custodywatch.ledger.services import ledger_integrate_all
from custodywatch.video.models import RecordingSegment
from tests.cases.conftest import cw  # noqa: F401 - the case world fixture, used by name
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("ledger", "verify", stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def sweep() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("ledger", "sweep", "--sample", "100000", stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


@pytest.fixture
def logged(sealing_key, media_root, signer, cw, client):  # noqa: F811
    now = timezone.now()
    prosecutor = cw.people["prosecutor_a"]
    item = cases.evidence_register(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=cw.case_a, label="E1",
        kind=EvidenceItem.Kind.PHYSICAL, description="Резиновая дубинка",
        found_at="Кабинет 12", collected_by="Следователь", collected_at=now - dt.timedelta(hours=2),
        holder="Следователь", location="Сейф 1")
    transfer = cases.evidence_transfer(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, item=item, from_holder="Следователь",
        from_location="Сейф 1", to_holder="Судебно-медицинское бюро", to_location="Сейф 3",
        transferred_at=now - dt.timedelta(hours=1), reason="Для экспертизы")
    raw, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=cw.people["agent_a"])
    start = (now - dt.timedelta(hours=3)).replace(microsecond=0)
    items = [{"camera": "CAM1", "start": (start + dt.timedelta(minutes=10 * n)).isoformat(),
              "end": (start + dt.timedelta(minutes=10 * n + 10)).isoformat(),
              "sha256": hashlib.sha256(f"segment {n}".encode()).hexdigest()} for n in range(3)]
    posted = client.post("/api/video/recordings", json.dumps({"items": items}),
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="rows-1",
                         HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert posted.status_code == 200, posted.content
    ledger_integrate_all()
    return {"item": item, "transfer": transfer, "complaint": cw.complaint,
            "hold": cw.complaint.legal_holds.get(),
            "segment": RecordingSegment.objects.order_by("started_at").first()}


def _flip_hex(value: str) -> str:
    return ("1" if value[0] != "1" else "2") + value[1:]


def _flip_byte(value: bytes) -> bytes:
    middle = len(value) // 2
    return value[:middle] + bytes([value[middle] ^ 0x01]) + value[middle + 1:]


def _alter(table: str, column: str, pk: int, change) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        [value] = cursor.fetchone()
        value = bytes(value) if isinstance(value, memoryview) else value
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                       [change(value), pk])


ALTERATIONS = {
    # name: (table, column, row key, change, what verify must name)
    "evidence sha256": ("cases_evidenceitem", "sha256", "item", _flip_hex, "evidence item"),
    "evidence size": ("cases_evidenceitem", "size", "item", lambda v: (v or 0) + 1,
                      "evidence item"),
    "transfer reason": ("cases_evidencetransfer", "reason", "transfer",
                        lambda v: v.replace("Для", "Без"), "evidence transfer"),
    "segment sha256": ("video_recordingsegment", "sha256", "segment", _flip_hex,
                       "recording segment CAM1"),
    "complaint text": ("complaints_complaint", "text_sealed", "complaint", _flip_byte,
                       "complaint C-"),
    "complaint receipt": ("complaints_complaint", "receipt_sha256", "complaint", _flip_hex,
                          "no complaint carries this receipt"),
    "legal hold period": ("complaints_legalhold", "ends_at", "hold",
                          lambda v: v + dt.timedelta(minutes=1) if isinstance(v, dt.datetime)
                          else v.replace(":", ":", 1)[:-1] + "1", "legal hold"),
}


def test_an_intact_database_verifies_row_by_row(logged):
    code, message = verify()
    assert code == 0 and "every logged row re-derived" in message, message
    assert sweep()[0] == 0


@pytest.mark.parametrize("name", sorted(ALTERATIONS))
def test_one_altered_byte_of_a_logged_row_fails_verify_and_sweep(logged, name):
    table, column, key, change, named = ALTERATIONS[name]
    with transaction.atomic():
        _alter(table, column, logged[key].pk, change)
        code, message = verify()
        assert code == 1, f"{name}: {message}"
        assert named in message and "changed" in message, message
        swept, found = sweep()
        assert swept == 1 and named in found, found
        transaction.set_rollback(True)
    assert verify()[0] == 0  # the copy is gone: the real rows verify again


def test_pages_show_an_altered_row_loudly(logged, cw):  # noqa: F811
    client = sign_in(__import__("django.test", fromlist=["Client"]).Client(),
                     cw.people["prosecutor_a"])
    evidence_url = reverse("cases:evidence", args=[logged["item"].pk])
    complaint_url = reverse("complaints:detail", args=[logged["complaint"].pk])
    for url in (evidence_url, complaint_url):
        assert 'data-testid="ledger-mismatch"' not in client.get(url).content.decode()
    with transaction.atomic():
        _alter("cases_evidenceitem", "sha256", logged["item"].pk, _flip_hex)
        _alter("complaints_complaint", "text_sealed", logged["complaint"].pk, _flip_byte)
        for url in (evidence_url, complaint_url):
            page = client.get(url)
            assert page.status_code == 200
            assert 'data-testid="ledger-mismatch"' in page.content.decode(), url
        # Before this change the evidence page said "queued, to be checked".
        assert "queued" not in client.get(evidence_url).content.decode()
        assert rows.evidence_row_findings(EvidenceItem.objects.get(pk=logged["item"].pk))
        transaction.set_rollback(True)


def test_leaves_written_before_commitments_still_verify(logged):
    """An existing log keeps verifying: audit and hold leaves in their earlier, clear form."""
    from custodywatch.accounts.models import AuditEvent
    from custodywatch.kernels.ledger_leaf import iso_time
    from custodywatch.ledger.appends import audit_event_fields, ledger_append
    from custodywatch.ledger.models import LeafKind

    event = AuditEvent.objects.order_by("-pk").first()
    ledger_append(kind=LeafKind.AUDIT_EVENT, fields=audit_event_fields(event, legacy=True))
    hold = logged["hold"]
    ledger_append(kind=LeafKind.LEGAL_HOLD, fields={
        "subject": f"complaint:{hold.complaint.reference}", "action": "placed", "by": "system",
        "at": iso_time(hold.created_at), "hold": hold.pk, "facility": "FA-1", "rooms": [],
        "from": iso_time(hold.starts_at), "until": iso_time(hold.ends_at)})
    ledger_integrate_all()
    code, message = verify()
    assert code == 0, message
    with transaction.atomic():
        _alter("complaints_legalhold", "ends_at", hold.pk, ALTERATIONS["legal hold period"][3])
        assert verify()[0] == 1
        transaction.set_rollback(True)
