"""Issue 17, item 8: receipt-code throttling per code, per terminal and per address.

A guesser at a shared address (a kiosk network, a NAT) locks out his own browser, not the
people beside him; guessing one code's secret, or guessing from one address with fresh
cookies, stays slow.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import Origin
from custodywatch.complaints import receipts, rules, services
from custodywatch.complaints.models import ReceiptAttempt

pytestmark = pytest.mark.django_db

NAT = "203.0.113.7"


def browser() -> Client:
    """A browser that has opened the status form (and so holds its terminal cookie)."""
    client = Client()
    assert client.get(reverse("complaints:status"), REMOTE_ADDR=NAT).status_code == 200
    assert receipts.TERMINAL_COOKIE in client.cookies
    return client


def try_code(client: Client, code: str) -> int:
    return client.post(reverse("complaints:status"), {"code": code},
                       REMOTE_ADDR=NAT).status_code


def wrong_code(n: int) -> str:
    return f"{n:04d}-WXYZ-CCCC-DDDD-EEEE-FFFF-GGGG"  # a locator of its own each time


def test_a_guesser_behind_a_nat_does_not_lock_out_the_right_code_of_his_neighbour(
        file_complaint, facility_a):
    filed = file_complaint(facility=facility_a)
    guesser, neighbour = browser(), browser()
    statuses = [try_code(guesser, wrong_code(n)) for n in range(rules.RECEIPT_FAILURE_LIMIT + 2)]
    assert statuses == [403] * rules.RECEIPT_FAILURE_LIMIT + [429, 429]
    # The guesser's own browser is throttled, the right code included …
    assert try_code(guesser, filed.receipt_code) == 429
    # … while the person at the next terminal, same address, opens his complaint.
    assert try_code(neighbour, filed.receipt_code) == 200


def test_guessing_the_secret_of_one_code_is_slow_from_any_terminal(file_complaint, facility_a):
    filed = file_complaint(facility=facility_a)
    locator = filed.receipt_code[:9]  # "XXXX-XXXX" seen over a shoulder
    statuses = []
    for n in range(rules.RECEIPT_CODE_FAILURE_LIMIT + 1):
        # A fresh browser at a fresh address each time: only the code's count can stop it.
        statuses.append(Client().post(reverse("complaints:status"),
                                      {"code": f"{locator}-AAAA-BBBB-CCCC-DDDD-{n:04d}"},
                                      REMOTE_ADDR=f"192.0.2.{n + 1}").status_code)
    assert statuses == [403] * rules.RECEIPT_CODE_FAILURE_LIMIT + [429]
    assert Client().post(reverse("complaints:status"), {"code": filed.receipt_code},
                         REMOTE_ADDR="192.0.2.200").status_code == 429


def test_an_unknown_locator_is_counted_like_a_known_one(facility_a):
    """No oracle: the per-code count does not tell whether a locator exists."""
    statuses = [Client().post(reverse("complaints:status"),
                              {"code": f"ZZZZ-ZZZZ-AAAA-BBBB-CCCC-DDDD-{n:04d}"},
                              REMOTE_ADDR=f"192.0.2.{n + 1}").status_code
                for n in range(rules.RECEIPT_CODE_FAILURE_LIMIT + 1)]
    assert statuses == [403] * rules.RECEIPT_CODE_FAILURE_LIMIT + [429]


def test_fresh_cookies_do_not_lift_the_limit_of_an_address(file_complaint, facility_a):
    """Dropping the cookie: a try without one counts for the address's cookie-less terminal,
    and all the tries of one address are capped too."""
    filed = file_complaint(facility=facility_a)
    cookieless = [Client().post(reverse("complaints:status"), {"code": wrong_code(n)},
                                REMOTE_ADDR=NAT).status_code
                  for n in range(rules.RECEIPT_FAILURE_LIMIT + 1)]
    assert cookieless == [403] * rules.RECEIPT_FAILURE_LIMIT + [429]
    # The address cap: failures recorded from many terminals of one address.
    now = timezone.now()
    address = receipts.address_key(NAT)
    ReceiptAttempt.objects.bulk_create([
        ReceiptAttempt(address_key=address, terminal_key=receipts.terminal_key(f"t{n}"),
                       at=now, succeeded=False)
        for n in range(rules.RECEIPT_ADDRESS_FAILURE_LIMIT)])
    assert try_code(browser(), filed.receipt_code) == 429
    # Another address is not concerned.
    assert services.complainant_open(code=filed.receipt_code,
                                     origin=Origin(ip_address="198.51.100.77"),
                                     terminal="other").pk == filed.complaint.pk


def test_the_api_counts_a_client_without_a_cookie_by_its_address(client, file_complaint,
                                                                  facility_a):
    filed = file_complaint(facility=facility_a)
    statuses = [client.post("/api/complaints/status", {"code": wrong_code(n)},
                            content_type="application/json", REMOTE_ADDR=NAT).status_code
                for n in range(rules.RECEIPT_FAILURE_LIMIT + 1)]
    assert statuses == [403] * rules.RECEIPT_FAILURE_LIMIT + [429]
    # A browser of the same address, with its own terminal, still gets in.
    assert try_code(browser(), filed.receipt_code) == 200
    # Nothing identifying is kept: keyed hashes only.
    assert not ReceiptAttempt.objects.filter(address_key__contains="203.0").exists()
