"""'Where is he held?' (issue 22, item 8): lawyers by licence, relatives through the operator
after an identity check; audited and ledgered; incommunicado by court order; rate-limited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.custody import services, whereabouts
from custodywatch.custody.models import EndReason, iin_is_valid
from custodywatch.custody.models_mass import IdentityCheck, LawyerLicence, WhereaboutsQuery
from custodywatch.ledger.models import LeafKind, PendingLeaf
from tests.conftest import make_user
from tests.custody.conftest import make_record

pytestmark = pytest.mark.django_db
Answer = WhereaboutsQuery.Answer


def valid_iin(stem: str = "90050130012") -> str:
    for last in range(10):
        if iin_is_valid(stem + str(last)):
            return stem + str(last)
    raise AssertionError(stem)


IIN = valid_iin()
NAME = "Ахметов Ерлан"
REASON = "Warrant 114 of the Almaty Bar; his wife asked"


@pytest.fixture
def lawyer(db):
    user = make_user("lawyer", Role.LAWYER)
    LawyerLicence.objects.create(user=user, number="0001234",
                                 valid_until=timezone.localdate() + dt.timedelta(days=300))
    return user


@pytest.fixture
def operator(db):
    return make_user("operator", Role.HOTLINE_OPERATOR)


@pytest.fixture
def held(people, facility_a):
    return make_record(facility_a, people["duty_a"], iin=IIN, full_name=NAME)


def _ask(user, iin=IIN, name=NAME, reason=REASON):
    return whereabouts.lawyer_lookup(acting_user=user, origin=SYSTEM_ORIGIN, iin=iin,
                                     full_name=name, reason=reason)


def _check(operator, iin=IIN, name=NAME):
    return whereabouts.identity_check_record(
        acting_user=operator, origin=SYSTEM_ORIGIN, asker_name="Ахметова Айгуль",
        asker_document="ID 045678912", relationship="wife",
        method=IdentityCheck.Method.IN_PERSON, sought_iin=iin, sought_name=name)


def test_a_lawyer_learns_the_facility_and_since_when_not_the_room(lawyer, held, facility_a):
    answer = _ask(lawyer, name="  ахметов   ерлан ")  # case and spaces do not matter
    assert answer.kind == Answer.HELD
    assert answer.facility == facility_a
    assert answer.since == held.arrived_at
    assert answer.query.custody_record == held


def test_every_question_is_audited_and_in_the_ledger(lawyer, held):
    leaves = PendingLeaf.objects.filter(kind=LeafKind.AUDIT_EVENT).count()
    answer = _ask(lawyer)
    event = AuditEvent.objects.get(action="read", object_type="custody.whereaboutsquery")
    assert event.actor == lawyer and event.object_id == str(answer.query.pk)
    assert event.detail == {"channel": "lawyer", "answer": "held", "record": held.pk,
                            "identity_check": None}
    # Neither the person's name nor IIN is in the audit label.
    assert NAME not in event.object_label and IIN not in event.object_label
    assert PendingLeaf.objects.filter(kind=LeafKind.AUDIT_EVENT).count() == leaves + 1
    # A question that finds nobody is kept and ledgered too.
    assert _ask(lawyer, name="Someone Else").kind == Answer.NOT_FOUND
    assert WhereaboutsQuery.objects.filter(asked_by=lawyer).count() == 2
    assert PendingLeaf.objects.filter(kind=LeafKind.AUDIT_EVENT).count() == leaves + 2


def test_the_iin_and_the_name_must_both_match(lawyer, held):
    assert _ask(lawyer, name="Ахметов Ержан").kind == Answer.NOT_FOUND
    assert _ask(lawyer, iin=valid_iin("90050130013")).kind == Answer.NOT_FOUND
    assert _ask(lawyer).kind == Answer.HELD


def test_bad_input_is_named_and_not_asked(lawyer, held):
    with pytest.raises(ValidationError) as caught:
        _ask(lawyer, iin="123", name=" ", reason="because")
    assert set(caught.value.message_dict) == {"iin", "full_name", "reason"}
    assert not WhereaboutsQuery.objects.exists()


def test_no_licence_no_answer(held, lawyer):
    unlicensed = make_user("lawyer2", Role.LAWYER)
    with pytest.raises(PermissionDenied):
        _ask(unlicensed)
    LawyerLicence.objects.filter(user=lawyer).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        _ask(lawyer)
    assert not WhereaboutsQuery.objects.exists()
    assert AuditEvent.objects.filter(action="denied",
                                     object_type="custody.whereaboutsquery").count() == 2


def test_facility_staff_and_overseers_cannot_use_it_to_find_people_elsewhere(
        signed_in, people, held):
    for name in ("head_b", "duty_a", "gpo", "admin"):
        with pytest.raises(PermissionDenied):
            _ask(people[name])
        client = signed_in(people[name])
        response = client.post(reverse("custody:whereabouts"), {
            "iin": IIN, "full_name": NAME, "reason": REASON})
        assert response.status_code == 403, name
        assert "whereabouts-answer" not in response.content.decode()
    assert not WhereaboutsQuery.objects.exists()


def test_ended_custody_says_when_and_how(lawyer, people, held):
    services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=held, ended_at=timezone.now() - dt.timedelta(minutes=3),
                                end_reason=EndReason.RELEASED)
    answer = _ask(lawyer)
    assert answer.kind == Answer.ENDED
    held.refresh_from_db()
    assert answer.ended_at == held.ended_at and answer.facility == held.facility
    assert answer.end_reason == str(EndReason.RELEASED.label)


def _order(user, record, ends_in=dt.timedelta(days=3)):
    now = timezone.now()
    return whereabouts.incommunicado_order_record(
        acting_user=user, origin=SYSTEM_ORIGIN, record=record,
        authority="Specialised investigative court of Almaty", order_ref="2-114/2026",
        ordered_at=now - dt.timedelta(minutes=30), ends_at=now + ends_in)


def test_incommunicado_says_held_by_whose_order_until_when_not_where(
        signed_in, lawyer, people, held, facility_a):
    order = _order(people["prosecutor_a"], held)
    answer = _ask(lawyer)
    assert answer.kind == Answer.INCOMMUNICADO
    assert answer.facility is None and answer.since is None
    assert answer.authority == "Specialised investigative court of Almaty"
    assert answer.restriction_ends_at == order.ends_at
    page = signed_in(lawyer).post(reverse("custody:whereabouts"), {
        "iin": IIN, "full_name": NAME, "reason": REASON})
    content = page.content.decode()
    assert 'data-answer="incommunicado"' in content
    assert facility_a.code not in content and facility_a.name not in content
    assert "2-114/2026" in content
    # Once the order ends, the place is told.
    type(order).objects.filter(pk=order.pk).update(
        ordered_at=timezone.now() - dt.timedelta(days=2),
        ends_at=timezone.now() - dt.timedelta(minutes=1))
    assert _ask(lawyer).kind == Answer.HELD


def test_only_a_prosecutor_in_scope_records_an_incommunicado_order(people, held):
    # The facility is a party: its word does not hide a person.
    for name in ("head_a", "duty_a", "admin"):
        with pytest.raises(PermissionDenied):
            _order(people[name], held)
    other = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                      region=people["head_b"].facility.region)
    with pytest.raises(PermissionDenied):
        _order(other, held)
    with pytest.raises(ValidationError) as caught:
        whereabouts.incommunicado_order_record(
            acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, record=held,
            authority="", order_ref="", ordered_at=timezone.now(), ends_at=None)
    assert set(caught.value.message_dict) == {"authority", "order_ref", "ends_at"}
    assert not held.incommunicado_orders.exists()


def test_a_relative_without_an_identity_check_gets_nothing(signed_in, operator, held):
    with pytest.raises(PermissionDenied):
        whereabouts.relative_lookup(acting_user=operator, origin=SYSTEM_ORIGIN, check=None)
    # Another operator's check serves only him.
    other = make_user("operator2", Role.HOTLINE_OPERATOR)
    check = _check(other)
    response = signed_in(operator).post(reverse("custody:whereabouts_relative",
                                                args=[check.pk]))
    assert response.status_code == 403
    assert not WhereaboutsQuery.objects.exists()


def test_the_operator_asks_for_the_checked_relative(signed_in, operator, held, facility_a):
    check = _check(operator)
    client = signed_in(operator)
    response = client.post(reverse("custody:whereabouts_relative", args=[check.pk]))
    assert response.status_code == 200
    assert 'data-answer="held"' in response.content.decode()
    assert facility_a.local_name in response.content.decode()
    query = WhereaboutsQuery.objects.get()
    assert (query.channel, query.identity_check, query.custody_record) == (
        "relative", check, held)
    # A check a day old no longer serves.
    IdentityCheck.objects.filter(pk=check.pk).update(
        checked_at=timezone.now() - dt.timedelta(hours=25))
    assert client.post(reverse("custody:whereabouts_relative",
                               args=[check.pk])).status_code == 403


def test_identity_check_refuses_bad_input_and_others(people, operator):
    with pytest.raises(ValidationError) as caught:
        whereabouts.identity_check_record(
            acting_user=operator, origin=SYSTEM_ORIGIN, asker_name="", asker_document="x",
            relationship="", method="guess", sought_iin="1", sought_name="")
    assert set(caught.value.message_dict) == {"asker_name", "relationship", "method",
                                              "sought_iin", "sought_name"}
    for name in ("duty_a", "gpo"):
        with pytest.raises(PermissionDenied):
            _check(people[name])
    assert not IdentityCheck.objects.exists()


@override_settings(CUSTODYWATCH_WHEREABOUTS_PER_HOUR=2)
def test_questions_are_rate_limited_per_asker(signed_in, lawyer, operator, held):
    _ask(lawyer)
    _ask(lawyer)
    with pytest.raises(whereabouts.RateLimited):
        _ask(lawyer)
    response = signed_in(lawyer).post(reverse("custody:whereabouts"), {
        "iin": IIN, "full_name": NAME, "reason": REASON})
    assert response.status_code == 429
    # Another asker has his own count.
    check = _check(operator)
    assert whereabouts.relative_lookup(acting_user=operator, origin=SYSTEM_ORIGIN,
                                       check=check).kind == Answer.HELD
    assert WhereaboutsQuery.objects.filter(asked_by=lawyer).count() == 2


def test_lawyers_and_operators_land_on_their_page_and_read_no_register(signed_in, lawyer,
                                                                       operator, held):
    client = signed_in(lawyer)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert b'action="/custody/whereabouts/"' in home.content
    assert b'data-testid="custody-count"' not in home.content
    # Refused before any object is looked up (accounts.middleware.PublicOnlyMiddleware): the
    # same answer for a record that exists and one that does not.
    assert client.get(reverse("custody:record", args=[held.pk])).status_code == 403
    assert client.get(reverse("custody:record", args=[held.pk + 1000])).status_code == 403
    assert client.get(reverse("custody:whereabouts_operator")).status_code == 403
    client = signed_in(operator)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert b'action="/custody/whereabouts/operator/"' in home.content
    assert client.get(reverse("custody:whereabouts")).status_code == 403
    assert client.get(reverse("custody:desk", args=["FA-1"])).status_code == 403


def test_only_the_operator_who_checked_posts_the_question(client, people, operator, lawyer,
                                                         held):
    from tests.conftest import sign_in

    check = _check(operator)
    url = reverse("custody:whereabouts_relative", args=[check.pk])
    for name, user in {**people, "lawyer": lawyer}.items():
        if name == "agent_a":
            continue
        client.logout()
        sign_in(client, user)
        assert client.post(url).status_code in (403, 404), name
    assert not WhereaboutsQuery.objects.exists()
    client.logout()
    sign_in(client, operator)
    assert client.post(url).status_code == 200
