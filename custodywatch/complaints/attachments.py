"""Attachments: checked by their first bytes, hashed, and stored sealed (core.sealing).

A stored file is the sealed bytes of the upload (envelope encryption, the context naming its
SHA-256): a copied media folder alone shows no injury photo. Its name is still the upload's
SHA-256 (content-addressed, one copy of a file sent twice).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from custodywatch.complaints.rules import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from custodywatch.core import stored_files
from custodywatch.core.sealing import MAGIC, SealingError, seal, unseal

if TYPE_CHECKING:
    from custodywatch.complaints.models import Attachment

CHUNK = 256 * 1024


@dataclass(frozen=True)
class MediaType:
    name: str
    label: str


def sniff(head: bytes) -> MediaType | None:
    """The media type from a file's first bytes; None for anything not accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType("image/jpeg", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType("image/png", "PNG")
    if head.startswith(b"%PDF-"):
        return MediaType("application/pdf", "PDF")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return MediaType("video/mp4", "MP4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MediaType("video/webm", "WebM")
    return None


ACCEPTED_LABELS = "JPEG, PNG, PDF, MP4, WebM"


@dataclass(frozen=True)
class CheckedAttachment:
    upload: UploadedFile
    media_type: str
    size: int
    sha256: str
    original_name: str


def check_attachments(uploads: list[UploadedFile], *, field: str = "attachments"
                      ) -> list[CheckedAttachment]:
    """Every upload checked and hashed before anything is written; one error names them all."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError({field: _("At most %(count)s files.") % {"count": MAX_ATTACHMENTS}})
    errors = []
    checked = []
    for upload in uploads:
        name = (upload.name or "file")[-200:]
        if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
            errors.append(_("%(name)s is %(size)s; the limit is %(limit)s.") % {
                "name": name, "size": filesizeformat(upload.size),
                "limit": filesizeformat(MAX_ATTACHMENT_BYTES)})
            continue
        upload.seek(0)
        media = sniff(upload.read(16))
        if media is None:
            errors.append(_("%(name)s is not an accepted type (%(types)s).") % {
                "name": name, "types": ACCEPTED_LABELS})
            continue
        upload.seek(0)
        digest = hashlib.sha256()
        size = 0
        for chunk in upload.chunks(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        if size > MAX_ATTACHMENT_BYTES:
            errors.append(_("%(name)s is %(size)s; the limit is %(limit)s.") % {
                "name": name, "size": filesizeformat(size),
                "limit": filesizeformat(MAX_ATTACHMENT_BYTES)})
            continue
        upload.seek(0)
        checked.append(CheckedAttachment(upload, media.name, size, digest.hexdigest(), name))
    if errors:
        raise ValidationError({field: errors})
    return checked


def attachment_context(sha256: str) -> str:
    return f"complaints.attachment:{sha256}"


def sealed_content(upload: UploadedFile, sha256: str) -> bytes:
    """What is stored for an upload: its bytes sealed (at most 25 MB, read once)."""
    upload.seek(0)
    return seal(b"".join(upload.chunks(CHUNK)), context=attachment_context(sha256))


def unsealed(stored: bytes, sha256: str) -> bytes:
    """The plain bytes of a stored attachment (stored_files' decoder for attachments);
    ValueError when it is not sealed or does not open."""
    if not stored.startswith(MAGIC):
        raise ValueError("the stored file is not sealed")
    try:
        return unseal(stored, context=attachment_context(sha256))
    except SealingError as error:
        raise ValueError(str(error)) from None


def open_verified(attachment: Attachment) -> IO[bytes]:
    """The file's bytes, opened from its sealed copy, after their SHA-256 is checked against
    the one taken at intake; StoredFileDamaged (alert raised) when it is missing, not sealed,
    does not open or differs (nothing is sent then). One mechanism with evidence files."""
    return stored_files.open_verified(attachment, attachment.file, attachment.sha256)
