"""Issue 24 item 2: proceedings proposed in a head's tenure, opened, decided, sanctioned;
suspension as a status; never visible to the facility concerned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from custodywatch.accountability import selectors, services
from custodywatch.accountability.models import Ground, Proceeding, ProceedingStatus, Sanction
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.cases.models import DutyStatus
from custodywatch.custody.models import CustodyRecord
from custodywatch.medical.models import RiskAlert
from custodywatch.registry.models import HeadAppointment
from custodywatch.reports import cat
from tests.accountability.conftest import at
from tests.conftest import sign_in
from tests.security.facility_view import assert_indistinguishable, facility_view_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(dataset, people):
    services.heads_link_officers(actor=None, origin=SYSTEM_ORIGIN)
    return services.proceedings_propose(origin=SYSTEM_ORIGIN)


def test_conviction_and_substantiated_complaint_propose_against_the_head_in_office(proposed):
    one = HeadAppointment.objects.get(full_name="Head One")
    assert sorted((p.ground, p.appointment_id) for p in proposed) == [
        (Ground.CONVICTION, one.pk), (Ground.SUBSTANTIATED, one.pk)]
    conviction = next(p for p in proposed if p.ground == Ground.CONVICTION)
    assert conviction.case.register_number == "K1"
    assert conviction.events_on == dt.date(2025, 3, 14)
    assert all(p.status == ProceedingStatus.PROPOSED for p in proposed)
    # Idempotent: a second sweep proposes nothing new.
    assert services.proceedings_propose(origin=SYSTEM_ORIGIN) == []
    assert Proceeding.objects.count() == 2


def test_a_pattern_of_risk_moments_proposes_once(proposed):
    records = list(CustodyRecord.objects.filter(facility__code="FA-1").order_by("detained_at"))
    for n, day in enumerate((20, 21, 22)):
        RiskAlert.objects.create(rule="r", custody_record=records[-1], at=at(day, 12),
                                 why="x", raised_at=at(day, 12), evidence=[n])
    found = services.proceedings_propose(origin=SYSTEM_ORIGIN)
    two = HeadAppointment.objects.get(full_name="Head Two")
    assert [(p.ground, p.appointment_id) for p in found] == [(Ground.RISK_PATTERN, two.pk)]
    assert services.proceedings_propose(origin=SYSTEM_ORIGIN) == []


def test_open_decide_and_sanction(proposed, people):
    row = next(p for p in proposed if p.ground == Ground.CONVICTION)
    prosecutor = people["prosecutor_a"]
    with pytest.raises(ValidationError) as error:
        services.proceeding_decide(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                   proceeding=row, decided_on=dt.date(2025, 5, 1),
                                   sanction=Sanction.REPRIMAND)
    assert "status" in error.value.message_dict
    services.proceeding_open(acting_user=prosecutor, origin=SYSTEM_ORIGIN, proceeding=row,
                             opened_on=dt.date(2025, 4, 20))
    services.officer_duty_set(acting_user=prosecutor, origin=SYSTEM_ORIGIN, officer=row.officer,
                              status=DutyStatus.SUSPENDED, since=dt.date(2025, 4, 21))
    row.officer.refresh_from_db()
    assert row.officer.duty_status == DutyStatus.SUSPENDED
    with pytest.raises(ValidationError) as error:
        services.proceeding_decide(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                   proceeding=row, decided_on=dt.date(2025, 4, 1),
                                   sanction=Sanction.DISMISSAL)
    assert "decided_on" in error.value.message_dict
    services.proceeding_decide(acting_user=prosecutor, origin=SYSTEM_ORIGIN, proceeding=row,
                               decided_on=dt.date(2025, 6, 1), sanction=Sanction.DISMISSAL)
    row.refresh_from_db()
    row.officer.refresh_from_db()
    assert row.status == ProceedingStatus.DECIDED and row.sanction_effective_on == dt.date(
        2025, 6, 1)
    assert row.officer.duty_status == DutyStatus.DISMISSED
    # The UN CAT statistics count the measure.
    assert selectors.sanctions_by_kind(user=people["gpo"], year=2025) == {"dismissal": 1}
    table = next(t for t in cat.cat_tables(user=people["gpo"], year=2025)
                 if t.key == "discipline")
    dismissal = next(r for r in table.rows if r[0] == "Dismissal")
    assert dismissal[1] == 1 and dismissal[-1] == 1  # on the ground of a conviction
    assert table.rows[-1][-1] == 1


def test_only_prosecutors_in_scope_act(proposed, people, facility_b):
    row = proposed[0]
    for user in (people["head_a"], people["analyst"], people["admin"]):
        with pytest.raises(PermissionDenied):
            services.proceeding_open(acting_user=user, origin=SYSTEM_ORIGIN, proceeding=row,
                                     opened_on=dt.date(2025, 4, 20))
        with pytest.raises(PermissionDenied):
            services.officer_duty_set(acting_user=user, origin=SYSTEM_ORIGIN,
                                      officer=row.officer, status=DutyStatus.SUSPENDED,
                                      since=dt.date(2025, 4, 21))
    assert Proceeding.objects.get(pk=row.pk).status == ProceedingStatus.PROPOSED


def test_readers_and_the_officer_himself(proposed, people, client):
    row = proposed[0]
    assert selectors.proceedings_visible(user=people["prosecutor_a"]).count() == 2
    assert selectors.proceedings_visible(user=people["head_a"]).count() == 0
    assert selectors.proceedings_visible(user=people["analyst"]).count() == 0
    # The officer, were he a prosecutor now, never reads his own.
    row.officer.user = people["gpo"]
    row.officer.save()
    assert selectors.proceedings_visible(user=people["gpo"]).filter(officer=row.officer
                                                                     ).count() == 0
    sign_in(client, people["head_a"])
    assert client.get("/accountability/proceedings/").status_code == 403
    assert client.get(f"/accountability/proceedings/{row.pk}/").status_code == 404
    sign_in(client, people["prosecutor_a"])
    page = client.get(f"/accountability/proceedings/{row.pk}/")
    assert page.status_code == 200 and 'data-status="proposed"' in page.content.decode()
    posted = client.post(f"/accountability/proceedings/{row.pk}/",
                         {"action": "open", "opened_on": "2025-04-20"})
    assert posted.status_code == 302
    assert Proceeding.objects.get(pk=row.pk).status == ProceedingStatus.OPENED


def test_the_facility_reads_the_same_before_and_after_proceedings(dataset, people,
                                                                  facility_a):
    services.heads_link_officers(actor=None, origin=SYSTEM_ORIGIN)
    view = facility_view_for(facility_a)
    view.snapshot()
    before = view.snapshot()
    routine = view.snapshot()
    proposed = services.proceedings_propose(origin=SYSTEM_ORIGIN)
    row = proposed[0]
    services.proceeding_open(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                             proceeding=row, opened_on=dt.date(2025, 4, 20))
    services.officer_duty_set(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                              officer=row.officer, status=DutyStatus.SUSPENDED,
                              since=dt.date(2025, 4, 21))
    after = view.snapshot()
    assert_indistinguishable(before, routine, after)


def test_the_command_proposes_once(dataset):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("accountability", "link-heads", stdout=out)
    call_command("accountability", "propose", stdout=out)
    call_command("accountability", "propose", stdout=out)
    assert out.getvalue().splitlines() == ["2 appointments linked", "2 proceedings proposed",
                                           "0 proceedings proposed"]
