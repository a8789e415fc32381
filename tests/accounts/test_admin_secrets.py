"""Issue 17, item 7: the admin never shows a TOTP secret or QR code, and every admin read
(list, object, history, delete confirmation) of every registered model is audited."""

from __future__ import annotations

import base64

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodywatch.accounts.admin_audit import AuditedAdmin
from custodywatch.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def _key_forms(device: TOTPDevice) -> list[bytes]:
    b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return [device.key.encode(), b32.encode(), b32.lower().encode(), b"otpauth://"]


def test_the_admin_shows_no_totp_secret_or_qr_code(signed_in, people):
    victim = TOTPDevice.objects.create(user=people["gpo"], name="phone", confirmed=True)
    client = signed_in(people["admin"])
    base = "/admin/otp_totp/totpdevice/"
    pages = [base, f"{base}{victim.pk}/change/", f"{base}{victim.pk}/history/",
             f"{base}{victim.pk}/delete/", f"{base}add/",
             f"/admin/accounts/user/{people['gpo'].pk}/change/"]
    for path in pages:
        response = client.get(path, follow=True)
        for secret in _key_forms(victim):
            assert secret not in response.content, (path, secret)
        assert b"qrcode" not in response.content.lower(), path
    # django-otp's own configuration and QR pages are gone, not merely hidden.
    for suffix in ("config", "qrcode"):
        response = client.get(f"{base}{victim.pk}/{suffix}/", follow=True)
        assert response.get("Content-Type", "").startswith("text/html")
        for secret in _key_forms(victim):
            assert secret not in response.content, suffix
    # Nor can the admin set a key: adding and changing a device are refused.
    assert client.post(f"{base}add/", {"user": people["gpo"].pk, "name": "x",
                                       "key": "00" * 20}).status_code == 403
    assert TOTPDevice.objects.filter(user=people["gpo"]).count() == 1


def test_every_admin_registration_is_audited():
    plain = [model._meta.label for model, model_admin in admin.site._registry.items()
             if not isinstance(model_admin, AuditedAdmin)]
    assert plain == []


def test_every_admin_list_and_object_read_reaches_the_audit_trail(signed_in, people):
    TOTPDevice.objects.create(user=people["gpo"], name="phone", confirmed=True)
    client = signed_in(people["admin"])
    unaudited = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        listed = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert listed.status_code == 200, opts.label
        if not AuditEvent.objects.filter(action=AuditEvent.Action.LIST,
                                         object_type=opts.label_lower,
                                         detail__via="admin").exists():
            unaudited.append(f"list {opts.label}")
        obj = model_admin.get_queryset(listed.wsgi_request).first()
        if obj is None:
            continue
        for page in ("change", "history"):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}", args=[obj.pk])
            assert client.get(url).status_code == 200, url
            if not AuditEvent.objects.filter(action=AuditEvent.Action.READ,
                                             object_type=opts.label_lower,
                                             object_id=str(obj.pk), detail__via="admin",
                                             detail__message=page).exists():
                unaudited.append(f"{page} {opts.label}")
    assert unaudited == []
