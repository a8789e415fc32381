"""A custodian decides or reviews an identity request only of a complaint he may see: never
one that accuses him, one outside his scope, or his own request; the page finds nothing else
(404), and every refusal is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.cases import services as case_services
from custodywatch.complaints import selectors, services
from custodywatch.complaints.models import IdentityAccess
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(file_complaint, facility_a):
    # Still in custody: urgent, so break-the-glass is allowed too.
    return file_complaint(facility=facility_a, still_in_custody=True,
                          identity=services.Identity(full_name="Ахметов Серик")).complaint


@pytest.fixture
def request_(complaint, people):
    return services.identity_access_request(acting_user=people["prosecutor_a"],
                                            origin=SYSTEM_ORIGIN, complaint=complaint,
                                            reason="Вызвать на опрос")


@pytest.fixture
def break_glass(complaint, people):
    return services.identity_access_request(acting_user=people["prosecutor_a"],
                                            origin=SYSTEM_ORIGIN, complaint=complaint,
                                            reason="Угроза жизни", break_glass=True)


@pytest.fixture
def accused_custodian(complaint, people):
    """A General Prosecutor's Office official the complaint accuses (say, seconded there)."""
    official = make_user("gpo_accused", Role.GENERAL_PROSECUTOR)
    case_services.accusation_add(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                 complaint=complaint, full_name="Бекетов Арман",
                                 personnel_number="P-77", user=official)
    return official


@pytest.fixture
def other_region_custodian(facility_b):
    """A regional representative of the Ombudsperson, in the other region."""
    return make_user("ombuds_karaganda", Role.OMBUDSPERSON, region=facility_b.region)


def _decide_url(access):
    return reverse("complaints:identity_decide", args=[access.pk])


def _refusals(user, reason_part: str) -> int:
    return sum(reason_part in str(event.detail) for event in AuditEvent.objects.filter(
        actor=user, action=AuditEvent.Action.DENIED))


@pytest.mark.parametrize("who", ["accused_custodian", "other_region_custodian"])
def test_a_custodian_who_may_not_see_the_complaint_cannot_approve(request, request_, who):
    custodian = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied, match="not yours to decide"):
        services.identity_access_decide(acting_user=custodian, origin=SYSTEM_ORIGIN,
                                        access=request_, approve=True)
    request_.refresh_from_db()
    assert request_.decision == IdentityAccess.Decision.PENDING
    assert request_.decided_by is None and request_.expires_at is None
    assert _refusals(custodian, "not yours to decide") == 1
    assert request_ not in selectors.identity_accesses_to_decide(user=custodian)


@pytest.mark.parametrize("who", ["accused_custodian", "other_region_custodian"])
@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_guessing_the_number_on_the_page_finds_nothing(request, request_, signed_in, who,
                                                       decision):
    custodian = request.getfixturevalue(who)
    response = signed_in(custodian).post(_decide_url(request_), {"decision": decision})
    assert response.status_code == 404
    request_.refresh_from_db()
    assert request_.decision == IdentityAccess.Decision.PENDING
    assert AuditEvent.objects.filter(actor=custodian, action=AuditEvent.Action.DENIED,
                                     object_type="complaints.identityaccess",
                                     object_id=str(request_.pk)).count() == 1


@pytest.mark.parametrize("who", ["accused_custodian", "other_region_custodian"])
def test_nor_review_a_break_the_glass_opening(request, break_glass, signed_in, who):
    custodian = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.identity_access_review(acting_user=custodian, origin=SYSTEM_ORIGIN,
                                        access=break_glass)
    response = signed_in(custodian).post(_decide_url(break_glass), {"decision": "review"})
    assert response.status_code == 404
    break_glass.refresh_from_db()
    assert break_glass.reviewed_at is None and break_glass.reviewed_by is None
    assert _refusals(custodian, "not yours to decide") == 1


def test_non_custodians_find_nothing_on_the_page(request_, people, signed_in):
    other_prosecutor = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                                 region=people["head_b"].facility.region)
    for user in (people["prosecutor_a"], other_prosecutor, people["head_a"],
                 people["analyst"]):
        response = signed_in(user).post(_decide_url(request_), {"decision": "approve"})
        assert response.status_code == 404, user.username
    request_.refresh_from_db()
    assert request_.decision == IdentityAccess.Decision.PENDING


def test_a_custodian_never_approves_his_own_request(complaint, people, signed_in):
    gpo = people["gpo"]
    own = services.identity_access_request(acting_user=gpo, origin=SYSTEM_ORIGIN,
                                           complaint=complaint, reason="Проверка")
    with pytest.raises(PermissionDenied):
        services.identity_access_decide(acting_user=gpo, origin=SYSTEM_ORIGIN, access=own,
                                        approve=True)
    assert signed_in(gpo).post(_decide_url(own), {"decision": "approve"}).status_code == 403
    own.refresh_from_db()
    assert own.decision == IdentityAccess.Decision.PENDING
    assert _refusals(gpo, "Only another custodian") == 2


def test_the_custodian_in_scope_approves_and_reviews_through_the_page(request_, break_glass,
                                                                      people, signed_in):
    client = signed_in(people["gpo"])
    assert client.post(_decide_url(request_), {"decision": "approve"}).status_code == 302
    assert client.post(_decide_url(break_glass), {"decision": "review"}).status_code == 302
    request_.refresh_from_db()
    break_glass.refresh_from_db()
    assert request_.decision == IdentityAccess.Decision.APPROVED
    assert request_.decided_by == people["gpo"]
    assert break_glass.reviewed_by == people["gpo"]
    # A regional representative decides for a complaint of his own region.
    own_region = make_user("ombuds_almaty", Role.OMBUDSPERSON,
                           region=people["prosecutor_a"].region)
    second = services.identity_access_request(acting_user=people["prosecutor_a"],
                                              origin=SYSTEM_ORIGIN, complaint=request_.complaint,
                                              reason="Повторный опрос")
    response = signed_in(own_region).post(_decide_url(second), {"decision": "refuse"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.decision == IdentityAccess.Decision.REFUSED
