"""Issue 24 item 5 (the rest): the UN CAT tables by kind of place and by the complainant's
citizenship, age and gender; evidence excluded as obtained by torture; rehabilitation through
the crisis centres; the follow-up report builder and its exports. Hand-computed on the
reports' dataset (tests/reports/conftest.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.models import AuditEvent
from custodywatch.cases import services as case_services
from custodywatch.cases.models import (
    CaseParty,
    CrisisCentre,
    EvidenceExclusion,
    ReferralService,
    SupportReferral,
)
from custodywatch.complaints.models import Complaint
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Agency, Facility
from custodywatch.reports import cat
from custodywatch.visits.models import Category as RecommendationCategory
from custodywatch.visits.models import Evidence, Recommendation, RecommendationGroup, Source
from tests.accountability.conftest import at

pytestmark = pytest.mark.django_db
ORIGIN = Origin(ip_address="198.51.100.9", user_agent="pytest")


def tables_of(user, year: int = 2025) -> dict[str, cat.Table]:
    return {t.key: t for t in cat.cat_tables(user=user, year=year)}


def test_by_kind_of_place(dataset, people):
    place = tables_of(people["gpo"])["place"]
    label = str(Facility.Kind(dataset.facility.kind).label)
    # c1 and c2 name FA-1 (c3 is not an allegation, c4 names no facility); K1 reached court,
    # one conviction, 500,000 paid.
    assert next(r for r in place.rows if r[0] == label)[1:] == [2, 1, 1, 1, 1, 500000.0]


def test_complaints_by_citizenship_age_and_gender(dataset, people):
    r1 = CustodyRecord.objects.get(full_name="r1")
    r2 = CustodyRecord.objects.get(full_name="r2")
    CustodyRecord.objects.filter(pk=r2.pk).update(citizenship="UZ",
                                                  date_of_birth=dt.date(2010, 6, 1),
                                                  gender="Female")
    # 61 on 1 January 2025.
    CustodyRecord.objects.filter(pk=r1.pk).update(date_of_birth=dt.date(1964, 1, 1))
    c1 = Complaint.objects.get(category="torture", facility__isnull=False)
    c2 = Complaint.objects.get(category="cruel_treatment")
    Complaint.objects.filter(pk=c1.pk).update(custody_record=r2)
    Complaint.objects.filter(pk=c2.pk).update(custody_record=r1)
    tables = tables_of(people["gpo"])
    citizenship = {r[0]: r[1] for r in tables["complaints_citizenship"].rows}
    assert citizenship == {"KZ": 1, "UZ": 1, "not stated": 2, "Total": 4}
    assert list(citizenship)[0] == "KZ"
    age = {r[0]: r[1] for r in tables["complaints_age"].rows}
    assert age == {"0-17": 1, "60+": 1, "age not stated": 2, "Total": 4}
    # c1 is linked to a case with a verdict: the columns follow the funnel.
    assert next(r for r in tables["complaints_age"].rows if r[0] == "0-17")[1:5] == [1, 1, 1, 1]
    gender = {r[0]: r[1] for r in tables["complaints_gender"].rows}
    assert gender == {"female": 1, "not stated": 3, "Total": 4}
    # Karaganda's head counts nothing of FA-1.
    theirs = tables_of(people["head_b"])["complaints_citizenship"]
    assert theirs.rows[-1][1] == 0


@pytest.fixture
def exclusions(dataset, people, facility_b):
    gpo = people["gpo"]
    common = {"acting_user": gpo, "origin": ORIGIN, "court": "SMAS Almaty"}
    case_services.evidence_exclusion_record(
        **common, facility=dataset.facility, ruling_reference="1-1", ruled_on=dt.date(2025, 5, 1),
        kind="confession", person_sex="male", person_age=30, person_citizenship="kz")
    case_services.evidence_exclusion_record(
        **common, facility=facility_b, ruling_reference="1-2", ruled_on=dt.date(2025, 6, 1),
        kind="testimony", person_sex="female", person_age=17, person_citizenship="UZ")
    case_services.evidence_exclusion_record(
        **common, facility=facility_b, ruling_reference="1-3", ruled_on=dt.date(2024, 6, 1),
        kind="testimony")


def test_evidence_excluded(exclusions, dataset, people):
    tables = tables_of(people["gpo"])
    by_region = {r[0]: r[1:] for r in tables["exclusions"].rows}
    almaty, karaganda = dataset.facility.region.name, Facility.objects.get(
        code="FB-1").region.name
    assert by_region[almaty] == [1, 0, 0, 1] and by_region[karaganda] == [0, 1, 0, 1]
    assert by_region["Total"] == [1, 1, 0, 2]
    people_rows = {(r[0], r[1]): r[2] for r in tables["exclusions_people"].rows}
    assert people_rows[("Sex", "Male")] == 1 and people_rows[("Sex", "Female")] == 1
    assert people_rows[("Age group", "0-17")] == 1 and people_rows[("Age group", "30-44")] == 1
    assert people_rows[("Citizenship", "KZ")] == 1 and people_rows[("Citizenship", "UZ")] == 1
    assert people_rows[("Total", "")] == 2
    # A regional prosecutor of Almaty counts Almaty's only.
    assert tables_of(people["prosecutor_a"])["exclusions"].rows[-1][1:] == [1, 0, 0, 1]


def test_exclusion_refusals_change_nothing(exclusions, dataset, people, facility_b):
    before = EvidenceExclusion.objects.count()
    with pytest.raises(ValidationError) as error:
        case_services.evidence_exclusion_record(
            acting_user=people["gpo"], origin=ORIGIN, facility=facility_b, court="SMAS Almaty",
            ruling_reference="1-2", ruled_on=dt.date(2025, 6, 1), kind="testimony",
            person_citizenship="Uzbek")
    assert {"ruling_reference", "person_citizenship"} <= set(error.value.message_dict)
    # Outside his region; and facility staff record nothing.
    for who, facility in (("prosecutor_a", facility_b), ("head_a", dataset.facility)):
        with pytest.raises(PermissionDenied):
            case_services.evidence_exclusion_record(
                acting_user=people[who], origin=ORIGIN, facility=facility, court="X",
                ruling_reference="9", ruled_on=dt.date(2025, 6, 1), kind="other")
    assert EvidenceExclusion.objects.count() == before


def test_exclusions_page(dataset, people, signed_in, client):
    url = reverse("cases:exclusions")
    prosecutor = signed_in(people["prosecutor_a"])
    bad = prosecutor.post(url, {"facility": dataset.facility.pk, "court": "SMAS",
                                "ruling_reference": "7", "ruled_on": "2099-01-01",
                                "kind": "confession", "person_sex": "male"})
    assert bad.status_code == 422 and "ruled_on" in bad.context["form"].errors
    good = prosecutor.post(url, {"facility": dataset.facility.pk, "court": "SMAS",
                                 "ruling_reference": "7", "ruled_on": "2025-05-05",
                                 "kind": "confession", "person_sex": "male"})
    assert good.status_code == 302 and EvidenceExclusion.objects.count() == 1
    assert "SMAS" in prosecutor.get(url).content.decode()
    client.logout()
    for who in ("head_a", "analyst"):
        assert signed_in(people[who]).get(url).status_code == 403
        client.logout()


def test_rehabilitation_through_centres(dataset, people):
    victim = CaseParty.objects.get(case=dataset.case, role=CaseParty.Role.VICTIM)
    centre = CrisisCentre.objects.create(name="Жан", region=dataset.facility.region,
                                         services=["psychological", "legal"])
    answered = SupportReferral.objects.create(
        case=dataset.case, victim=victim, kind="psychological", centre="Жан",
        crisis_centre=centre, consent="written", referred_at=at(25, 10),
        status_changed_at=at(29, 10), response_due_at=at(28, 10), responded_at=at(27, 10),
        status="completed", outcome="goals_met")
    ReferralService.objects.create(referral=answered, kind="psychological",
                                   given_on=dt.date(2025, 3, 28), sessions=3)
    SupportReferral.objects.create(
        case=dataset.case, victim=victim, kind="legal", centre="Жан", crisis_centre=centre,
        consent="oral", referred_at=at(25, 11), status_changed_at=at(25, 11),
        response_due_at=at(28, 11), response_overdue_at=at(28, 12))
    tables = tables_of(people["gpo"])
    by_kind = {r[0]: r[1:6] for r in tables["rehabilitation_services"].rows}
    assert by_kind["Psychological support"] == [1, 1, 1, 0, 3]
    assert by_kind["Legal aid"] == [1, 1, 0, 1, 0]
    goals_met = tables["rehabilitation_services"].header.index("Help given, goals met")
    assert tables["rehabilitation_services"].rows[-1][goals_met] == 1
    by_region = {r[0]: r[1:6] for r in tables["rehabilitation_regions"].rows}
    assert by_region[dataset.facility.region.name] == [2, 2, 1, 1, 3]
    assert tables_of(people["head_b"])["rehabilitation_services"].rows[-1][1] == 0


@pytest.fixture
def observations(dataset):
    mvd = Agency.objects.get(code="MVD")
    common = {"addressee_body": mvd, "responsible_official": "Minister",
              "category": RecommendationCategory.CONDITIONS, "issued_on": dt.date(2024, 11, 1),
              "deadline": dt.date(2025, 11, 1)}
    group = RecommendationGroup.objects.create(title="Independent examinations")
    a = Recommendation.objects.create(source=Source.UN_CAT, text="Ensure independent doctors.",
                                      cat_reference="CAT/C/KAZ/CO/4, para. 12", group=group,
                                      status="in_progress", **common)
    Recommendation.objects.create(source=Source.UN_CAT, text="Record every injury.",
                                  cat_reference="CAT/C/KAZ/CO/4, para. 12", **common)
    spt = Recommendation.objects.create(source=Source.SPT, text="Doctors outside the police.",
                                        cat_reference="CAT/OP/KAZ/1, para. 40", group=group,
                                        **common)
    Recommendation.objects.create(source=Source.UN_CAT, text="Other paragraph.",
                                  cat_reference="CAT/C/KAZ/CO/4, para. 30", **common)
    Evidence.objects.create(recommendation=a, kind="document",
                            description="Order No. 5 on independent doctors")
    return a, spt


def test_follow_up_builder_and_exports(observations, people, signed_in):
    client = signed_in(people["gpo"])
    page = client.get(reverse("reports:cat_follow_up"))
    assert [ref for ref, _n in page.context["observations"]] == [
        "CAT/C/KAZ/CO/4, para. 12", "CAT/C/KAZ/CO/4, para. 30"]
    chosen = {"o": ["CAT/C/KAZ/CO/4, para. 12", "not a paragraph"]}
    page = client.get(reverse("reports:cat_follow_up"), chosen)
    [observation] = page.context["chosen"]
    # Its two recommendations and the SPT's grouped with one of them.
    assert sorted(r.text for r in observation.recommendations) == [
        "Doctors outside the police.", "Ensure independent doctors.", "Record every injury."]
    assert "Order No. 5 on independent doctors" in page.content.decode()
    document = json.loads(client.get(reverse("reports:cat_follow_up_export", args=["json"]),
                                     chosen).content)
    first = next(r for r in document["recommendations"]
                 if r["text"] == "Ensure independent doctors.")
    assert first["status"] == "in_progress"
    assert first["evidence"][0]["description"] == "Order No. 5 on independent doctors"
    assert "Ledger checkpoint" in document["provenance"]
    lines = list(csv.reader(io.StringIO(client.get(
        reverse("reports:cat_follow_up_export", args=["csv"]), chosen).content.decode(
        "utf-8-sig"))))
    header = next(line for line in lines if line and line[0] == "observation")
    assert header[:2] == ["observation", "recommendation_id"]
    assert sum(1 for line in lines if line and line[0] == "CAT/C/KAZ/CO/4, para. 12") == 3
    pdf = client.get(reverse("reports:cat_follow_up_export", args=["pdf"]), chosen)
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT,
                                     object_type="reports.cat_follow_up").count() == 3
    assert client.get(reverse("reports:cat_follow_up_export", args=["json"])).status_code == 400
    # The UN CAT XLSX carries the follow-up chosen.
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        reverse("reports:cat_export", args=["xlsx"]), {"year": 2025, **chosen}).content))
    sheet = next(s for s in book.worksheets
                 if s["A1"].value == "Follow-up: the concluding observations chosen")
    assert sheet.max_row == 4 + 3


def test_follow_up_denied_to_who_reads_no_reports(observations, people, signed_in, client):
    for who in ("head_a", "duty_a"):
        reader = signed_in(people[who])
        assert reader.get(reverse("reports:cat_follow_up")).status_code == 403
        assert reader.get(reverse("reports:cat_follow_up_export", args=["json"]),
                          {"o": "CAT/C/KAZ/CO/4, para. 12"}).status_code == 403
        client.logout()
