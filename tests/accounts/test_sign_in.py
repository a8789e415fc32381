from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodywatch.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def post_login(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR="10.1.2.3")


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_pages_need_sign_in(client):
    response = client.get(reverse("registry:facility_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_password_alone_leads_to_two_factor_setup(client, people):
    response = post_login(client, "head_a")
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_setup")


def test_two_factor_enrolment_then_access(client, people):
    post_login(client, "head_a")
    page = client.get(reverse("accounts:otp_setup"))
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=people["head_a"], confirmed=False)
    wrong = client.post(reverse("accounts:otp_setup"), {"code": "000000"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    # A failure throttles the next try (tested below); lift it so the right code can follow.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    response = client.post(reverse("accounts:otp_setup"), {"code": current_code(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("home")).status_code == 200


def test_enrolled_user_must_enter_a_code(client, people):
    device = TOTPDevice.objects.create(user=people["gpo"], name="phone", confirmed=True)
    post_login(client, "gpo")
    response = client.get(reverse("registry:facility_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    bad = client.post(reverse("accounts:otp_verify"), {"code": "123456", "next": "/"})
    assert bad.status_code == 200
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    good = client.post(reverse("accounts:otp_verify"),
                       {"code": current_code(device), "next": "/registry/facilities/"})
    assert good.status_code == 302 and good["Location"] == "/registry/facilities/"
    assert client.get(reverse("registry:facility_list")).status_code == 200
    assert AuditEvent.objects.filter(actor=people["gpo"], action=AuditEvent.Action.LOGIN,
                                     detail__second_factor=True).exists()


def test_a_wrong_code_throttles_the_next_attempt(client, people):
    device = TOTPDevice.objects.create(user=people["gpo"], name="phone", confirmed=True)
    post_login(client, "gpo")
    client.post(reverse("accounts:otp_verify"), {"code": "000000"})
    response = client.post(reverse("accounts:otp_verify"), {"code": current_code(device)})
    assert response.status_code == 200  # refused although right: guessing is slowed down
    assert client.get(reverse("home")).status_code == 302


def test_two_factor_optional_when_switched_off(client, people, settings):
    settings.CUSTODYWATCH_REQUIRE_2FA = False
    post_login(client, "analyst")
    assert client.get(reverse("home")).status_code == 200


def test_open_redirect_is_refused(client, people):
    device = TOTPDevice.objects.create(user=people["gpo"], name="phone", confirmed=True)
    post_login(client, "gpo")
    response = client.post(reverse("accounts:otp_verify"),
                           {"code": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_sign_in_and_failure_are_audited_with_address(client, people):
    post_login(client, "head_a", "wrong password")
    failed = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert failed.object_label == "head_a" and failed.ip_address == "10.1.2.3"
    post_login(client, "head_a")
    assert AuditEvent.objects.filter(actor=people["head_a"], action=AuditEvent.Action.LOGIN,
                                     ip_address="10.1.2.3").exists()


def test_lock_out_after_five_failures(client, people):
    for _attempt in range(5):
        post_login(client, "head_a", "wrong password")
    response = post_login(client, "head_a")  # even the right password is refused now
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_machine_accounts_cannot_use_the_web_sign_in(client, people):
    people["agent_a"].set_password(PASSWORD)
    people["agent_a"].save()
    response = post_login(client, "agent_a")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_security_headers(client):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_times_follow_the_users_time_zone(signed_in, people):
    user = people["gpo"]
    user.time_zone = "Europe/Moscow"
    user.save()
    response = signed_in(user).get(reverse("accounts:audit_trail"))
    assert b"Europe/Moscow" in response.content


def test_preferences_change_time_zone_and_language(signed_in, people):
    client = signed_in(people["analyst"])
    response = client.post(reverse("accounts:preferences"),
                           {"time_zone": "Asia/Aqtobe", "language": "kk"})
    assert response.status_code == 302
    people["analyst"].refresh_from_db()
    assert (people["analyst"].time_zone, people["analyst"].language) == ("Asia/Aqtobe", "kk")
    assert response.cookies["django_language"].value == "kk"
    bad = client.post(reverse("accounts:preferences"), {"time_zone": "Mars/Base", "language": "kk"})
    assert bad.status_code == 200
    people["analyst"].refresh_from_db()
    assert people["analyst"].time_zone == "Asia/Aqtobe"
