"""Stored files that are evidence: read only after their SHA-256 is checked, re-hashed on a
schedule, repaired by storing the genuine file again (issue 18, item 3).

One mechanism for every file the centre keeps as received (case evidence, complaint
attachments, examination and visit photos):

- `open_verified` opens a file for reading after hashing it; a missing file or a different
  hash raises `StoredFileDamaged` and raises an alert (`StoredFileAlert`, an e-mail to the
  system administrators, an error in the log). Nothing damaged is ever served as evidence:
  `refusal` is the answer (409 damaged, 410 missing).
- `store_content_addressed` writes an upload under its hash; a damaged or missing copy under
  that name is replaced, so uploading the genuine file again repairs the store, and its alert
  is resolved.
- `check_stored_files` re-hashes every stored file (`custodywatch evidence check-files`, run
  by a worker on a schedule: `--every SECONDS`).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.db.models.fields.files import FieldFile
from django.dispatch import Signal
from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from custodywatch.core.models import StoredFileAlert

logger = logging.getLogger(__name__)

# Sent once per new alert (object_type, object_id, name, problem): accounts e-mails the system
# administrators (accounts/signals.py), so core imports no app above it.
stored_file_damaged = Signal()

CHUNK = 1024 * 1024
Problem = StoredFileAlert.Problem

# Every model whose rows keep a received file with the SHA-256 taken when it was received:
# (model label, file field, hash field).
KINDS: tuple[tuple[str, str, str], ...] = (
    ("cases.EvidenceItem", "file", "sha256"),
    ("complaints.Attachment", "file", "sha256"),
    ("cases.ExaminationPhoto", "file", "sha256"),
    ("visits.FindingPhoto", "image", "sha256"),
)


# Kinds stored transformed (complaint attachments are sealed at rest): model label -> a
# function (stored bytes, recorded SHA-256) -> plain bytes, ValueError when it does not open.
DECODERS: dict[str, str] = {
    "complaints.attachment": "custodywatch.complaints.attachments.unsealed",
}


def _decoder(label: str) -> Callable[[bytes, str], bytes] | None:
    path = DECODERS.get(label)
    return import_string(path) if path else None


class StoredFileDamaged(Exception):
    """The stored file is missing or no longer matches its recorded SHA-256."""

    def __init__(self, problem: str, name: str, detail: str = "") -> None:
        super().__init__(f"{name}: {problem} {detail}".strip())
        self.problem, self.name, self.detail = problem, name, detail


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _open(name: str) -> IO[bytes]:
    try:
        return default_storage.open(name, "rb")
    except (OSError, ValueError) as error:  # gone, unreadable, or a name the storage refuses
        raise StoredFileDamaged(Problem.MISSING, name, str(error)) from None


def _decoded(name: str, sha256: str, decode: Callable[[bytes, str], bytes]) -> bytes:
    with _open(name) as handle:
        stored = handle.read()
    try:
        plain = decode(stored, sha256)
    except ValueError as error:
        raise StoredFileDamaged(Problem.DAMAGED, name, str(error)) from None
    actual = hashlib.sha256(plain).hexdigest()
    if actual != sha256:
        raise StoredFileDamaged(Problem.DAMAGED, name, f"sha256 {actual} != {sha256}")
    return plain


def verify_name(name: str, sha256: str, label: str = "") -> None:
    """Raise StoredFileDamaged unless the stored file `name` (of model `label`) has this
    SHA-256 (after its decoder, for kinds stored transformed)."""
    decode = _decoder(label)
    if decode is not None:
        _decoded(name, sha256, decode)
        return
    with _open(name) as handle:
        actual = _sha256(handle)
    if actual != sha256:
        raise StoredFileDamaged(Problem.DAMAGED, name, f"sha256 {actual} != {sha256}")


def _name_of(file: FieldFile) -> str:
    """The stored name of a file field ("" where none is set: then found missing)."""
    return file.name or ""


def open_verified(obj: models.Model, file: FieldFile, sha256: str) -> IO[bytes]:
    """`file` opened for reading, after its SHA-256 is checked against `sha256`; on a missing
    or damaged file the alert is raised and StoredFileDamaged propagates (nothing sent)."""
    name = _name_of(file)
    decode = _decoder(obj._meta.label_lower)
    if decode is not None:
        try:
            return io.BytesIO(_decoded(name, sha256, decode))
        except StoredFileDamaged as error:
            alert(obj, name, sha256, error.problem)
            raise
    handle = _open(name)
    try:
        actual = _sha256(handle)
        if actual != sha256:
            raise StoredFileDamaged(Problem.DAMAGED, name, f"sha256 {actual} != {sha256}")
        handle.seek(0)
    except StoredFileDamaged as error:
        handle.close()
        alert(obj, name, sha256, error.problem)
        raise
    except BaseException:
        handle.close()
        raise
    return handle


def check_object(obj: models.Model, file: FieldFile, sha256: str) -> str | None:
    """The problem of one object's file (alert raised), or None when it is intact."""
    name = _name_of(file)
    try:
        verify_name(name, sha256, obj._meta.label_lower)
    except StoredFileDamaged as error:
        alert(obj, name, sha256, error.problem)
        return error.problem
    return None


