"""Issue 23, item 4: the short receipt code (4 groups of 4 and a check character) with a PIN
the person chooses; code and PIN together open the status, throttled per code and terminal;
the old long codes keep working; the status pages say where to read the answer."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from custodywatch.complaints import receipts, rules
from custodywatch.complaints.models import Complaint
from tests.complaints.conftest import TORTURE_TEXT, enrol

pytestmark = pytest.mark.django_db
SHORT = re.compile(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]")


def _open(client: Client, code: str, pin: str = "", **extra):  # type: ignore[no-untyped-def]
    return client.post(reverse("complaints:status"), {"code": code, "pin": pin}, **extra)


def _mistype(code: str, position: int) -> str:
    raw = list(code)
    raw[position] = "7" if raw[position] != "7" else "8"
    return "".join(raw)


def test_check_character_catches_every_single_slip_and_neighbour_swap():
    raw = "ABCDEFGHJKMNPQRS"
    check = receipts.check_character(raw)
    for i in range(len(raw)):
        for other in receipts.ALPHABET:
            if other != raw[i]:
                slipped = raw[:i] + other + raw[i + 1:]
                assert receipts.check_character(slipped) != check, (i, other)
        if i + 1 < len(raw) and raw[i] != raw[i + 1]:
            swapped = raw[:i] + raw[i + 1] + raw[i] + raw[i + 2:]
            assert receipts.check_character(swapped) != check, i


def test_a_complaint_filed_with_a_pin_gets_a_short_code_that_opens_only_with_the_pin(
        file_complaint, facility_a):
    filed = file_complaint(facility=facility_a, pin="4821")
    assert SHORT.fullmatch(filed.receipt_code), filed.receipt_code
    complaint = filed.complaint
    assert complaint.short_locator and "4821" not in complaint.short_hash
    assert complaint.receipt_hash == receipts.UNUSABLE_HASH  # no long code opens it
    opened = _open(Client(), filed.receipt_code.lower().replace("-", " "), "4821")
    assert opened.status_code == 200 and b'data-testid="status"' in opened.content
    assert _open(Client(), filed.receipt_code, "4822").status_code == 403
    assert _open(Client(), filed.receipt_code).status_code == 403  # the PIN is needed
    # Read aloud over the telephone with O for 0 and I for 1: it still opens.
    spoken = filed.receipt_code.replace("0", "O").replace("1", "I")
    assert _open(Client(), spoken, "4821").status_code == 200


def test_a_mistyped_character_is_told_as_such_and_costs_no_try(file_complaint, facility_a):
    filed = file_complaint(facility=facility_a, pin="4821")
    slipped = _mistype(filed.receipt_code, 5)
    response = _open(Client(), slipped, "4821")
    assert response.status_code == 422
    assert b"mistyped" in response.content
    assert not Complaint.objects.filter(short_locator="").exists()
    from custodywatch.complaints.models import ReceiptAttempt
    assert not ReceiptAttempt.objects.exists()


def test_wrong_pins_for_one_code_are_throttled_from_any_terminal(file_complaint, facility_a):
    filed = file_complaint(facility=facility_a, pin="4821")
    statuses = [_open(Client(), filed.receipt_code, f"{n:04d}",
                      REMOTE_ADDR=f"192.0.2.{n + 1}").status_code
                for n in range(rules.RECEIPT_CODE_FAILURE_LIMIT + 1)]
    assert statuses == [403] * rules.RECEIPT_CODE_FAILURE_LIMIT + [429]
    assert _open(Client(), filed.receipt_code, "4821",
                 REMOTE_ADDR="192.0.2.200").status_code == 429  # the right PIN waits too


def test_one_terminal_guessing_many_codes_is_throttled(facility_a):
    guesser = Client()
    guesser.get(reverse("complaints:status"))
    codes = []
    for n in range(rules.RECEIPT_FAILURE_LIMIT + 1):
        raw = f"{n:04d}WXYZABCDEFGH"
        codes.append(f"{raw}{receipts.check_character(raw)}")
    statuses = [_open(guesser, code, "1234").status_code for code in codes]
    assert statuses == [403] * rules.RECEIPT_FAILURE_LIMIT + [429]


def test_a_pin_must_be_digits(client, facility_a):
    response = client.post(reverse("complaints:intake"), {
        "text": TORTURE_TEXT, "facility": facility_a.pk, "pin": "12ab"})
    assert response.status_code == 422 and not Complaint.objects.exists()
    assert b"4 to 8 digits" in response.content


def test_the_old_long_codes_keep_working(file_complaint, facility_a):
    filed = file_complaint(facility=facility_a)
    assert re.fullmatch(r"([0-9A-Z]{4}-){6}[0-9A-Z]{4}", filed.receipt_code)
    assert filed.complaint.short_locator is None
    assert _open(Client(), filed.receipt_code).status_code == 200
    api = Client().post("/api/complaints/status", {"code": filed.receipt_code},
                        content_type="application/json")
    assert api.status_code == 200


def test_the_api_opens_a_short_code_with_its_pin(file_complaint, facility_a):
    filed = file_complaint(facility=facility_a, pin="990011")
    post = Client().post
    ok = post("/api/complaints/status", {"code": filed.receipt_code, "pin": "990011"},
              content_type="application/json")
    assert ok.status_code == 200 and ok.json()["reference"] == filed.complaint.reference
    assert post("/api/complaints/status", {"code": filed.receipt_code, "pin": "990012"},
                content_type="application/json").status_code == 403
    assert post("/api/complaints/status", {"code": _mistype(filed.receipt_code, 0),
                                           "pin": "990011"},
                content_type="application/json").status_code == 422


def test_the_kiosk_files_with_a_pin_and_its_status_entry_reads_the_answer(client, facility_a,
                                                                          settings):
    settings.PUBLIC_BASE_URL = "https://custodywatch.example.kz"
    enrol(client, facility_a)
    receipt = client.post(reverse("complaints:kiosk_form", args=[facility_a.code]),
                          {"text": TORTURE_TEXT, "facility": facility_a.pk, "pin": "2580"})
    assert receipt.status_code == 200
    code = receipt.context["receipt_code"]
    assert SHORT.fullmatch(code)
    assert b'data-testid="where-to-read"' in receipt.content
    assert b"https://custodywatch.example.kz/complaints/status/" in receipt.content
    assert b'data-testid="pin-note"' in receipt.content
    start = client.get(reverse("complaints:kiosk", args=[facility_a.code]))
    assert b'data-testid="kiosk-status"' in start.content
    kiosk_status = reverse("complaints:kiosk_status", args=[facility_a.code])
    assert client.post(kiosk_status, {"code": code, "pin": "0000"}).status_code == 403
    opened = client.post(kiosk_status, {"code": code, "pin": "2580"})
    assert opened.status_code == 200 and b'data-testid="thread"' not in opened.content
    assert b'data-testid="status"' in opened.content
    # The web status page says where to read the answer too.
    page = Client().get(reverse("complaints:status"))
    assert b'data-testid="where-to-read"' in page.content


def _queue(client: Client, kiosk, key: str, **fields):  # type: ignore[no-untyped-def]
    import json

    return client.post(reverse("complaints:kiosk_queue", args=[kiosk.code]),
                       json.dumps(fields), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key)


def test_a_complaint_stored_offline_is_filed_once_with_the_code_the_terminal_showed(
        client, facility_a):
    enrol(client, facility_a)
    raw = "ABCDEFGHJKMN0123"
    code = "-".join([raw[0:4], raw[4:8], raw[8:12], raw[12:16], receipts.check_character(raw)])
    fields = {"text": TORTURE_TEXT, "facility": str(facility_a.pk), "pin": "1357",
              "code": code}
    first = _queue(client, facility_a, "k-offline-1", **fields)
    assert first.status_code == 201, first.content
    again = _queue(client, facility_a, "k-offline-1", **fields)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    complaint = Complaint.objects.get()
    assert complaint.channel == "kiosk" and complaint.terminal is not None
    assert complaint.short_locator == raw[:6]
    assert _open(Client(), code, "1357").status_code == 200


def test_the_offline_queue_refuses_a_browser_that_is_not_a_terminal_and_bad_codes(
        client, facility_a):
    refused = _queue(Client(), facility_a, "k-2", text=TORTURE_TEXT, pin="1357",
                     code="ABCD-EFGH-JKMN-0123-X")
    assert refused.status_code == 403 and "not an enrolled" in refused.json()["detail"]
    enrol(client, facility_a)
    slipped = _queue(client, facility_a, "k-3", text=TORTURE_TEXT, pin="1357",
                     code="ABCD-EFGH-JKMN-0123-" + ("X" if receipts.check_character(
                         "ABCDEFGHJKMN0123") != "X" else "Y"))
    assert slipped.status_code == 422 and "code" in slipped.json()["detail"]
    no_pin = _queue(client, facility_a, "k-4", text=TORTURE_TEXT, code="")
    assert no_pin.status_code == 201  # no code drawn: the server's long code, unseen
    assert Complaint.objects.count() == 1
