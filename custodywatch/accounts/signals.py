"""Django raises these from authenticate()/login()/logout(), the only place that sees them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from custodywatch.accounts import services
from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin


def _origin(request: HttpRequest | None) -> Origin:
    return Origin.from_request(request) if request is not None else SYSTEM_ORIGIN


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    services.sign_in_record(user=user, origin=_origin(request), second_factor=False)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    services.sign_in_failed_record(
        username=str(credentials.get("username", "")), origin=_origin(request)
    )


@receiver(user_logged_out)
def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.sign_out_record(user=user, origin=_origin(request))