def refusal(error: StoredFileDamaged) -> HttpResponse:
    """The answer to a read of a damaged (409) or missing (410) file."""
    if error.problem == Problem.MISSING:
        text = _("This file is missing from the store: it cannot be sent. The system "
                 "administrator has been alerted; storing the genuine file again repairs it.")
        status = 410
    else:
        text = _("This file is damaged: it no longer matches the SHA-256 recorded when it was "
                 "received. Nothing was sent; the system administrator has been alerted.")
        status = 409
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _label(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def alert(obj: models.Model, name: str, sha256: str, problem: str) -> None:
    """Record the damage once (an open alert per object), e-mail the administrators and log
    it. Call it outside a transaction that may roll back (reads are)."""
    object_type, object_id = _label(obj)
    logger.error("stored file %s of %s %s is %s", name, object_type, object_id, problem)
    existing = StoredFileAlert.objects.filter(object_type=object_type, object_id=object_id,
                                              resolved_at__isnull=True).first()
    if existing is not None:
        existing.problem = problem
        existing.save(update_fields=["problem", "last_seen_at"])
        return
    try:
        with transaction.atomic():
            StoredFileAlert.objects.create(object_type=object_type, object_id=object_id,
                                           file_name=name[:200], sha256=sha256, problem=problem)
    except IntegrityError:
        return  # raised at the same moment by another reader
    stored_file_damaged.send(sender=StoredFileAlert, object_type=object_type,
                             object_id=object_id, name=name, problem=problem)


def resolve(obj: models.Model) -> None:
    object_type, object_id = _label(obj)
    StoredFileAlert.objects.filter(object_type=object_type, object_id=object_id,
                                   resolved_at__isnull=True).update(resolved_at=timezone.now())


def open_alert(obj: models.Model) -> StoredFileAlert | None:
    object_type, object_id = _label(obj)
    return StoredFileAlert.objects.filter(object_type=object_type, object_id=object_id,
                                          resolved_at__isnull=True).first()


def store_content_addressed(name: str, upload: Any, sha256: str) -> tuple[str, bool]:
    """Store `upload` (whose SHA-256 is `sha256`) under `name`, once: an intact copy is
    reused, a damaged or missing one is replaced by this genuine upload. Returns the stored
    name and whether a file was written (the caller deletes it on rollback)."""
    if default_storage.exists(name):
        try:
            verify_name(name, sha256)
            return name, False
        except StoredFileDamaged:
            logger.warning("stored file %s was damaged: replaced by a genuine upload", name)
            default_storage.delete(name)
    upload.seek(0)
    return default_storage.save(name, upload), True


def resolve_repaired(name: str, sha256: str) -> int:
    """Close the open alerts of every object whose file is `name`, now that it is intact."""
    closed = 0
    for model, file_field, hash_field in _models():
        ids = [str(pk) for pk in model._default_manager.filter(
            **{file_field: name, hash_field: sha256}).values_list("pk", flat=True)]
        if ids:
            closed += StoredFileAlert.objects.filter(
                object_type=model._meta.label_lower, object_id__in=ids,
                resolved_at__isnull=True).update(resolved_at=timezone.now())
    return closed


def _models() -> Iterator[tuple[type[models.Model], str, str]]:
    for label, file_field, hash_field in KINDS:
        try:
            yield apps.get_model(label), file_field, hash_field
        except LookupError:
            continue


def stored_objects() -> Iterator[tuple[models.Model, FieldFile, str]]:
    """Every object of KINDS with a stored file: (object, file, recorded SHA-256)."""
    for model, file_field, hash_field in _models():
        rows = model._default_manager.exclude(**{file_field: ""}).exclude(**{hash_field: ""})
        for obj in rows.order_by("pk").iterator(chunk_size=500):
            yield obj, getattr(obj, file_field), getattr(obj, hash_field)


@dataclass(frozen=True)
class CheckResult:
    checked: int
    problems: list[tuple[str, str, str, str]]  # (object type, id, file name, problem)
    repaired: int  # alerts closed because the file is intact again


def check_stored_files() -> CheckResult:
    """Re-hash every stored file; alert on each missing or damaged one, close the alerts of
    files that are intact again. The scheduled job (`custodywatch evidence check-files`)."""
    checked, repaired, problems = 0, 0, []
    for obj, file, sha256 in stored_objects():
        checked += 1
        problem = check_object(obj, file, sha256)
        if problem is None:
            if open_alert(obj) is not None:
                resolve(obj)
                repaired += 1
        else:
            object_type, object_id = _label(obj)
            problems.append((object_type, object_id, _name_of(file), problem))
    return CheckResult(checked=checked, problems=problems, repaired=repaired)
