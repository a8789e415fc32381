"""The request as views and API operations see it, for the type checker: what the middlewares
and the authentication add to Django's HttpRequest. Nothing here runs: annotate a view's
`request` with `AuthedRequest` behind `login_required` or the API's authentication, with
`Request` where anyone may come."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    from custodywatch.accounts.audit import Origin
    from custodywatch.accounts.models import MachineToken, User


class Request(HttpRequest):
    origin: Origin  # accounts.middleware.OriginMiddleware
    htmx: HtmxDetails  # django_htmx.middleware.HtmxMiddleware
    request_id: str  # core.request_id
    machine_token: MachineToken | None  # api.BearerToken / api.VerifiedSession, API only
    user: User | AnonymousUser


class AuthedRequest(Request):
    """Behind `login_required` or the API's authentication: a signed-in user."""

    user: User
