"""Complaint text, accused officers and attachment files sealed at rest (issue 17, item 10).

Adds the sealed columns and the blind search index, seals every existing row and every stored
attachment file in place (a file already sealed is left alone, so a rerun is harmless), then
drops the clear-text columns; marks the attachments that came with the complaint itself (their
hashes are in its proof of filing, which ``ledger verify`` re-derives). Reversible: going back
opens them again.
"""

from __future__ import annotations

import os

from django.core.files.base import ContentFile
from django.db import migrations, models

from custodywatch.complaints.models import accused_context, search_index, text_context
from custodywatch.core.sealing import MAGIC, seal, unseal

ATTACHMENT = "complaints.attachment:{}"


def _replace(storage, name: str, content: bytes) -> None:
    """Write ``content`` under ``name``: aside and renamed where the storage is a folder."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        storage.delete(name)
        storage.save(name, ContentFile(content))
        return
    temporary = f"{path}.sealing"
    with open(temporary, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def seal_rows(apps, schema_editor) -> None:
    from django.core.files.storage import default_storage

    Complaint = apps.get_model("complaints", "Complaint")
    for complaint in Complaint.objects.only("pk", "text", "accused_officers").iterator(
            chunk_size=500):
        complaint.text_sealed = seal(complaint.text.encode(), context=text_context(complaint.pk))
        complaint.accused_sealed = seal(complaint.accused_officers.encode(),
                                        context=accused_context(complaint.pk)) \
            if complaint.accused_officers else None
        complaint.search_index = search_index(complaint.text, complaint.accused_officers)
        complaint.save(update_fields=["text_sealed", "accused_sealed", "search_index"])
    Attachment = apps.get_model("complaints", "Attachment")
    done: set[str] = set()
    for name, sha256 in Attachment.objects.values_list("file", "sha256").distinct():
        if name in done or not default_storage.exists(name):
            continue
        with default_storage.open(name, "rb") as handle:
            stored = handle.read()
        if not stored.startswith(MAGIC):
            _replace(default_storage, name, seal(stored, context=ATTACHMENT.format(sha256)))
        done.add(name)


def mark_intake_attachments(apps, schema_editor) -> None:
    """Files sent before the complainant's first reply came with the complaint itself."""
    Attachment = apps.get_model("complaints", "Attachment")
    Message = apps.get_model("complaints", "Message")
    first_reply = {}
    for complaint_id, sent_at in Message.objects.filter(sender="complainant").order_by(
            "-sent_at").values_list("complaint_id", "sent_at"):
        first_reply[complaint_id] = sent_at
    for attachment in Attachment.objects.filter(from_complainant=True).only(
            "pk", "complaint_id", "added_at"):
        reply = first_reply.get(attachment.complaint_id)
        if reply is None or attachment.added_at < reply:
            Attachment.objects.filter(pk=attachment.pk).update(at_intake=True)


def open_rows(apps, schema_editor) -> None:
    from django.core.files.storage import default_storage

    Complaint = apps.get_model("complaints", "Complaint")
    for complaint in Complaint.objects.iterator(chunk_size=500):
        complaint.text = unseal(bytes(complaint.text_sealed), context=text_context(
            complaint.pk)).decode() if complaint.text_sealed else ""
        complaint.accused_officers = unseal(bytes(complaint.accused_sealed), context=(
            accused_context(complaint.pk))).decode() if complaint.accused_sealed else ""
        complaint.save(update_fields=["text", "accused_officers"])
    Attachment = apps.get_model("complaints", "Attachment")
    for name, sha256 in Attachment.objects.values_list("file", "sha256").distinct():
        if not default_storage.exists(name):
            continue
        with default_storage.open(name, "rb") as handle:
            stored = handle.read()
        if stored.startswith(MAGIC):
            _replace(default_storage, name, unseal(stored, context=ATTACHMENT.format(sha256)))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0008_receipt_attempt_terminal_and_code")]

    operations = [
        migrations.AddField(
            model_name="complaint", name="text_sealed",
            field=models.BinaryField(blank=True, editable=False, null=True,
                                     verbose_name="complaint (sealed)")),
        migrations.AddField(
            model_name="complaint", name="accused_sealed",
            field=models.BinaryField(blank=True, editable=False, null=True,
                                     verbose_name="officers accused (sealed)")),
        migrations.AddField(
            model_name="complaint", name="search_index",
            field=models.TextField(blank=True, default="", editable=False)),
        migrations.AlterField(
            model_name="complaint", name="text",
            field=models.TextField(blank=True, default="", verbose_name="complaint")),
        migrations.AddField(
            model_name="attachment", name="at_intake",
            field=models.BooleanField(default=False, editable=False)),
        migrations.RunPython(mark_intake_attachments, migrations.RunPython.noop),
        migrations.RunPython(seal_rows, open_rows),
        migrations.RemoveField(model_name="complaint", name="text"),
        migrations.RemoveField(model_name="complaint", name="accused_officers"),
    ]
