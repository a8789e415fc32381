"""Messages between the handler and the complainant."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.complaints import rules
from custodywatch.complaints import timeline_text as words
from custodywatch.complaints.attachments import (
    check_attachments,
)
from custodywatch.complaints.models import (
    Complaint,
    Message,
    Status,
    TimelineEvent,
)
from custodywatch.complaints.services._common import COMPLAINANT_LABEL, _require_handler, _timeline
from custodywatch.complaints.services.filing import _remove_written, _store_attachments


def message_send_official(*, acting_user: User, origin: Origin, complaint: Complaint, body: str,
                          is_question: bool = False, answer: bool = False) -> Message:
    """A message to the complainant; a question waits for them, an answer ends the clock."""
    _require_handler(acting_user, origin, complaint)
    if not body.strip():
        raise ValidationError({"body": _("Write the message.")})
    if not complaint.is_open and not answer:
        raise ValidationError({"body": _("This complaint is closed.")})
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(complaint=complaint, sender=Message.Sender.OFFICIAL,
                                         author=acting_user, body=body.strip(),
                                         is_question=is_question, sent_at=now)
        fields = ["status"]
        if complaint.handler_id is None:
            complaint.handler = acting_user
            fields.append("handler")
        if complaint.registered_at is None:
            complaint.registered_at = now
            fields.append("registered_at")
        if answer:
            complaint.status, complaint.answered_at = Status.ANSWERED, now
            fields.append("answered_at")
            _timeline(complaint, TimelineEvent.Kind.ANSWERED, now, acting_user)
        else:
            complaint.status = (Status.AWAITING_COMPLAINANT if is_question
                                else Status.REGISTERED)
            _timeline(complaint, TimelineEvent.Kind.MESSAGE, now, acting_user,
                      parts=[words.text(gettext_noop("question"))] if is_question else [])
        complaint.save(update_fields=fields)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=message, object_label=complaint.reference,
                     detail={"question": is_question, "answer": answer})
    return message


def complainant_reply(*, complaint: Complaint, origin: Origin, body: str,
                      attachments: list[UploadedFile[bytes]] | None = None) -> Message:
    """The complainant answers or adds information (the caller opened it with the code)."""
    if not body.strip():
        raise ValidationError({"body": _("Write the message.")})
    if len(body) > rules.MAX_TEXT_CHARS:
        raise ValidationError({"body": _("At most %(count)s characters.")
                               % {"count": rules.MAX_TEXT_CHARS}})
    if complaint.status == Status.CLOSED:
        raise ValidationError({"body": _("This complaint is closed.")})
    checked = check_attachments(list(attachments or []))
    now = timezone.now()
    written: list[str] = []
    try:
        with transaction.atomic():
            message = Message.objects.create(complaint=complaint,
                                             sender=Message.Sender.COMPLAINANT,
                                             body=body.strip(), sent_at=now)
            _store_attachments(complaint, checked, written, from_complainant=True)
            if complaint.status == Status.AWAITING_COMPLAINANT:
                complaint.status = Status.REGISTERED
                complaint.save(update_fields=["status"])
            _timeline(complaint, TimelineEvent.Kind.MESSAGE, now, None,
                      parts=[words.text(gettext_noop("from the complainant"))])
            audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=message, object_label=complaint.reference,
                         detail={"by": COMPLAINANT_LABEL, "attachments": len(checked)})
    except BaseException:
        _remove_written(written)
        raise
    return message
