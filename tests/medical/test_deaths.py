"""Deaths in custody (issue 21 item 3): recorded on the custody page by the facility, they open
the investigation by themselves; the prosecutors record the autopsy, the cause and manner and
the relatives informed; the UN CAT tables count deaths by manner and place."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.cases.models import Case
from custodywatch.medical.models import Death, Referral
from custodywatch.reports import cat
from tests.conftest import sign_in
from tests.custody.conftest import make_record

pytestmark = pytest.mark.django_db


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def died(client, people, facility_a):
    record = make_record(facility_a, people["duty_a"])
    page = sign_in(client, people["duty_a"])
    response = page.post(reverse("custody:record_end", args=[record.pk]), {
        "end-ended_at": _local(timezone.now() - dt.timedelta(minutes=10)),
        "end-end_reason": "died", "end-end_note": "Found unresponsive"})
    assert response.status_code == 302, response.content[:500]
    client.logout()
    return Death.objects.get(custody_record=record)


def test_a_death_recorded_on_the_page_opens_the_investigation(died):
    referral = Referral.objects.get(custody_record=died.custody_record)
    assert referral.triggers == ["death"] and referral.case.ex_officio
    assert Case.objects.count() == 1 and died.manner == Death.Manner.PENDING


def test_the_prosecutor_records_autopsy_manner_and_relatives(client, died, people):
    page = sign_in(client, people["prosecutor_a"])
    url = reverse("medical:death", args=[died.pk])
    assert page.get(url).status_code == 200
    listing = page.get(reverse("medical:index"))
    assert url.encode() in listing.content
    response = page.post(url, {
        "autopsy_at": _local(timezone.now() - dt.timedelta(minutes=5)),
        "autopsy_by": "Dr. Sadykova, forensic bureau", "cause": "Blunt head trauma",
        "manner": "homicide", "relatives_informed_at": _local(timezone.now()),
        "relatives_informed": "Mother, by telephone"})
    assert response.status_code == 302, response.content[:800]
    died.refresh_from_db()
    assert died.manner == "homicide" and died.cause == "Blunt head trauma"
    assert died.relatives_informed == "Mother, by telephone" and died.autopsy_at is not None
    refused = page.post(url, {"manner": "natural", "relatives_informed_at": _local(
        timezone.now()), "relatives_informed": ""})
    assert refused.status_code == 200 and "Name who was informed" in refused.content.decode()
    died.refresh_from_db()
    assert died.manner == "homicide"


@pytest.mark.parametrize("name", ["head_a", "duty_a", "analyst", "admin", "head_b"])
def test_nobody_else_reads_or_writes_a_death(client, died, people, name):
    page = sign_in(client, people[name])
    url = reverse("medical:death", args=[died.pk])
    assert page.get(url).status_code == 404
    assert page.post(url, {"manner": "natural"}).status_code == 404
    died.refresh_from_db()
    assert died.manner == Death.Manner.PENDING


def test_the_examiner_does_not_record_a_death(client, died, doctor):
    page = sign_in(client, doctor)
    assert page.get(reverse("medical:death", args=[died.pk])).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     object_type="medical.death").exists()


def test_cat_tables_count_deaths_by_manner_and_place(died, people):
    Death.objects.filter(pk=died.pk).update(manner=Death.Manner.SUICIDE)
    year = timezone.localtime(died.died_at).year
    table = {t.key: t for t in cat.cat_tables(user=people["gpo"], year=year)}["deaths"]
    column = table.header.index("Temporary detention isolator")
    rows = {row[0]: row for row in table.rows}
    assert rows["Suicide"][column] == 1 and rows["Homicide"][column] == 0
    assert rows["Total"][-1] == 1
    other = {t.key: t for t in cat.cat_tables(user=people["head_b"], year=year)}["deaths"]
    assert other.rows[-1][-1] == 0
    assert {t.key: t for t in cat.cat_tables(user=people["gpo"], year=year - 1)}[
        "deaths"].rows[-1][-1] == 0


def test_the_facility_s_own_intake_check_with_an_injury_is_referred(client, people,
                                                                   facility_a):
    """The duty officer's form (custody:record_medical): an injury found is referred by
    itself; the facility's staff cannot see the allegation or the case."""
    from custodywatch.cases.selectors import cases_q
    from custodywatch.complaints.selectors import complaints_visible
    from custodywatch.custody.models import MedicalCheck

    record = make_record(facility_a, people["duty_a"])
    page = sign_in(client, people["duty_a"])
    base = {"medical-occasion": "intake", "medical-examined_at": _local(timezone.now()),
            "medical-examiner": "фельдшер Ким"}
    page.post(reverse("custody:record_medical", args=[record.pk]),
              base | {"medical-findings": "none"})
    assert not Referral.objects.exists()  # nothing found, nothing referred
    response = page.post(reverse("custody:record_medical", args=[record.pk]), base | {
        "medical-findings": "injuries", "medical-body_location": "left forearm",
        "medical-injury_kind": "bruise", "medical-injury_description": "3 cm"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.medical_check == MedicalCheck.objects.get(no_injuries=False)
    assert referral.triggers == ["injury_found"] and referral.hold.rooms.exists()
    for name in ("duty_a", "head_a"):
        assert not complaints_visible(user=people[name]).filter(
            pk=referral.complaint_id).exists()
        assert not Case.objects.filter(cases_q(people[name]), pk=referral.case_id).exists()
    assert complaints_visible(user=people["prosecutor_a"]).filter(
        pk=referral.complaint_id).exists()
