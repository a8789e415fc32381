"""Officials download a complaint's files; every download is audited; nobody else gets them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.complaints.models import Attachment
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


@pytest.fixture
def attachment(file_complaint, facility_a) -> Attachment:
    filed = file_complaint(facility=facility_a, attachments=[
        SimpleUploadedFile("photo.png", PNG, content_type="image/png")])
    return filed.complaint.attachments.get()


def url(attachment: Attachment) -> str:
    return reverse("complaints:attachment", args=[attachment.complaint_id, attachment.pk])


def test_the_handling_prosecutor_downloads_and_it_is_audited(signed_in, people, attachment):
    response = signed_in(people["prosecutor_a"]).get(url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "application/octet-stream"
    assert 'attachment; filename="photo.png"' in response["Content-Disposition"]
    assert response["X-Content-SHA256"] == attachment.sha256
    event = AuditEvent.objects.get(actor=people["prosecutor_a"],
                                   action=AuditEvent.Action.EXPORT)
    assert event.object_id == str(attachment.pk) and event.detail["sha256"] == attachment.sha256


@pytest.mark.parametrize("username", ["head_a", "duty_a", "analyst", "admin"])
def test_staff_of_the_facility_and_others_get_nothing(signed_in, people, attachment, username):
    response = signed_in(people[username]).get(url(attachment))
    assert response.status_code in (403, 404)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_another_regions_prosecutor_is_refused_and_the_refusal_audited(
        signed_in, people, attachment, facility_b):
    karaganda = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR, region=facility_b.region)
    assert signed_in(karaganda).get(url(attachment)).status_code == 404
    assert AuditEvent.objects.filter(actor=karaganda, action=AuditEvent.Action.DENIED,
                                     object_type="complaints.attachment").exists()


def test_an_attachment_of_another_complaint_is_not_found(signed_in, people, attachment,
                                                         file_complaint, facility_a):
    other = file_complaint(facility=facility_a).complaint
    wrong = reverse("complaints:attachment", args=[other.pk, attachment.pk])
    assert signed_in(people["prosecutor_a"]).get(wrong).status_code == 404
