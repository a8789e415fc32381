"""E-mail as background tasks that retry: nothing waits on the mail server in a request or a
sweep, and a mail server that is down delays a message, never loses it.

``mail_queue(...)`` writes one ``mail_send`` task (django-tasks, database backend). The task's
row is written in the caller's transaction: it exists exactly when the caller's change commits
(an alert marked e-mailed or escalated, a complaint marked alerted) and never when it rolls back,
and the worker sees it only once the change is committed. ``custodywatch worker`` runs it; a
send that fails queues the next try later (``retry_delay``), up to ``MAX_ATTEMPTS``.

Subjects and bodies are rendered when queued, in the language of the moment (a caller that
writes per recipient overrides it), so the task carries plain strings only.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable

from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger("custodywatch.mail")

# Tried this many times in all: with the delays below, about three days of mail server outage.
MAX_ATTEMPTS = 80
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)


def retry_delay(attempt: int) -> dt.timedelta:
    """The wait after failed try number ``attempt`` (1, 2, 4, ... minutes, at most an hour)."""
    return min(FIRST_RETRY * 2 ** min(attempt - 1, 12), LONGEST_RETRY)


def mail_queue(*, subject: str, body: str, to: Iterable[str]) -> bool:
    """Queue one e-mail to the given addresses (blank ones dropped); False if none is left."""
    addresses = sorted({address for address in to if address})
    if not addresses:
        return False
    mail_send.enqueue(subject=subject, body=body, to=addresses, attempt=1)
    return True


@task()
def mail_send(*, subject: str, body: str, to: list[str], attempt: int = 1) -> dict[str, int]:
    """Send one e-mail; on a mail server error, queue the next try and report it."""
    try:
        send_mail(subject, body, None, to, fail_silently=False)
    except (OSError, smtplib.SMTPException) as error:
        if attempt >= MAX_ATTEMPTS:
            logger.error("e-mail %r to %d address(es): try %d failed, giving up: %s",
                         subject, len(to), attempt, error)
            raise
        delay = retry_delay(attempt)
        logger.warning("e-mail %r to %d address(es): try %d failed (%s); next try in %s",
                       subject, len(to), attempt, error, delay)
        mail_send.using(run_after=timezone.now() + delay).enqueue(
            subject=subject, body=body, to=to, attempt=attempt + 1)
        return {"sent": 0, "attempt": attempt, "next_attempt": attempt + 1}
    return {"sent": 1, "attempt": attempt}
