"""Receipt codes: each opens only its own complaint; guessing is throttled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.complaints import receipts
from custodywatch.complaints.models import Complaint, ReceiptAttempt
from tests.complaints.conftest import CONDITIONS_TEXT

pytestmark = pytest.mark.django_db


def test_code_format_and_normalisation():
    code, locator, code_hash = receipts.new_code()
    assert len(code.replace("-", "")) == 28 and code.count("-") == 6
    assert receipts.split(code.lower().replace("-", " ")) == (locator, code.replace("-", "")[8:])
    assert receipts.verify(code.replace("-", "")[8:], code_hash)
    assert not receipts.verify("0" * 20, code_hash)


def test_a_code_opens_only_its_own_complaint(client, file_complaint, facility_a, facility_b):
    first = file_complaint(facility=facility_a)
    second = file_complaint(facility=facility_b, text=CONDITIONS_TEXT)
    page = client.post(reverse("complaints:status"), {"code": first.receipt_code})
    assert page.status_code == 200
    assert page.context["complaint"] == first.complaint
    assert second.complaint.reference not in page.content.decode()
    # The locator of one with the secret of the other opens neither.
    mixed = first.receipt_code[:9] + second.receipt_code[9:]
    assert client.post(reverse("complaints:status"), {"code": mixed}).status_code == 403


def test_the_status_page_never_shows_the_handler_or_identity(client, file_complaint, facility_a,
                                                             people):
    from custodywatch.accounts.audit import SYSTEM_ORIGIN
    from custodywatch.complaints import services

    filed = file_complaint(facility=facility_a,
                           identity=services.Identity(full_name="Ерлан Нурланов"))
    services.message_send_official(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                   complaint=filed.complaint, body="Когда это было?",
                                   is_question=True)
    body = client.post(reverse("complaints:status"),
                       {"code": filed.receipt_code}).content.decode()
    assert "Когда это было?" in body
    assert "prosecutor_a" not in body and "Ерлан Нурланов" not in body


def test_twenty_wrong_codes_from_one_address_are_throttled(client, file_complaint, facility_a):
    """One browser (its terminal cookie kept by the test client) at one address; each wrong
    code has its own locator, so that the per-code limit (test_receipt_throttle.py) stays out
    of the way."""
    filed = file_complaint(facility=facility_a)
    client.get(reverse("complaints:status"), REMOTE_ADDR="198.51.100.9")  # the form first
    statuses = []
    for n in range(20):
        wrong = f"AAAA-{n:04d}-CCCC-DDDD-EEEE-FFFF-GGGG"
        statuses.append(client.post(reverse("complaints:status"), {"code": wrong},
                                    REMOTE_ADDR="198.51.100.9").status_code)
    assert statuses[:10] == [403] * 10
    assert set(statuses[10:]) == {429}
    # Even the right code waits now, from this address …
    right = client.post(reverse("complaints:status"), {"code": filed.receipt_code},
                        REMOTE_ADDR="198.51.100.9")
    assert right.status_code == 429
    # … and from this browser at another address (its terminal cookie) …
    assert client.post(reverse("complaints:status"), {"code": filed.receipt_code},
                       REMOTE_ADDR="198.51.100.10").status_code == 429
    # … but not from another browser, and not after the window.
    assert Client().post(reverse("complaints:status"), {"code": filed.receipt_code},
                         REMOTE_ADDR="198.51.100.10").status_code == 200
    ReceiptAttempt.objects.update(at=timezone.now() - dt.timedelta(minutes=16))
    assert client.post(reverse("complaints:status"), {"code": filed.receipt_code},
                       REMOTE_ADDR="198.51.100.9").status_code == 200
    # Addresses are not stored, only a keyed hash.
    assert not ReceiptAttempt.objects.filter(address_key__contains="198.51").exists()


def test_api_status_and_reply_by_code(client, file_complaint, facility_a):
    filed = file_complaint(facility=facility_a)
    response = client.post("/api/complaints/status", {"code": filed.receipt_code},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "received"
    reply = client.post("/api/complaints/status/reply",
                        {"code": filed.receipt_code, "body": "Это было 3 марта."},
                        content_type="application/json")
    assert reply.status_code == 200
    assert reply.json()["messages"][0]["body"] == "Это было 3 марта."
    wrong = client.post("/api/complaints/status", {"code": "X" * 28},
                        content_type="application/json")
    assert wrong.status_code == 403
    assert Complaint.objects.get().messages.count() == 1


def test_complainant_reply_with_wrong_type_file_is_refused(client, file_complaint, facility_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    filed = file_complaint(facility=facility_a)
    response = client.post(reverse("complaints:status_reply"), {
        "code": filed.receipt_code, "body": "Добавляю фото",
        "attachments": [SimpleUploadedFile("x.jpg", b"GIF89a....")]})
    assert response.status_code == 422
    assert "x.jpg is not an accepted type" in response.content.decode()
    assert filed.complaint.messages.count() == 0


def test_switching_language_on_the_status_page_keeps_it_open(client, file_complaint,
                                                              facility_a):
    filed = file_complaint(facility=facility_a)
    page = client.post(reverse("complaints:status"), {"code": filed.receipt_code})
    html = page.content.decode()
    assert 'data-testid="status-language-form"' in html and 'name="language"' in html
    for language, word in (("kk", "Шағым"), ("en", "Complaint"), ("ru", "Жалоба")):
        switched = client.post(reverse("complaints:status"),
                               {"code": filed.receipt_code, "language": language})
        assert switched.status_code == 200
        assert switched.context["complaint"] == filed.complaint  # still open
        text = switched.content.decode()
        assert f'lang="{language}"' in text and word in text
    assert client.cookies["django_language"].value == "ru"
    # Before a code is typed, a switch only shows the empty form in that language.
    empty = client.post(reverse("complaints:status"), {"code": "", "language": "kk"})
    assert empty.status_code == 200 and "errorlist" not in empty.content.decode()
