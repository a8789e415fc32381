from __future__ import annotations

import base64

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodywatch.accounts import selectors, services
from custodywatch.accounts.forms import OneTimeCodeForm, PreferencesForm, SignInForm
from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.accounts.middleware import second_factor_passed

SETUP_DEVICE_SESSION_KEY = "custodywatch_totp_setup_device"


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


def _safe_next(request: Request, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: AuthedRequest) -> HttpResponse:
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices_for_user(request.user):
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                services.sign_in_record(
                    user=request.user, origin=request.origin, second_factor=True
                )
                return redirect(_safe_next(request))
        form.add_error("code", _("This code is not valid. Check your device's clock and retry."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: AuthedRequest) -> HttpResponse:
    """Enrolment: the first device after the password, or another one only after the second
    factor has been passed with the device it replaces (an administrator's reset otherwise)."""
    if user_has_device(request.user) and not second_factor_passed(request.user):
        return redirect(f"{reverse('accounts:otp_verify')}?next={request.path}")
    device = TOTPDevice.objects.filter(
        pk=request.session.get(SETUP_DEVICE_SESSION_KEY), user=request.user, confirmed=False
    ).first()
    if device is None:
        device = services.totp_device_start(user=request.user, origin=request.origin)
        request.session[SETUP_DEVICE_SESSION_KEY] = device.pk
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            services.totp_device_confirm(
                user=request.user, origin=request.origin, device=device,
                session_verified=second_factor_passed(request.user),
            )
            otp_login(request, device)
            del request.session[SETUP_DEVICE_SESSION_KEY]
            messages.success(request, _("Two-factor sign-in is on for your account."))
            return redirect("home")
        form.add_error("code", _("This code is not valid. Check your device's clock and retry."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#1d2b3a")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request, "accounts/otp_setup.html", {"form": form, "qr_svg": qr_svg, "secret": secret}
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={"time_zone": user.time_zone, "language": user.language or request.LANGUAGE_CODE},
    )
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        services.user_preferences_update(
            user=user,
            origin=request.origin,
            time_zone=form.cleaned_data["time_zone"],
            language=language,
        )
        with override(language):
            messages.success(request, _("Your preferences are saved."))
        response = redirect("accounts:preferences")
        response.set_cookie("django_language", language, samesite="Lax")
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
def audit_trail(request: AuthedRequest) -> HttpResponse:
    page = selectors.audit_event_page(
        user=request.user, origin=request.origin,
        page_number=request.GET.get("page", 1), object_type=request.GET.get("type", ""),
    )
    template = "accounts/audit_trail.html#results" if request.htmx else "accounts/audit_trail.html"
    return render(request, template, {"page": page, "object_type": request.GET.get("type", "")})
