"""Forensic examinations: requests, conclusions, findings, photographs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, user_can
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases import body, selectors
from custodywatch.cases.models import (
    Case,
    CaseParty,
    CaseStep,
    Consistency,
    Examination,
    ExaminationPhoto,
    Finding,
    examination_photo_path,
)
from custodywatch.cases.rules import (
    MAX_PHOTO_BYTES,
)
from custodywatch.cases.services._common import (
    _deny,
    _first_step,
    _hash_upload,
    _lock,
    _not_future,
    _now_or,
    _raise,
    _require_writer,
)
from custodywatch.complaints.attachments import sniff
from custodywatch.core import images, stored_files

PHOTO_TYPES = {"image/jpeg", "image/png"}


def examination_request(*, acting_user: User, origin: Origin, case: Case, subject: CaseParty,
                        examiner: User, requested_at: dt.datetime | None = None,
                        place: str = "") -> Examination:
    _require_writer(acting_user, origin, case)
    requested_at = _now_or(requested_at)
    errors: dict[str, Any] = {}
    if subject.case_id != case.pk or subject.person_id is None:
        errors["subject"] = _("Choose a person of this case.")
    if not user_can(examiner, Capability.EXAMINE_FOR_CASES):
        errors["examiner"] = _("The examiner is a forensic expert.")
    if requested_at < case.registered_at:
        errors["requested_at"] = _("A step of this case cannot precede its registration.")
    _not_future(errors, "requested_at", requested_at, timezone.now())
    _raise(errors)
    with transaction.atomic():
        case = _lock(case)
        examination = Examination.objects.create(case=case, subject=subject,
                                                 requested_at=requested_at,
                                                 requested_by=acting_user, examiner=examiner,
                                                 place=place)
        CaseStep.objects.create(case=case, kind=CaseStep.Kind.EXAMINATION_ORDERED,
                                taken_at=requested_at, recorded_by=acting_user,
                                description=_("Examination ordered; examiner: %(name)s") % {
                                    "name": examiner.get_full_name() or examiner.username})
        _first_step(case, requested_at)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=examination, detail={"case": case.register_number,
                                              "examiner": examiner.username})
    return examination


def _require_examination_writer(user: User, origin: Origin, examination: Examination) -> None:
    if not selectors.may_write_examination(user=user, examination=examination):
        raise _deny(user, origin, _("You do not write this examination."), examination)
    if examination.status == Examination.Status.DONE:
        raise ValidationError(_("The report is completed and can no longer be changed."))


def examination_record(*, acting_user: User, origin: Origin, examination: Examination,
                       examined_at: dt.datetime | None, place: str = "", history: str = "",
                       psychological_findings: str = "", psychological_consistency: str = "",
                       conclusion: str = "", complete: bool = False) -> Examination:
    """The examiner's report; ``complete`` closes it and stops the examination clock."""
    _require_examination_writer(acting_user, origin, examination)
    errors: dict[str, Any] = {}
    if psychological_consistency and psychological_consistency not in Consistency.values:
        errors["psychological_consistency"] = _("Unknown degree of consistency.")
    if examined_at is not None and examined_at < examination.requested_at:
        errors["examined_at"] = _("The examination follows its request.")
    _not_future(errors, "examined_at", examined_at, timezone.now())
    if complete:
        if examined_at is None:
            errors["examined_at"] = _("Give the moment of the examination.")
        if not conclusion.strip():
            errors["conclusion"] = _("A completed report has a conclusion.")
    _raise(errors)
    with transaction.atomic():
        examination.examined_at = examined_at
        examination.place = place
        examination.history = history
        examination.psychological_findings = psychological_findings
        examination.psychological_consistency = psychological_consistency
        examination.conclusion = conclusion
        if complete:
            examination.status = Examination.Status.DONE
        examination.save()
        if complete and examined_at is not None:
            case = _lock(examination.case)
            if case.examination_at is None or examined_at < case.examination_at:
                case.examination_at = examined_at
                case.save(update_fields=["examination_at", "updated_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=examination, detail={"completed": complete})
    return examination


def finding_add(*, acting_user: User, origin: Origin, examination: Examination, view: str,
                body_region: str, x: float | None, y: float | None, description: str,
                consistency: str) -> Finding:
    """A physical finding on the body diagram; without x/y it sits at the region's centre."""
    _require_examination_writer(acting_user, origin, examination)
    errors: dict[str, Any] = {}
    if view not in Finding.View.values:
        errors["view"] = _("Front or back.")
    if body_region not in body.BY_CODE or (
            view in Finding.View.values and view not in body.BY_CODE[body_region].views):
        errors["body_region"] = _("Choose a body region of this view.")
    if (x is None) != (y is None) or any(v is not None and not 0 <= v <= 1 for v in (x, y)):
        errors["x"] = _("The mark lies on the diagram.")
    if not description.strip():
        errors["description"] = _("Describe the finding.")
    if consistency not in Consistency.values:
        errors["consistency"] = _("Give the degree of consistency.")
    _raise(errors)
    if x is None or y is None:
        x, y = body.centre_of(body_region, view)
    with transaction.atomic():
        finding = Finding.objects.create(examination=examination, view=view,
                                         body_region=body_region, x=x, y=y,
                                         description=description.strip(),
                                         consistency=consistency)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=finding, object_label=f"examination {examination.pk}",
                     detail={"examination": examination.pk, "region": body_region})
    return finding


def photo_add(*, acting_user: User, origin: Origin, examination: Examination,
              upload: UploadedFile[bytes], finding: Finding | None = None,
              caption: str = "") -> ExaminationPhoto:
    """A photograph, checked by its first bytes (JPEG or PNG) and hashed on arrival."""
    _require_examination_writer(acting_user, origin, examination)
    name = (upload.name or "photo")[-200:]
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("%(name)s is %(size)s; the limit is %(limit)s.") % {
            "name": name, "size": filesizeformat(upload.size),
            "limit": filesizeformat(MAX_PHOTO_BYTES)}})
    upload.seek(0)
    media = sniff(upload.read(16))
    if media is None or media.name not in PHOTO_TYPES:
        raise ValidationError({"photo": _("%(name)s is not a JPEG or PNG photograph.") % {
            "name": name}})
    upload.seek(0)
    if upload.size is not None and upload.size <= MAX_PHOTO_BYTES and (
            problem := images.size_problem(upload.read())):
        raise ValidationError({"photo": problem})  # the report's PDF could not open it
    if finding is not None and finding.examination_id != examination.pk:
        raise ValidationError({"finding": _("Choose a finding of this examination.")})
    upload.seek(0)
    sha256, size = _hash_upload(upload)
    if size > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("%(name)s is %(size)s; the limit is %(limit)s.") % {
            "name": name, "size": filesizeformat(size),
            "limit": filesizeformat(MAX_PHOTO_BYTES)}})
    photo = ExaminationPhoto(examination=examination, finding=finding, media_type=media.name,
                             sha256=sha256, caption=caption[:200])
    stored, wrote = stored_files.store_content_addressed(
        examination_photo_path(photo, name), upload, sha256)
    photo.file.name = stored
    with transaction.atomic():
        photo.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=photo, detail={"examination": examination.pk, "sha256": sha256})
    if wrote:
        stored_files.resolve_repaired(stored, sha256)
    return photo
