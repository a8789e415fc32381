"""Issue 17, items 1 and 2: the password alone never reaches past the second factor.

Each test plays the attacker (or the owner) through the real pages with real TOTP codes,
computed from the key the page shows or the device holds, as an authenticator app would.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodywatch.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
SECRET_ON_PAGE = re.compile(rb'data-testid="totp-secret">([A-Z2-7]+)<')


def app_code(key: bytes, *, step: int = 30, digits: int = 6) -> str:
    """What an authenticator app shows for this key now (RFC 6238)."""
    return f"{totp(key, step=step, digits=digits):0{digits}d}"


def key_from_page(content: bytes) -> bytes:
    found = SECRET_ON_PAGE.search(content)
    assert found is not None, "no TOTP key on the enrolment page"
    text = found.group(1).decode()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def password_only(username: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"),
                           {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


def owner_device(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=user, name="owner's phone", confirmed=True)


def is_fully_signed_in(client: Client) -> bool:
    web = client.get(reverse("registry:facility_list"))
    api = client.get("/api/registry/regions")
    return web.status_code == 200 or api.status_code == 200


def test_the_password_alone_cannot_take_over_a_confirmed_second_factor(people):
    """The review's attack: open enrolment with the password, confirm a new device with a
    code computed from the key it shows, and so replace the owner's device."""
    owner = owner_device(people["gpo"])
    attacker = password_only("gpo")
    page = attacker.get(reverse("accounts:otp_setup"))
    if page.status_code == 200:  # today's code hands out a new key: follow the attack through
        code = app_code(key_from_page(page.content))
        attacker.post(reverse("accounts:otp_setup"), {"code": code})
    else:
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("accounts:otp_verify"))
        assert not SECRET_ON_PAGE.search(page.content)
    assert TOTPDevice.objects.filter(pk=owner.pk, confirmed=True).exists()
    assert list(TOTPDevice.objects.filter(user=people["gpo"])) == [owner]
    assert not is_fully_signed_in(attacker)
    assert attacker.get("/api/registry/regions").status_code == 401


def test_a_pending_enrolment_cannot_be_confirmed_once_a_device_exists(people):
    """A race: enrolment opened before the owner confirmed a device elsewhere. Confirming it
    with the password alone is refused by the service too, and the refusal is audited."""
    user = people["gpo"]
    attacker = password_only("gpo")
    pending = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    session = attacker.session
    session["custodywatch_totp_setup_device"] = pending.pk
    session.save()
    owner = owner_device(user)
    response = attacker.post(reverse("accounts:otp_setup"), {"code": app_code(pending.bin_key)})
    assert response.status_code in (302, 403)
    assert TOTPDevice.objects.filter(pk=owner.pk, confirmed=True).exists()
    assert not TOTPDevice.objects.get(pk=pending.pk).confirmed
    assert not is_fully_signed_in(attacker)


def test_the_service_refuses_a_replacement_without_the_second_factor(people):
    from django.core.exceptions import PermissionDenied

    from custodywatch.accounts import services
    from custodywatch.accounts.audit import SYSTEM_ORIGIN

    user = people["gpo"]
    owner = owner_device(user)
    new = TOTPDevice.objects.create(user=user, name="new", confirmed=False)
    with pytest.raises(PermissionDenied):
        services.totp_device_confirm(user=user, origin=SYSTEM_ORIGIN, device=new,
                                     session_verified=False)
    assert TOTPDevice.objects.filter(pk=owner.pk).exists()
    assert AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.DENIED,
                                     detail__two_factor__startswith="enrolment").exists()


