"""Security headers, the second-factor gate, each person's time zone, and where each request
came from (`request.origin`, for the audit trail)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import user_has_device

from custodywatch.accounts.audit import Origin

Handler = Callable[[HttpRequest], HttpResponse]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


class OriginMiddleware:
    """Sets `request.origin` once (issue 26 item 3): every view and API operation passes it to
    the services and selectors that audit. `Origin.from_request` stays for callers that are
    handed a request outside the middleware (signals of django.contrib.auth and django-axes)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.origin = Origin.from_request(request)  # type: ignore[attr-defined]
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Pages for signed-in people hold personal data: never keep them in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


# What a person who has passed the password step only may reach: the second-factor steps,
# the sign-out, static files and the language switch. The API answers such a session 401 by
# itself (api.VerifiedSession); bearer-token requests carry no session and are not gated here.
HALF_SIGNED_IN_PATHS = frozenset({"/i18n/setlang/"})
HALF_SIGNED_IN_PREFIXES = ("/static/", "/api/")


def needs_second_factor(user: object) -> bool:
    """A signed-in person whose session has not passed the second factor it needs."""
    return bool(
        getattr(user, "is_authenticated", False)
        and not user.is_verified()  # type: ignore[attr-defined]
        and (settings.CUSTODYWATCH_REQUIRE_2FA or user_has_device(user))
    )


class TwoFactorMiddleware:
    """A session that passed the password alone reaches the second-factor step and nothing
    else: with a confirmed device, the code page; without one (and 2FA required), enrolment."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if needs_second_factor(request.user) and not self._open(request):
            if user_has_device(request.user):
                return redirect(f"{reverse('accounts:otp_verify')}?next={request.path}")
            return redirect(reverse("accounts:otp_setup"))
        return self.get_response(request)

    @staticmethod
    def _open(request: HttpRequest) -> bool:
        path = request.path
        if path in HALF_SIGNED_IN_PATHS or path.startswith(HALF_SIGNED_IN_PREFIXES):
            return True
        if path == reverse("accounts:logout") or path == reverse("accounts:otp_verify"):
            return True
        # Enrolment only for someone with no confirmed device: otherwise the password alone
        # would replace the second factor (issue 17, item 1).
        return path == reverse("accounts:otp_setup") and not user_has_device(request.user)


class UserTimezoneMiddleware:
    """Dates are shown in the person's own time zone (Asia/Almaty unless they chose another)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        name = getattr(user, "time_zone", "") or settings.TIME_ZONE
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
