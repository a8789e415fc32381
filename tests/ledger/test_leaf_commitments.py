"""Issue 17 item 5: a ledger leaf tells its readers no more than they may see elsewhere.

Readers of the ledger who may not see a complaint or a case (the analyst, the NPM monitor, a
forensic expert, the system administrator, a prosecutor of another region) read every leaf,
on its page and through the API: no complaint reference, accused facility, incident window,
case number, evidence holder, file name or reason is in any of them, and no audit leaf says
who read which object. The complaint's handler sees the committed details and the salt, and
recomputes the leaf's commitment from them; the log still verifies for anyone.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_create
from custodywatch.cases import services as cases
from custodywatch.cases.models import EvidenceItem
from custodywatch.kernels.ledger_leaf import commitment, decode_leaf
from custodywatch.kernels.merkle import leaf_hash
from custodywatch.ledger.models import Leaf, LeafKind
from custodywatch.ledger.services import ledger_integrate_all
from tests.cases.conftest import ERDR_A, cw  # noqa: F401 - the case world fixture
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db

BARRED = ("analyst", "monitor", "forensic", "admin", "prosecutor_b")


@pytest.fixture
def logged(sealing_key, media_root, signer, cw):  # noqa: F811
    prosecutor = cw.people["prosecutor_a"]
    now = timezone.now()
    item = cases.evidence_register(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, case=cw.case_a, label="E1",
        kind=EvidenceItem.Kind.PHYSICAL, description="Резиновая дубинка",
        found_at="Кабинет 12", collected_by="Следователь", collected_at=now - dt.timedelta(hours=2),
        holder="Следователь Абенов", location="Сейф 1")
    cases.evidence_transfer(
        acting_user=prosecutor, origin=SYSTEM_ORIGIN, item=item,
        from_holder="Следователь Абенов", from_location="Сейф 1",
        to_holder="Судебно-медицинское бюро", to_location="Сейф 3",
        transferred_at=now - dt.timedelta(hours=1), reason="Экспертиза побоев")
    ledger_integrate_all()
    people = {**cw.people, "monitor": make_user("monitor", Role.NPM_MONITOR)}
    return people, cw.complaint, cw.complaint.legal_holds.get()


def _secrets(complaint, hold) -> list[str]:  # type: ignore[no-untyped-def]
    return [complaint.reference, "FA-1", hold.starts_at.astimezone(dt.UTC).isoformat()[:16],
            ERDR_A, "Абенов", "Судебно-медицинское", "Экспертиза побоев", "prosecutor_a"]


def test_barred_readers_see_no_complaint_or_case_detail_in_any_leaf(logged, client):
    people, complaint, hold = logged
    size = Leaf.objects.count()
    hold_leaf = next(leaf.index for leaf in Leaf.objects.filter(kind=LeafKind.LEGAL_HOLD))
    secrets = _secrets(complaint, hold)
    for name in BARRED:
        user = people[name]
        reader = sign_in(Client(), user)
        assert reader.get(reverse("complaints:detail", args=[complaint.pk])).status_code in (
            403, 404)
        page = reader.get(reverse("ledger:leaf_detail", args=[hold_leaf]))
        assert page.status_code == 200, name
        text = page.content.decode()
        assert 'data-testid="opened-details"' not in text
        raw, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=user)
        leaves = client.get("/api/ledger/leaves", {"start": 0, "end": size},
                            HTTP_AUTHORIZATION=f"Bearer {raw}").json()["leaves"]
        assert len(leaves) == size
        data = "\n".join(base64.b64decode(leaf["data"]).decode() for leaf in leaves)
        for secret in secrets:
            assert secret not in text and secret not in data, (name, secret)
    for leaf in Leaf.objects.filter(kind=LeafKind.AUDIT_EVENT):
        _kind, fields = decode_leaf(bytes(leaf.data))
        assert fields["actor"] == "" and fields["object_id"] == ""


def test_the_handler_opens_the_commitment_and_anyone_can_check_the_log(logged):
    people, complaint, hold = logged
    leaf = Leaf.objects.get(kind=LeafKind.LEGAL_HOLD)
    _kind, fields = decode_leaf(bytes(leaf.data))
    page = sign_in(Client(), people["prosecutor_a"]).get(
        reverse("ledger:leaf_detail", args=[leaf.index]))
    view = page.context["view"]
    assert view.opened is not None and view.opened.opens
    assert view.opened.details["complaint"] == complaint.reference
    assert view.opened.details["facility"] == "FA-1"
    assert complaint.reference in page.content.decode()
    # The salt and the details shown recompute the leaf's commitment, without the server.
    assert commitment(bytes.fromhex(view.opened.salt), view.opened.details) == fields["details"]
    # The leaf itself is an ordinary, verifiable leaf.
    assert leaf_hash(bytes(leaf.data)) == bytes(leaf.leaf_hash)
    evidence = Leaf.objects.get(kind=LeafKind.EVIDENCE_REGISTERED)
    page = sign_in(Client(), people["prosecutor_a"]).get(
        reverse("ledger:leaf_detail", args=[evidence.index]))
    assert page.context["view"].opened.details["case"] == ERDR_A
