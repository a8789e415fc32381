"""A prosecutor opens a case from a complaint, adds a victim and an accused with a charge,
requests an examination, marks a finding by clicking the body diagram, and downloads the
examination's PDF, which pdftotext reads back."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.cases.models import Case, Charge, Finding
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel
from custodywatch.core import sealing
from tests.conftest import make_facility, make_user, require_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_case_from_complaint_to_examination_pdf(page, live_server, settings, tmp_path,
                                                monkeypatch):
    from custodywatch.accounts.models import Role

    key = tmp_path / "sealing.key"
    key.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(key))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    facility = make_facility("FA-1", "KZ-75")
    make_user("prosecutor", Role.REGIONAL_PROSECUTOR, region=facility.region)
    make_user("expert", Role.FORENSIC_EXPERT)
    complaint = complaints.complaint_file(
        acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB, facility=facility,
        text="В отделе меня избили дубинкой и требовали признание.").complaint

    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    page.get_by_label("Username").fill("prosecutor")
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")
    page.get_by_test_id("open-case").click()
    page.get_by_label("ERDR number").fill("2615 7503 1000 123")
    page.get_by_role("button", name="Register the case").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Registered")
    case = Case.objects.get()
    assert list(case.complaints.all()) == [complaint]

    page.get_by_text("Add a victim, witness or lawyer").click()
    person = page.get_by_test_id("form-person")
    person.get_by_label("Full name").fill("Сейтқали Әсет")
    person.get_by_role("button", name="Add").click()
    page.get_by_text("Add a suspect or accused").click()
    officer = page.get_by_test_id("form-officer")
    officer.get_by_label("Role").select_option("accused")
    officer.get_by_label("Full name").fill("Officer Baton")
    officer.get_by_label("Rank").fill("captain")
    officer.get_by_role("button", name="Add").click()
    page.get_by_text("Add a charge").click()
    charge = page.get_by_test_id("form-charge")
    charge.get_by_label("Accused", exact=True).select_option(label="Officer Baton (Accused)")
    charge.get_by_label("Victim", exact=True).select_option(label="Сейтқали Әсет (Victim)")
    charge.get_by_label("Article").select_option("146")
    charge.get_by_role("button", name="Add the charge").click()
    expect(page.locator("#charges")).to_contain_text("Art. 146 Torture")
    assert Charge.objects.filter(case=case, article="146").count() == 1

    page.get_by_text("Request an examination").click()
    request = page.get_by_test_id("form-examination")
    request.get_by_label("Person examined").select_option(label="Сейтқали Әсет (Victim)")
    request.get_by_label("Examiner").select_option(label="expert")
    request.get_by_role("button", name="Request").click()
    page.wait_for_url("**/cases/examinations/*/")

    # A click on the chest of the front view places the mark and fills the form.
    page.locator("g[data-view=front] rect[data-region=chest]").click(position={"x": 8,
                                                                              "y": 10})
    expect(page.get_by_label("Body region")).to_have_value("chest")
    page.get_by_label("Description").fill("Кровоподтёк 3×4 см на груди")
    page.get_by_label("Degree of consistency").select_option("highly_consistent")
    page.get_by_role("button", name="Add the finding").click()
    expect(page.get_by_test_id("finding-mark")).to_have_count(1)
    finding = Finding.objects.get()
    assert finding.view == "front" and finding.body_region == "chest"
    assert 0.3 < finding.x < 0.5 and 0.2 < finding.y < 0.4  # where the click was, not a centre

    with page.expect_download() as download:
        page.get_by_test_id("examination-pdf").click()
    pdf = tmp_path / "examination.pdf"
    download.value.save_as(pdf)
    pdftotext = shutil.which("pdftotext")
    require_or_skip(pdftotext is not None, "pdftotext is missing")
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, check=True
                          ).stdout.decode()
    assert "Кровоподтёк 3×4 см на груди" in text and "Highly consistent" in text
