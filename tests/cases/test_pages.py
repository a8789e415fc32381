"""The pages at work: actions through forms, the body diagram, the PDF, evidence with its
ledger proof, the officer and unit pages, the import page and the complaint's button."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from custodywatch.cases import services
from custodywatch.cases.models import CaseParty, Charge, CrisisCentre, EvidenceItem, Finding
from custodywatch.ledger.models import LeafKind, PendingLeaf
from custodywatch.ledger.services import ledger_integrate_all
from custodywatch.registry.models import HeadAppointment
from tests.cases.conftest import ERDR_A, ORIGIN
from tests.conftest import require_or_skip, sign_in

pytestmark = pytest.mark.django_db
MOMENT = "%Y-%m-%dT%H:%M"


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime(MOMENT)


def test_case_page_actions_and_refusals(client, cw):
    sign_in(client, cw.people["prosecutor_a"])
    case = cw.case_a
    url = lambda action: reverse("cases:case_action", args=[case.pk, action])  # noqa: E731
    page = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Officer Suspect" in body and 'data-testid="clock-first_step"' in body
    # Art. 146 with probation: refused with the rule's text beside the field.
    refused = client.post(url("charge"), {
        "accused": cw.accused.pk, "victim": cw.victim.pk, "article": "146",
        "verdict": "convicted", "verdict_on": "2026-05-01", "probation": "on"})
    assert refused.status_code == 422
    assert "cannot carry probation" in refused.content.decode()
    assert not Charge.objects.exists()
    ok = client.post(url("charge"), {"accused": cw.accused.pk, "victim": cw.victim.pk,
                                     "article": "146", "verdict": "pending"})
    assert ok.status_code == 302 and Charge.objects.count() == 1
    # A refused transition names its field; an allowed one moves the case.
    bad = client.post(url("transition"), {"to_status": "closed"})
    assert bad.status_code == 422
    assert client.post(url("transition"), {"to_status": "investigation"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "investigation"
    # A physical item, a good transfer, and a break in the chain refused.
    now = timezone.now()
    assert client.post(url("evidence"), {
        "label": "E1", "kind": "physical", "description": "Baton", "found_at": "Room R1",
        "collected_by": "Investigator K.", "collected_at": _local(now - dt.timedelta(hours=3)),
        "holder": "Investigator K.", "location": "Office 12"}).status_code == 302
    item = EvidenceItem.objects.get(label="E1")
    assert PendingLeaf.objects.filter(kind=LeafKind.EVIDENCE_REGISTERED,
                                      sha256=item.sha256).exists()
    assert client.post(url("transfer"), {
        "item": item.pk, "from_holder": "Investigator K.", "from_location": "Office 12",
        "to_holder": "Forensic unit", "to_location": "Safe 3",
        "transferred_at": _local(now - dt.timedelta(hours=2)),
        "reason": "examination"}).status_code == 302
    broken = client.post(url("transfer"), {
        "item": item.pk, "from_holder": "Investigator K.", "from_location": "Office 12",
        "to_holder": "Court", "to_location": "Archive",
        "transferred_at": _local(now - dt.timedelta(hours=1)), "reason": "trial"})
    assert broken.status_code == 422
    assert "chain of custody would break" in broken.content.decode()
    item.refresh_from_db()
    assert (item.holder, item.transfers.count()) == ("Forensic unit", 1)
    assert PendingLeaf.objects.filter(kind=LeafKind.CUSTODY_TRANSFER).count() == 1
    # Support and the filters of the list.
    centre = CrisisCentre.objects.create(name="Crisis centre", region=cw.case_a.region,
                                         services=["legal"])
    assert client.post(url("referral"), {"victim": cw.victim.pk, "kind": "legal",
                                         "crisis_centre": centre.pk,
                                         "consent": "written"}).status_code == 302
    listing = client.get(reverse("cases:index"), {"article": "146", "q": ERDR_A[:6]})
    assert ERDR_A in listing.content.decode()
    assert ERDR_A not in client.get(reverse("cases:index"),
                                     {"status": "final"}).content.decode()


def test_evidence_file_is_verified_once_integrated_and_packaged(client, cw):
    sign_in(client, cw.people["prosecutor_a"])
    payload = b"\x00\x00\x00\x18ftypmp42" + b"footage" * 100
    item = services.evidence_register(
        acting_user=cw.people["prosecutor_a"], origin=ORIGIN, case=cw.case_a, label="V1",
        kind="footage", description="Copy of CAM1", found_at="NVR1",
        collected_by="Investigator K.", collected_at=timezone.now(), holder="Investigator K.",
        location="Office 12", upload=SimpleUploadedFile("cam1.mp4", payload))
    page = client.get(reverse("cases:evidence", args=[item.pk])).content.decode()
    assert 'data-testid="evidence-pending"' in page
    ledger_integrate_all()
    page = client.get(reverse("cases:evidence", args=[item.pk])).content.decode()
    assert 'data-testid="evidence-verified"' in page and item.sha256 in page
    assert client.get(reverse("cases:evidence_file", args=[item.pk])).getvalue() == payload
    package = client.get(reverse("cases:evidence_package", args=[cw.case_a.pk]))
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    # Another region's prosecutor: neither the item nor the package.
    client.logout()
    sign_in(client, cw.people["prosecutor_b"])
    assert client.get(reverse("cases:evidence", args=[item.pk])).status_code == 404
    assert client.get(reverse("cases:evidence_package", args=[cw.case_a.pk])).status_code == 404


def test_examination_finding_keyboard_fallback_and_pdf(client, cw):
    sign_in(client, cw.people["forensic"])
    exam_url = reverse("cases:examination_action", args=[cw.examination.pk, "finding"])
    # A click gives x/y; the keyboard path gives none and the mark goes to the region's centre.
    assert client.post(exam_url, {"view": "front", "body_region": "chest", "x": "0.45",
                                  "y": "0.3", "description": "Кровоподтёк 3×4 см, ұрылған",
                                  "consistency": "highly_consistent"}).status_code == 302
    assert client.post(exam_url, {"view": "back", "body_region": "lower_back",
                                  "description": "Linear bruises",
                                  "consistency": "typical"}).status_code == 302
    bad = client.post(exam_url, {"view": "back", "body_region": "chest", "description": "x",
                                 "consistency": "typical"})
    assert bad.status_code == 422
    back = Finding.objects.get(body_region="lower_back")
    assert (round(back.x, 2), round(back.y, 2)) == (0.5, 0.43)
    page = client.get(reverse("cases:examination", args=[cw.examination.pk])).content.decode()
    assert page.count('data-testid="finding-mark"') == 2
    response = client.get(reverse("cases:examination_pdf", args=[cw.examination.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    require_or_skip(pdftotext is not None, "pdftotext is missing")
    text = subprocess.run([pdftotext, "-", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode()
    assert "Кровоподтёк 3×4 см, ұрылған" in text and "Highly consistent" in text
    assert "Сейтқали Әсет Ұлықбекұлы" in text


def test_officer_and_unit_pages_show_the_head_then(client, cw, facility_a):
    day = timezone.localtime(cw.case_a.events_from).date()
    HeadAppointment.objects.create(facility=facility_a, full_name="Head Then", position="chief",
                                   started_on=day - dt.timedelta(days=100))
    services.party_add_officer(acting_user=cw.people["prosecutor_a"], origin=ORIGIN,
                               case=cw.case_a, role=CaseParty.Role.SUSPECT,
                               full_name="Second Officer", personnel_number="P-2")
    sign_in(client, cw.people["prosecutor_a"])
    unit = client.get(reverse("cases:unit", args=[facility_a.code])).content.decode()
    assert ERDR_A in unit and "Head Then (chief)" in unit
    second = CaseParty.objects.get(officer__personnel_number="P-2").officer
    officer = client.get(reverse("cases:officer", args=[second.pk])).content.decode()
    assert ERDR_A in officer and "Head Then" in officer
    client.logout()
    sign_in(client, cw.people["prosecutor_b"])
    assert client.get(reverse("cases:unit", args=[facility_a.code])).status_code == 404
    assert client.get(reverse("cases:officer", args=[second.pk])).status_code == 404


def test_import_page_and_complaint_button(client, cw):
    sign_in(client, cw.people["prosecutor_a"])
    complaint_page = client.get(reverse("complaints:detail", args=[cw.complaint.pk]))
    assert reverse("cases:case_new") + f"?complaint={cw.complaint.pk}" in \
        complaint_page.content.decode()
    form = client.get(reverse("cases:case_new"), {"complaint": cw.complaint.pk})
    assert cw.complaint.reference in form.content.decode()
    csv_text = ("register_number,accused,victim,article,verdict,verdict_on,amnesty\n"
                f"{ERDR_A},Officer Suspect,Сейтқали Әсет Ұлықбекұлы,146,convicted,2026-04-01,yes\n")
    response = client.post(reverse("cases:import"), {
        "file": SimpleUploadedFile("charges.csv", csv_text.encode())})
    assert response.status_code == 200
    assert "1 created, 0 updated, 1 flagged" in response.content.decode()
    page = client.get(reverse("cases:case_detail", args=[cw.case_a.pk])).content.decode()
    assert "amnesty does not apply" in page


def test_a_victim_is_linked_to_his_custody_record_through_the_form(client, cw, facility_a,
                                                                    facility_b):
    from custodywatch.custody.models import CustodyRecord

    def record(facility):  # type: ignore[no-untyped-def]
        detained = timezone.now() - dt.timedelta(hours=5)
        return CustodyRecord.objects.create(
            facility=facility, full_name="Нурланов Ерлан", detained_at=detained,
            detained_place="street", detaining_officer="officer", grounds="art. 188",
            detention_due_at=detained + dt.timedelta(hours=48))

    inside, outside = record(facility_a), record(facility_b)
    sign_in(client, cw.people["prosecutor_a"])
    url = reverse("cases:case_action", args=[cw.case_a.pk, "person"])
    victims = CaseParty.objects.filter(case=cw.case_a, role=CaseParty.Role.VICTIM)
    before = victims.count()
    for number in (outside.pk, outside.pk + 1000):  # another region's, and one that is none
        refused = client.post(url, {"role": "victim", "full_name": "Нурланов Ерлан",
                                    "sex": "unknown", "custody_record": number})
        assert refused.status_code == 422
        assert "No such custody record in your scope" in refused.content.decode()
    assert victims.count() == before
    linked = client.post(url, {"role": "victim", "full_name": "Нурланов Ерлан",
                               "sex": "unknown", "custody_record": inside.pk})
    assert linked.status_code == 302
    party = victims.get(person__full_name="Нурланов Ерлан")
    assert party.custody_record == inside
    page = client.get(reverse("cases:case_detail", args=[cw.case_a.pk])).content.decode()
    assert reverse("custody:record", args=[inside.pk]) in page
