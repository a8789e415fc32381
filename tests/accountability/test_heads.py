"""Issue 24 item 1: heads as people, rates per 100 detentions per tenure, each figure's
records, a head's record across units."""

from __future__ import annotations

import datetime as dt

import pytest

from custodywatch.accountability import selectors
from custodywatch.accountability.services import heads_link_officers
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.cases.models import Officer
from custodywatch.custody.models import CustodyAlert, CustodyRecord, Injury, MedicalCheck
from custodywatch.registry.models import HeadAppointment
from custodywatch.reports.selectors import parse_period
from custodywatch.reports.services import figures_refresh
from tests.accountability.conftest import NOW, at
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db

MARCH = parse_period("2025-03", dt.date(2025, 4, 10))


@pytest.fixture
def world(dataset, people, facility_b):
    r3 = CustodyRecord.objects.get(full_name="r3")
    r4 = CustodyRecord.objects.get(full_name="r4")
    CustodyAlert.objects.create(custody_record=r3, clock=CustodyAlert.Clock.LAWYER,
                                level=CustodyAlert.Level.OVERDUE, raised_at=at(16, 10))
    # A warning that was not overdue does not count.
    CustodyAlert.objects.create(custody_record=r4, clock=CustodyAlert.Clock.RELATIVES,
                                level=CustodyAlert.Level.DUE_SOON, raised_at=at(20, 12))
    check = MedicalCheck.objects.create(custody_record=r4, examined_at=at(20, 11),
                                        examiner="feldsher", no_injuries=False)
    Injury.objects.create(medical_check=check, body_location="left arm",
                          kind=Injury.Kind.BRUISE)
    # r3 released because a court quashed the detention.
    CustodyRecord.objects.filter(pk=r3.pk).update(end_reason="quashed")
    heads_link_officers(actor=None, origin=SYSTEM_ORIGIN)
    # Head One moves to FB-1 the day he leaves FA-1: one person, two units.
    HeadAppointment.objects.create(facility=facility_b, full_name="Head  one", position="Head",
                                   started_on=dt.date(2025, 3, 16))
    heads_link_officers(actor=None, origin=SYSTEM_ORIGIN)
    figures_refresh(since=dt.date(2025, 3, 1), now=NOW)
    people["analyst"].refresh_from_db()
    return dataset


def test_heads_are_linked_to_one_officer_per_name(world):
    one = HeadAppointment.objects.filter(full_name__iexact="Head One").first()
    moved = HeadAppointment.objects.get(facility__code="FB-1")
    assert one.officer_id and moved.officer_id == one.officer_id
    two = HeadAppointment.objects.get(full_name="Head Two")
    assert two.officer_id != one.officer_id
    # A suspect who happens to share no appointment is never merged by the link.
    assert Officer.objects.filter(full_name="O").count() == 1
    assert heads_link_officers(actor=None, origin=SYSTEM_ORIGIN) == 0


def test_rates_per_100_detentions_per_tenure(world, people):
    scores = {s.head.full_name: s for s in selectors.heads_ranked(
        user=people["gpo"], origin=SYSTEM_ORIGIN, period=MARCH, sort="unjustified")}
    one, two = scores["Head One"], scores["Head Two"]
    # Head One: r1, r2 (both released without charge); c1 substantiated; K1 convicted.
    assert one.counts["detentions"] == 2 and one.counts["unjustified"] == 2
    assert one.rates["unjustified"] == 100.0
    assert one.rates["substantiated"] == 50.0 and one.rates["convictions"] == 50.0
    assert one.counts["blind_minutes"] == 50 and one.rates["blind_minutes"] == 2500.0
    # Head Two: r3 (quashed, lawyer overdue), r4 (in custody, injured at intake).
    assert two.counts["detentions"] == 2
    assert two.rates["unjustified"] == 50.0
    assert two.rates["safeguards_late"] == 50.0
    assert two.rates["intake_injuries"] == 50.0
    assert two.rates["substantiated"] == 0.0
    # FB-1's head had no detention in his days: no rate, ranked last.
    ranked = selectors.heads_ranked(user=people["gpo"], origin=SYSTEM_ORIGIN, period=MARCH,
                                    sort="unjustified")
    assert ranked[0].head.full_name == "Head One"
    assert ranked[-1].head.facility.code == "FB-1" and ranked[-1].rates["unjustified"] is None


