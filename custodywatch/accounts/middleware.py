"""Security headers, the second-factor gate, the public-only gate, each person's time zone,
and where each request came from (`request.origin`, for the audit trail)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import user_has_device

from custodywatch.accounts.audit import Origin
from custodywatch.accounts.capabilities import Capability, has_capability

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
        request.origin = Origin.from_request(request)  # type: ignore[attr-defined]  # accounts.http
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


def second_factor_passed(user: object) -> bool:
    """Whether the session of the request's user passed its second factor."""
    return bool(user.is_verified())  # type: ignore[attr-defined]  # django-otp's middleware adds it


def needs_second_factor(user: object) -> bool:
    """A signed-in person whose session has not passed the second factor it needs."""
    return bool(
        getattr(user, "is_authenticated", False)
        and not second_factor_passed(user)
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


# What a person who signs in on the web but reads nothing in any scope (a registered NGO:
# SIGN_IN_ON_WEB without READ_IN_SCOPE) may reach: the public pages, his dashboard, the
# comment on a public recommendation, and his account's own pages. Every other page answers
# 403 before its view runs, so no page added later can show such a person what is not public.
PUBLIC_ONLY_NAMES = frozenset({
    # Open to anyone (tests/test_authorization_matrix.py checks each "public" route is here).
    "health", "metrics", "set_language", "javascript-catalog", "complaints:intake",
    "complaints:status", "complaints:status_reply", "complaints:kiosk", "complaints:kiosk_form",
    "complaints:kiosk_status", "complaints:kiosk_queue", "complaints:kiosk_sw",
    "complaints:terminal_enrol", "complaints:terminal_heartbeat", "liveview:open",
    "liveview:code", "liveview:watch", "reports:open_data", "reports:open_data_download",
    "reports:open_data_releases", "reports:open_data_release_file",
    "visits:public_recommendations", "complaints:rights", "complaints:kiosk_rights",
    "liveview:watch_request_new",
    # Its own: the dashboard and the comment.
    "home", "visits:recommendation_comment",
})
PUBLIC_ONLY_NAMESPACES = frozenset({"accounts"})
PUBLIC_ONLY_PREFIXES = ("/static/", "/i18n/")


# Pages that a person who reads no scope reaches by a capability of his own (issue 22 item 8):
# the lawyer's and the hotline operator's questions, one at a time; every other page of a scope
# is refused him, so his menu holds only what answers him.
CAPABILITY_PAGES: dict[Capability, frozenset[str]] = {
    Capability.LOOKUP_WHEREABOUTS_AS_LAWYER: frozenset({"custody:whereabouts"}),
    Capability.CHECK_RELATIVE_IDENTITY: frozenset({
        "custody:whereabouts_operator", "custody:whereabouts_relative"}),
}


def reads_public_only(user: object) -> bool:
    """A person who reads nothing of any scope: a registered NGO, a lawyer, a hotline operator
    (no READ_IN_SCOPE). Machines are not persons: their tokens reach the API only."""
    return bool(getattr(user, "is_authenticated", False)
                and has_capability(user, Capability.SIGN_IN_ON_WEB)
                and not has_capability(user, Capability.READ_IN_SCOPE))


def pages_of_own(user: object) -> frozenset[str]:
    """The route names a person who reads no scope reaches beyond the public pages."""
    return frozenset().union(*(names for capability, names in CAPABILITY_PAGES.items()
                               if has_capability(user, capability)))


class PublicOnlyMiddleware:
    """A signed-in person who reads nothing in any scope reaches the public pages and the
    pages of his own capabilities only."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if reads_public_only(request.user) and not self._open(request):
            return HttpResponseForbidden(_("This page is not public."))
        return self.get_response(request)

    @staticmethod
    def _open(request: HttpRequest) -> bool:
        path = request.path_info
        if path.startswith(PUBLIC_ONLY_PREFIXES):
            return True
        try:
            match = resolve(path)
        except Resolver404:
            return True  # the 404 says nothing
        return (match.namespace in PUBLIC_ONLY_NAMESPACES or match.view_name in PUBLIC_ONLY_NAMES
                or match.view_name in pages_of_own(request.user))


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
