"""Issue 24 item 3: the Victim Compensation Fund from application to the Treasury register
and recourse against the convicted officer, amounts in MCI units from the tables."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from custodywatch.accountability import services
from custodywatch.accountability.models import (
    FundTariff,
    MciRate,
    RecourseStatus,
    TreasuryRegister,
)
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.cases.models import (
    Article,
    CaseParty,
    Charge,
    CompensationClaim,
    Officer,
    Person,
    Verdict,
)
from custodywatch.reports import selectors as report_selectors
from tests.accountability.conftest import at
from tests.conftest import ensure_reference_data, make_user, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(dataset, people):
    case = dataset.case
    case.supervising_prosecutor = people["prosecutor_a"]
    case.save()
    victim = CaseParty.objects.create(case=case, role=CaseParty.Role.VICTIM,
                                      person=Person.objects.create(full_name="Асанов Берик",
                                                                   iin="900501300123"))
    accused = CaseParty.objects.get(case=case, role=CaseParty.Role.ACCUSED)
    Charge.objects.create(case=case, accused=accused, victim=victim, article=Article.TORTURE,
                          article_part="2", verdict=Verdict.CONVICTED,
                          verdict_on=dt.date(2025, 4, 2))
    other = CaseParty.objects.create(case=case, role=CaseParty.Role.VICTIM,
                                     person=Person.objects.create(full_name="Other"))
    Charge.objects.create(case=case, accused=accused, victim=other,
                          article=Article.ABUSE_OF_POWER, verdict=Verdict.CONVICTED)
    claim = CompensationClaim.objects.create(case=case, victim=victim,
                                             claimed_at=dt.date(2025, 4, 5),
                                             amount_claimed=Decimal("1"))
    refused = CompensationClaim.objects.create(case=case, victim=other,
                                               claimed_at=dt.date(2025, 4, 5),
                                               amount_claimed=Decimal("1"))
    officer = make_user("fund", Role.COMPENSATION_OFFICER)
    return claim, refused, officer, accused.officer


def test_the_tables_are_seeded():
    # The migration loads them; a transactional test on this worker may have flushed them
    # since, and the tests put them back as the demo does (load_fund_tables, idempotent).
    ensure_reference_data()
    ensure_reference_data()
    assert MciRate.objects.filter(year=2025).count() == 1
    assert MciRate.objects.get(year=2025).amount == Decimal("3932")
    assert FundTariff.objects.get(category="torture").units == Decimal("30")


def test_from_application_to_register_and_recourse(fund, people, client):
    claim, refused, officer, convicted = fund
    prosecutor = people["prosecutor_a"]
    review = services.fund_review(acting_user=prosecutor, origin=SYSTEM_ORIGIN, claim=claim,
                                  reviewed_on=dt.date(2025, 4, 10))
    assert review.eligible and review.category == "torture"
    assert review.amount == Decimal("117960.00")  # 30 MCI x 3,932 (2025)
    assert not services.fund_review(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                    claim=refused, reviewed_on=dt.date(2025, 4, 10)).eligible
    services.fund_decide(acting_user=officer, origin=SYSTEM_ORIGIN, claim=claim,
                         decided_on=dt.date(2025, 4, 15))
    services.fund_decide(acting_user=officer, origin=SYSTEM_ORIGIN, claim=refused,
                         decided_on=dt.date(2025, 4, 15))
    claim.refresh_from_db()
    refused.refresh_from_db()
    assert claim.decision == "granted" and claim.amount_granted == Decimal("117960.00")
    assert refused.decision == "refused" and refused.amount_granted is None
    register = services.treasury_register_create(
        acting_user=officer, origin=SYSTEM_ORIGIN, at=at(20, 12, month=4))
    assert register.number == "TR-2025-0001"
    content = services.register_csv(register)
    assert hashlib.sha256(content).hexdigest() == register.csv_sha256
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[1][3:6] == ["Асанов Берик", "900501300123", "117960.00"]
    assert len(rows) == 2  # the refused claim and the dataset's paid claim are not on it
    sheet = load_workbook(io.BytesIO(services.register_xlsx(register))).active
    assert sheet.cell(2, 6).value == 117960
    with pytest.raises(ValidationError) as error:
        services.treasury_register_create(acting_user=officer, origin=SYSTEM_ORIGIN)
    assert "claims" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # not paid yet
        services.recourse_file(acting_user=officer, origin=SYSTEM_ORIGIN, claim=claim,
                               officer=convicted, filed_on=dt.date(2025, 5, 1))
    assert "claim" in error.value.message_dict
    services.treasury_register_paid(acting_user=officer, origin=SYSTEM_ORIGIN,
                                    register=register, paid_on=dt.date(2025, 4, 25))
    claim.refresh_from_db()
    assert claim.paid_at == dt.date(2025, 4, 25)
    stranger = Officer.objects.create(full_name="Not convicted")
    with pytest.raises(ValidationError) as error:
        services.recourse_file(acting_user=officer, origin=SYSTEM_ORIGIN, claim=claim,
                               officer=stranger, filed_on=dt.date(2025, 5, 1))
    assert "officer" in error.value.message_dict
    recourse = services.recourse_file(acting_user=officer, origin=SYSTEM_ORIGIN, claim=claim,
                                      officer=convicted, filed_on=dt.date(2025, 5, 1))
    assert recourse.amount == Decimal("117960.00")
    services.recourse_update(acting_user=officer, origin=SYSTEM_ORIGIN, recourse=recourse,
                             recovered=Decimal("50000"), on=dt.date(2025, 6, 1))
    recourse.refresh_from_db()
    assert recourse.status == RecourseStatus.PARTLY
    # Days from application to payment per region (the reports' scorecard): 20 (5 -> 25
    # April); the dataset's claim 11 (25 March -> 5 April); median 15.5.
    assert report_selectors.days_to_payment_by_region(user=people["gpo"]) == [
        (dataset_region_name(claim), 2, 15.5)]
    sign_in(client, officer)
    download = client.get(f"/accountability/fund/registers/{register.pk}.csv")
    assert download.status_code == 200 and download.content == content
    assert client.get("/accountability/fund/").status_code == 200


def dataset_region_name(claim: CompensationClaim) -> str:
    return claim.case.region.name


def test_roles_and_scope(fund, people, client, facility_b):
    claim, _refused, officer, _convicted = fund
    with pytest.raises(PermissionDenied):  # the Fund does not review: the prosecution does
        services.fund_review(acting_user=officer, origin=SYSTEM_ORIGIN, claim=claim,
                             reviewed_on=dt.date(2025, 4, 10))
    services.fund_review(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, claim=claim,
                         reviewed_on=dt.date(2025, 4, 10))
    with pytest.raises(PermissionDenied):  # the prosecution does not decide
        services.fund_decide(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                             claim=claim, decided_on=dt.date(2025, 4, 15))
    with pytest.raises(PermissionDenied):
        services.treasury_register_create(acting_user=people["gpo"], origin=SYSTEM_ORIGIN)
    claim.refresh_from_db()
    assert claim.decision == "pending"
    assert not TreasuryRegister.objects.exists()
    for name in ("head_a", "analyst"):
        sign_in(client, people[name])
        assert client.get("/accountability/fund/").status_code == 403
        assert client.get(f"/accountability/fund/claims/{claim.pk}/").status_code == 403


def test_bad_input_names_the_field_and_changes_nothing(fund, people):
    claim, _refused, officer, _convicted = fund
    with pytest.raises(ValidationError) as error:
        services.fund_review(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                             claim=claim, reviewed_on=dt.date(2025, 4, 1))
    assert "reviewed_on" in error.value.message_dict
    MciRate.objects.filter(year=2024).delete()
    claim.claimed_at = dt.date(2024, 1, 2)
    claim.save()
    with pytest.raises(ValidationError) as error:
        services.fund_review(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                             claim=claim, reviewed_on=dt.date(2024, 2, 1))
    assert "2024" in str(error.value.message_dict["reviewed_on"])
    assert not hasattr(CompensationClaim.objects.get(pk=claim.pk), "fund_review")


def test_the_pages_take_a_claim_to_recourse_and_refuse_the_others(fund, people, client):
    claim, _refused, officer, convicted = fund
    sign_in(client, people["prosecutor_a"])
    page = client.get(f"/accountability/fund/claims/{claim.pk}/")
    assert page.status_code == 200 and 'name="action" value="review"' in page.content.decode()
    assert client.post(f"/accountability/fund/claims/{claim.pk}/",
                       {"action": "review", "day": "2025-04-10"}).status_code == 302
    assert client.post("/accountability/fund/registers/").status_code == 403
    sign_in(client, people["head_a"])
    assert client.post("/accountability/fund/registers/").status_code == 403
    assert client.post(f"/accountability/fund/claims/{claim.pk}/",
                       {"action": "decide", "day": "2025-04-15"}).status_code == 403
    sign_in(client, officer)
    assert client.post(f"/accountability/fund/claims/{claim.pk}/",
                       {"action": "decide", "day": "2025-04-15"}).status_code == 302
    claim.refresh_from_db()
    assert claim.decision == "granted"
    assert client.post("/accountability/fund/registers/").status_code == 302
    register = TreasuryRegister.objects.get()
    csv_file = client.get(f"/accountability/fund/registers/{register.pk}.csv")
    assert hashlib.sha256(csv_file.content).hexdigest() == register.csv_sha256
    assert client.get(f"/accountability/fund/registers/{register.pk}.xlsx").status_code == 200
    assert client.get(f"/accountability/fund/registers/{register.pk}.exe").status_code == 404
    today = dt.date.today().isoformat()
    assert client.post(f"/accountability/fund/registers/{register.pk}/paid/",
                       {"day": today}).status_code == 302
    claim.refresh_from_db()
    assert claim.paid_at is not None
    assert client.post(f"/accountability/fund/claims/{claim.pk}/",
                       {"action": "recourse", "officer": convicted.pk, "day": today}
                       ).status_code == 302
    recourse = claim.recourse_claims.get()
    assert client.post(f"/accountability/fund/recourse/{recourse.pk}/",
                       {"recovered": "117960", "day": today}).status_code == 302
    recourse.refresh_from_db()
    assert recourse.status == RecourseStatus.RECOVERED
    # Readers outside the Fund: no register, no recourse.
    for name in ("analyst", "head_a"):
        sign_in(client, people[name])
        assert client.get(f"/accountability/fund/registers/{register.pk}.csv"
                          ).status_code in (403, 404)
        assert client.post(f"/accountability/fund/recourse/{recourse.pk}/",
                           {"recovered": "0", "day": today}).status_code in (403, 404)
    recourse.refresh_from_db()
    assert recourse.recovered == Decimal("117960")
