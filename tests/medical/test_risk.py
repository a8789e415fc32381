"""Risk moments and reprisals end to end: the custody batch API writes the facts, the rules
fire, the prosecutor and the NPM see the alerts (page and dashboard, kk/ru/en) and the
facility sees nothing change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel
from custodywatch.custody.models import CustodyRecord
from custodywatch.medical import risk
from custodywatch.medical.models import RiskAlert
from custodywatch.medical.risk_text import MESSAGES
from tests.conftest import make_user, sign_in
from tests.medical.conftest import BRUISE, exam_item, iso, post, record_item, token_for
from tests.medical.test_facility_sees_nothing import _diff, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(client, duty_token, base_time):
    assert post(client, "records/batch", [record_item(base_time)],
                **duty_token).status_code == 200
    return CustodyRecord.objects.get(external_ref="D-1")


def _move_to_r3(client, duty_token, at):
    """R1 (with a camera) until `at`, then R3, which no camera covers."""
    held_stay = CustodyRecord.objects.get(external_ref="D-1").stays.get()
    response = post(client, "stays/batch", [
        {"facility": "FA-1", "external_ref": "D-1", "id": held_stay.pk, "room": "R1",
         "started_at": iso(held_stay.started_at), "ended_at": iso(at)},
        {"facility": "FA-1", "external_ref": "D-1", "room": "R3", "started_at": iso(at)}],
        **duty_token)
    assert response.status_code == 200, response.content


def test_injury_after_a_blind_stay_fires_when_the_examination_arrives(
        client, held, duty_token, doctor_token, base_time):
    assert post(client, "examinations/batch", [exam_item(base_time + dt.timedelta(hours=1))],
                **doctor_token).status_code == 200
    _move_to_r3(client, duty_token, base_time + dt.timedelta(hours=2))
    assert not RiskAlert.objects.exists()
    response = post(client, "examinations/batch", [exam_item(
        base_time + dt.timedelta(hours=4), occasion="transfer", no_injuries=False,
        injuries=[BRUISE])], **doctor_token)
    assert response.status_code == 200, response.content
    alert = RiskAlert.objects.get(rule="injury_after_blind")
    assert alert.custody_record == held and alert.why in MESSAGES
    assert any(ref.startswith("examination:") for ref in alert.evidence)
    assert any(ref.startswith("stay:") for ref in alert.evidence)


def test_a_complaint_then_a_blind_room_is_a_risk_moment_and_a_possible_reprisal(
        client, held, duty_token, people, base_time):
    complaints.complaint_file(acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB,
                              facility=held.facility, custody_record=held,
                              text="Меня избили в кабинете", now=base_time
                              + dt.timedelta(hours=1))
    monitor = make_user("monitor", Role.NPM_MONITOR)
    head = sign_in(Client(), people["head_a"])
    tokens = {"head": token_for(people["head_a"], held.facility)}
    frozen = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=30)
    _move_to_r3(client, duty_token, base_time + dt.timedelta(hours=3))
    before = snapshot(held, tokens, {"head": head}, orders=False, frozen=frozen)
    assert risk.risk_sweep() == 2
    assert risk.risk_sweep() == 0  # once each
    assert sorted(RiskAlert.objects.values_list("rule", flat=True)) == [
        "blind_after_complaint", "reprisal_after_complaint"]
    # The facility's reads are the same after the alerts as before.
    assert _diff(before, snapshot(held, tokens, {"head": head}, orders=False,
                                  frozen=frozen)) == []
    for user in (people["prosecutor_a"], people["gpo"], monitor):
        page = sign_in(Client(), user)
        listing = page.get(reverse("medical:risk"))
        assert listing.status_code == 200
        body = listing.content.decode()
        assert 'data-testid="count-blind_after_complaint">1<' in body
        assert 'data-testid="count-injury_after_blind">0<' in body
        assert "Moved into a blind room after a complaint" in body
        dashboard = page.get(reverse("home"))
        assert b'data-testid="risk-card"' in dashboard.content
    for name in ("head_a", "duty_a", "analyst", "admin", "head_b"):
        assert sign_in(Client(), people[name]).get(reverse("medical:risk")).status_code == 404
    other = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                      region=people["head_b"].facility.region)
    page = sign_in(Client(), other).get(reverse("medical:risk")).content.decode()
    assert 'data-testid="count-blind_after_complaint">0<' in page


def test_the_rules_page_speaks_kazakh_and_russian(client, people):
    page = sign_in(client, people["prosecutor_a"])
    for language, words in (("kk", "Тәуекел сәттері"), ("ru", "Моменты риска"),
                            ("en", "Risk moments")):
        page.cookies["django_language"] = language
        response = page.get(reverse("medical:risk"))
        assert words.lower() in response.content.decode().lower(), language


def test_an_npm_interview_in_the_persons_room_is_watched_for_reprisals(
        client, held, duty_token, people, base_time, settings, tmp_path):
    """The NPM interviews a detainee in room R1; everyone held in R1 then is watched (the
    facility cannot tell who spoke). A move into the blind room R3 afterwards fires."""
    from custodywatch.registry.models import Agency
    from custodywatch.visits import services as visits
    from custodywatch.visits.models import TeamMember, Visit

    monitor = make_user("monitor", Role.NPM_MONITOR)
    today = timezone.localdate()
    visit = visits.visit_plan(
        acting_user=monitor, origin=SYSTEM_ORIGIN, facility=held.facility,
        kind=Visit.Kind.PLANNED,
        starts_on=today, ends_on=today,
        team=[visits.TeamMemberInput(full_name="Ким Сергей", user=monitor, is_leader=True,
                                     affiliation=TeamMember.Affiliation.NPM)])
    visits.visit_status_set(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                            status=Visit.Status.IN_PROGRESS)
    assert Agency.objects.exists()
    visits.interview_record(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                            interviewee="detainee", notes="Били в машине",
                            room=held.facility.rooms.get(code="R1"))
    # It was recorded half an hour ago (recorded_at is set on save).
    from custodywatch.visits.models import Interview
    Interview.objects.update(recorded_at=timezone.now() - dt.timedelta(minutes=30))
    assert risk.risk_sweep() == 0  # an interview alone is no risk moment
    _move_to_r3(client, duty_token, timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5))
    assert risk.risk_sweep() == 2
    alert = RiskAlert.objects.get(rule="reprisal_after_complaint")
    assert alert.evidence[0].startswith("interview:")
