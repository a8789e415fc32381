"""Django raises these from authenticate()/login()/logout(), the only place that sees them;
and core's stored-file alert, which needs to know who the administrators are."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from custodywatch.accounts import services
from custodywatch.accounts.audit import SYSTEM_ORIGIN, Origin
from custodywatch.accounts.models import Role, User
from custodywatch.core.mail import mail_queue
from custodywatch.core.stored_files import stored_file_damaged

logger = logging.getLogger(__name__)


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


@receiver(stored_file_damaged)
def on_stored_file_damaged(sender: Any, object_type: str, object_id: str, name: str,
                           problem: str, **kwargs: Any) -> None:
    """E-mail the active system administrators (with an address) about a damaged file."""
    addresses = list(User.objects.filter(role=Role.SYSTEM_ADMIN, is_active=True)
                     .exclude(email="").values_list("email", flat=True))
    if not addresses:
        return
    # Queued with the alert (core.mail: retried until the mail server takes it).
    mail_queue(subject=f"CustodyWatch: a stored file is {problem}",
               body=f"{object_type} {object_id}: the stored file {name} is {problem}. It is "
               "refused to every reader until the genuine file is stored again "
               "(custodywatch evidence check-files).", to=addresses)
