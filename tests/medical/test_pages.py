"""Issue 21 through the pages: the examiner records an examination on the body map (several
injuries), the referral opens by itself, the prosecutor sees it, the facility does not; the
photograph is hashed into the ledger; the person's copy is a PDF; kk, ru and en."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from custodywatch.accounts.models import Role
from custodywatch.ledger.models import PendingLeaf
from custodywatch.medical.models import Examination, Photo, Referral
from tests.conftest import make_user, sign_in
from tests.custody.conftest import make_record

pytestmark = pytest.mark.django_db


def _form(at: dt.datetime, **overrides) -> dict:
    data = {"occasion": "intake", "examined_at": timezone.localtime(at).strftime(
        "%Y-%m-%dT%H:%M"), "in_private": "yes", "consent": "given",
        "person_account": "Меня били в машине", "consistency": "consistent", "opinion": "",
        "injury-TOTAL_FORMS": "3", "injury-INITIAL_FORMS": "0",
        "injury-MIN_NUM_FORMS": "0", "injury-MAX_NUM_FORMS": "40",
        "injury-0-view": "front", "injury-0-body_region": "head", "injury-0-kind": "bruise",
        "injury-0-description": "Haematoma over the left eye", "injury-0-x": "0.45",
        "injury-0-y": "0.08",
        "injury-1-view": "back", "injury-1-body_region": "upper_back",
        "injury-1-kind": "abrasion", "injury-1-description": "Linear abrasions"}
    return data | overrides


@pytest.fixture
def record(people, facility_a):
    return make_record(facility_a, people["duty_a"])


def test_examiner_records_injuries_on_the_body_map_and_the_referral_opens(
        client, doctor, record, people):
    page = sign_in(client, doctor)
    form = page.get(reverse("medical:record", args=[record.pk]))
    assert form.status_code == 200 and b"data-injury-form" in form.content
    assert b'data-region="head"' in form.content  # the forensic diagram, reused
    response = page.post(reverse("medical:record", args=[record.pk]),
                         _form(timezone.now() - dt.timedelta(minutes=30)))
    examination = Examination.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("medical:examination", args=[examination.pk])
    assert [(i.body_region, round(i.x, 2)) for i in examination.injuries.all()] == [
        ("head", 0.45), ("upper_back", 0.5)]  # no click: the region's centre
    referral = Referral.objects.get()
    assert referral.triggers == ["injury_found"]
    # The doctor sees the examination but not the referral's allegation or case.
    shown = page.get(response["Location"])
    assert shown.status_code == 200 and b"Haematoma" in shown.content
    assert b'data-testid="referral"' not in shown.content
    prosecutor = sign_in(client.__class__(), people["prosecutor_a"])
    seen = prosecutor.get(response["Location"])
    assert b'data-testid="referral"' in seen.content
    assert referral.complaint.reference.encode() in seen.content
    listing = prosecutor.get(reverse("medical:index"))
    assert referral.case.register_number.encode() in listing.content


def test_an_unanswered_form_is_refused_and_writes_nothing(client, doctor, record):
    page = sign_in(client, doctor)
    data = _form(timezone.now() - dt.timedelta(minutes=30), **{
        "injury-0-description": "", "injury-0-view": "", "injury-0-body_region": "",
        "injury-0-kind": "", "injury-1-view": "", "injury-1-body_region": "",
        "injury-1-kind": "", "injury-1-description": ""})
    response = page.post(reverse("medical:record", args=[record.pk]), data)
    assert response.status_code == 200
    assert "Answer explicitly" in response.content.decode()
    assert not Examination.objects.exists()


@pytest.mark.parametrize("name", ["head_a", "duty_a", "analyst", "admin"])
def test_facility_staff_and_others_have_no_medical_pages(client, people, record, name, doctor):
    page = sign_in(client, people[name])
    assert page.get(reverse("medical:index")).status_code == 404
    assert page.get(reverse("medical:record", args=[record.pk])).status_code == 404
    assert page.post(reverse("medical:record", args=[record.pk]),
                     _form(timezone.now())).status_code == 404
    assert not Examination.objects.exists()


def test_a_doctor_of_another_region_cannot_open_the_record(client, record, facility_b):
    other = make_user("doctor_b", Role.MEDICAL_EXAMINER, region=facility_b.region)
    page = sign_in(client, other)
    assert page.get(reverse("medical:record", args=[record.pk])).status_code == 404
    assert page.post(reverse("medical:record", args=[record.pk]),
                     _form(timezone.now())).status_code == 404


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def test_photo_is_hashed_into_the_ledger_and_the_copy_is_a_pdf(client, doctor, record,
                                                               settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = sign_in(client, doctor)
    page.post(reverse("medical:record", args=[record.pk]),
              _form(timezone.now() - dt.timedelta(minutes=30)))
    examination = Examination.objects.get()
    injury = examination.injuries.first()
    data = _jpeg()
    response = page.post(reverse("medical:photo_add", args=[examination.pk]), {
        "photo": SimpleUploadedFile("eye.jpg", data, "image/jpeg"), "injury": injury.pk})
    assert response.status_code == 302
    photo = Photo.objects.get()
    import hashlib
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.injury == injury
    leaf = PendingLeaf.objects.get(pk=photo.ledger_pending_id)
    assert leaf.sha256 == photo.sha256 and b"medical-photo" in bytes(leaf.data)
    assert record.full_name.encode() not in bytes(leaf.data)
    assert page.get(reverse("medical:photo", args=[photo.pk])).status_code == 200
    pdf = page.get(reverse("medical:examination_pdf", args=[examination.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Not a photograph: refused by its first bytes.
    page.post(reverse("medical:photo_add", args=[examination.pk]), {
        "photo": SimpleUploadedFile("x.jpg", b"GIF89a....", "image/jpeg")})
    assert Photo.objects.count() == 1


def test_the_pages_speak_kazakh_and_russian(client, doctor, record):
    page = sign_in(client, doctor)
    for language, words in (("kk", "Тәуелсіз медициналық"), ("ru", "Независимые медицинские"),
                            ("en", "Independent medical examinations")):
        page.cookies["django_language"] = language
        response = page.get(reverse("medical:record", args=[record.pk]),
                            HTTP_ACCEPT_LANGUAGE=language)
        assert words in response.content.decode(), language