def test_after_the_second_factor_the_owner_replaces_his_device(people):
    owner = owner_device(people["gpo"])
    client = password_only("gpo")
    verified = client.post(reverse("accounts:otp_verify"),
                           {"code": app_code(owner.bin_key), "next": "/"})
    assert verified.status_code == 302
    page = client.get(reverse("accounts:otp_setup"))
    assert page.status_code == 200
    new_key = key_from_page(page.content)
    confirmed = client.post(reverse("accounts:otp_setup"), {"code": app_code(new_key)})
    assert confirmed.status_code == 302
    devices = list(TOTPDevice.objects.filter(user=people["gpo"]))
    assert [(d.bin_key, d.confirmed) for d in devices] == [(new_key, True)]
    assert is_fully_signed_in(client)


def test_a_first_device_is_enrolled_after_the_password(people):
    """Nothing to take over yet: the first enrolment needs the password only."""
    client = password_only("analyst")
    page = client.get(reverse("accounts:otp_setup"))
    assert page.status_code == 200
    assert not is_fully_signed_in(client)
    client.post(reverse("accounts:otp_setup"), {"code": app_code(key_from_page(page.content))})
    assert TOTPDevice.objects.filter(user=people["analyst"], confirmed=True).count() == 1
    assert is_fully_signed_in(client)


def test_an_enrolment_key_is_made_once_per_session_through_the_service_and_audited(people):
    """The key the setup page shows is written by accounts.services (audited), once: the page
    shown again in the same session shows the same key and writes no second device."""
    client = password_only("analyst")
    first = key_from_page(client.get(reverse("accounts:otp_setup")).content)
    again = key_from_page(client.get(reverse("accounts:otp_setup")).content)
    assert first == again
    device = TOTPDevice.objects.get(user=people["analyst"])
    assert not device.confirmed
    started = AuditEvent.objects.filter(actor=people["analyst"], action=AuditEvent.Action.CREATE,
                                        detail__two_factor="totp enrolment started")
    assert [event.detail["device"] for event in started] == [device.pk]


# Every kind of page a half-signed-in session might try; each must send it to the code page.
GATED = ["/", "/accounts/audit/", "/accounts/preferences/", "/registry/facilities/",
         "/complaints/", "/admin/", "/admin/accounts/user/", "/ledger/"]


@pytest.mark.parametrize("path", GATED)
def test_a_half_signed_in_session_reaches_only_the_second_factor(people, path):
    owner_device(people["gpo"])
    client = password_only("gpo")
    response = client.get(path)
    assert response.status_code == 302, path
    assert response["Location"].startswith(reverse("accounts:otp_verify")), path


@pytest.mark.parametrize("path", ["/accounts/audit/", "/accounts/preferences/", "/"])
def test_without_a_device_the_half_session_goes_to_enrolment(people, path):
    client = password_only("analyst")
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:otp_setup")


def test_what_a_half_signed_in_session_may_reach(people):
    owner_device(people["gpo"])
    client = password_only("gpo")
    assert client.get(reverse("accounts:otp_verify")).status_code == 200
    assert client.post("/accounts/preferences/",
                       {"time_zone": "Asia/Aqtobe", "language": "kk"}).status_code == 302
    people["gpo"].refresh_from_db()
    assert people["gpo"].time_zone == "Asia/Almaty"  # the POST changed nothing
    for api_path in ("/api/registry/regions", "/api/complaints/", "/api/ledger/leaves"):
        assert client.get(api_path).status_code == 401, api_path
    signed_out = client.post(reverse("accounts:logout"))
    assert signed_out.status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_administrator_resets_a_lost_device_with_an_audit_event(client, people):
    from tests.conftest import sign_in

    lost = owner_device(people["gpo"])
    sign_in(client, people["admin"])
    response = client.post("/admin/accounts/user/", {
        "action": "reset_second_factor", "_selected_action": [people["gpo"].pk]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()
    assert AuditEvent.objects.filter(actor=people["admin"], object_id=str(people["gpo"].pk),
                                     detail__two_factor="reset by administrator").exists()
    # The person enrols again on the next sign-in.
    assert password_only("gpo").get(reverse("accounts:otp_setup")).status_code == 200