def test_a_heads_record_follows_him_across_units(world, people):
    officer = HeadAppointment.objects.get(facility__code="FB-1").officer
    record = selectors.head_person(user=people["gpo"], origin=SYSTEM_ORIGIN, pk=officer.pk,
                                   period=MARCH)
    assert [t.head.facility.code for t in record.tenures] == ["FA-1", "FB-1"]
    # FB-1's detention of 12 March was before he came (16 March): not his.
    assert record.counts["detentions"] == 2
    # A regional prosecutor of Almaty sees his Almaty tenure only.
    mine = selectors.head_person(user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                 pk=officer.pk, period=MARCH)
    assert [t.head.facility.code for t in mine.tenures] == ["FA-1"]


def test_each_figure_links_to_its_records(world, people, client):
    one = HeadAppointment.objects.get(full_name="Head One")
    score = next(s for s in selectors.heads_ranked(user=people["gpo"], origin=SYSTEM_ORIGIN,
                                                   period=MARCH, sort="unjustified")
                 if s.head.pk == one.pk)
    sign_in(client, people["gpo"])
    page = client.get(score.links["unjustified"])
    assert page.status_code == 200
    listed = set(page.context["rows"].values_list("full_name", flat=True))
    assert listed == {"r1", "r2"}
    page = client.get(score.links["substantiated"])
    assert [c.reference for c in page.context["rows"]] == ["T-00001"] or page.context[
        "total"] == 1
    page = client.get(score.links["convictions"])
    assert [c.register_number for c in page.context["rows"]] == ["K1"]
    assert client.get(f"/accountability/heads/{one.pk}/nonsense/?period=2025-03"
                      ).status_code == 404


def test_figures_and_people_are_denied_outside_scope(world, people, client, facility_b):
    one = HeadAppointment.objects.get(full_name="Head One")
    karaganda = make_user("prosecutor_b", people["prosecutor_a"].role,
                          region=facility_b.region)
    sign_in(client, karaganda)
    assert client.get(f"/accountability/heads/{one.pk}/unjustified/?period=2025-03"
                      ).status_code == 404
    # He sees the person's tenure in his region only; Head Two never headed a unit there.
    page = client.get(f"/accountability/heads/person/{one.officer_id}/?period=2025-03")
    assert [t.head.facility.code for t in page.context["record"].tenures] == ["FB-1"]
    two = HeadAppointment.objects.get(full_name="Head Two")
    assert client.get(f"/accountability/heads/person/{two.officer_id}/?period=2025-03"
                      ).status_code == 404
    sign_in(client, people["head_a"])
    assert client.get("/accountability/heads/?period=2025-03").status_code == 403
    assert client.get(f"/accountability/heads/{one.pk}/unjustified/?period=2025-03"
                      ).status_code == 403


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_pages_render_in_each_language(world, people, client, language):
    one = HeadAppointment.objects.get(full_name="Head One")
    sign_in(client, people["gpo"])
    client.cookies["django_language"] = language
    for url in ("/accountability/heads/?period=2025-03&sort=safeguards_late",
                f"/accountability/heads/person/{one.officer_id}/?period=2025-03"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        assert f'lang="{language}"' in page.content.decode()


def test_imported_heads_become_people(people, facility_a, facility_b):
    from custodywatch.registry import services as registry

    registry.registry_import(
        acting_user=people["admin"], origin=SYSTEM_ORIGIN, kind="heads",
        content=("facility,full_name,position,started_on,ended_on\n"
                 "FA-1,Ерлан Абаев,Head,2020-01-01,2023-01-01\n"
                 "FB-1,Ерлан  Абаев,Head,2023-01-02,\n"
                 "FA-1,Болат Сеитов,Head,2023-01-02,\n").encode(), file_name="heads.csv")
    heads = {(h.facility.code, h.started_on.year): h for h in HeadAppointment.objects.all()}
    assert heads[("FA-1", 2020)].officer_id == heads[("FB-1", 2023)].officer_id
    assert heads[("FA-1", 2023)].officer_id not in (None, heads[("FA-1", 2020)].officer_id)
