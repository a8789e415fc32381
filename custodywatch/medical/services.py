"""Every write of independent medical examinations: checked, atomic, audited.

Only an independent medical examiner (EXAMINE_DETAINEES) whose scope holds the
facility writes an examination; a facility's staff never do (the facility is a party). A
token bound to a facility never widens that. The examination, its injuries, the intake
moment on the custody record and any automatic referral commit together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import AuditEvent, MachineToken, User
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.cases import body
from custodywatch.cases.models import Consistency
from custodywatch.cases.rules import MAX_PHOTO_BYTES
from custodywatch.complaints.attachments import sniff
from custodywatch.custody.models import CustodyRecord
from custodywatch.custody.models import Injury as CheckInjury
from custodywatch.ledger.appends import evidence_registered_fields, ledger_append
from custodywatch.ledger.models import LeafKind
from custodywatch.medical import referrals
from custodywatch.medical.models import (
    Consent,
    Death,
    Examination,
    Injury,
    Occasion,
    Photo,
    View,
)
from custodywatch.registry.models import Facility

FUTURE_TOLERANCE = dt.timedelta(minutes=5)
EXAMINATION_FIELDS = ("occasion", "examined_at", "in_private", "consent", "no_injuries",
                      "declared_ill_treatment", "person_account", "doctor_allegation",
                      "consistency", "opinion", "external_ref")
INJURY_FIELDS = ("view", "body_region", "x", "y", "kind", "description")
PHOTO_TYPES = {"image/jpeg", "image/png"}
CHUNK = 256 * 1024


def may_examine(*, user: User, facility: Facility, token: MachineToken | None = None) -> bool:
    """An independent examiner whose scope holds the facility; a bound token, that one only."""
    if token is not None and token.facility_id is not None and token.facility_id != facility.pk:
        return False
    return user_can(user, Capability.EXAMINE_DETAINEES) and FACILITY_POLICY.can(
        user, "examine_detainees", facility)


def require_examiner(*, user: User, origin: Origin, facility: Facility,
                     token: MachineToken | None = None, what: str = "") -> None:
    if may_examine(user=user, facility=facility, token=token):
        return
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=facility,
                 detail={"medical": what})
    raise PermissionDenied(_("Only an independent medical examiner serving %(code)s records "
                             "examinations there.") % {"code": facility.code})


def _injury(index: int, values: Mapping[str, Any]) -> Injury:
    unknown = sorted(set(values) - set(INJURY_FIELDS))
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in unknown}
    view, region = values.get("view"), values.get("body_region")
    x, y = values.get("x"), values.get("y")
    if view not in View.values:
        errors["view"] = [_("Front or back.")]
    if region not in body.BY_CODE or (view in View.values
                                      and view not in body.BY_CODE[region].views):
        errors["body_region"] = [_("Choose a body region of this view.")]
    if (x is None) != (y is None) or any(
            v is not None and (not isinstance(v, int | float) or not 0 <= v <= 1)
            for v in (x, y)):
        errors["x"] = [_("The mark lies on the diagram.")]
    if values.get("kind") not in CheckInjury.Kind.values:
        errors["kind"] = [_("Choose the type of injury.")]
    if not str(values.get("description") or "").strip():
        errors["description"] = [_("Describe the injury.")]
    if errors:
        raise ValidationError({f"injuries[{index}].{name}": messages
                               for name, messages in errors.items()})
    if x is None or y is None:
        x, y = body.centre_of(str(region), str(view))
    return Injury(view=str(view), body_region=str(region), x=float(x), y=float(y),
                  kind=values["kind"], description=str(values["description"]).strip())


def _validate(record: CustodyRecord, values: Mapping[str, Any],
              injuries: Sequence[Mapping[str, Any]]) -> list[Injury]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(EXAMINATION_FIELDS))
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    if values.get("occasion") not in Occasion.values:
        errors["occasion"] = [_("Choose the occasion of the examination.")]
    if values.get("consent") not in Consent.values:
        errors["consent"] = [_("Record whether the person consented or refused.")]
    if not isinstance(values.get("in_private"), bool):
        errors["in_private"] = [_("Say whether the examination was in private.")]
    consistency = values.get("consistency") or ""
    if consistency not in Consistency.values and consistency != "":
        errors["consistency"] = [_("Unknown degree of consistency.")]
    examined_at = values.get("examined_at")
    if not isinstance(examined_at, dt.datetime) or timezone.is_naive(examined_at):
        errors["examined_at"] = [_("Give the moment of the examination with its time zone.")]
    else:
        if examined_at < record.detained_at:
            errors["examined_at"] = [_("Cannot be before the moment of detention.")]
        elif record.ended_at is not None and examined_at > record.ended_at:
            errors["examined_at"] = [_("Custody had already ended.")]
        elif examined_at > timezone.now() + FUTURE_TOLERANCE:
            errors["examined_at"] = [_("This moment is in the future.")]
    refused = values.get("consent") == Consent.REFUSED
    if refused and (injuries or values.get("no_injuries")):
        errors["consent"] = [_("The person refused: record no injuries and no finding.")]
    elif not refused and bool(values.get("no_injuries")) == bool(injuries):
        errors["no_injuries"] = [_(
            "Answer explicitly: either no injuries were found, or describe each injury.")]
    if errors:
        raise ValidationError(errors)
    return [_injury(index, item) for index, item in enumerate(injuries)]


def _write(*, acting_user: User, origin: Origin, record: CustodyRecord,
           values: Mapping[str, Any], injuries: Sequence[Mapping[str, Any]],
           now: dt.datetime | None = None) -> tuple[Examination, bool]:
    """Inside the caller's transaction. ``(examination, created)``; an item already recorded
    under its external reference is returned as it is (a retried batch changes nothing)."""
    ref = str(values.get("external_ref") or "")
    if ref:
        existing = Examination.objects.filter(custody_record=record, external_ref=ref).first()
        if existing is not None:
            return existing, False
    parsed = _validate(record, values, injuries)
    examination = Examination(
        custody_record=record, examiner=acting_user,
        examiner_name=acting_user.get_full_name() or acting_user.get_username(),
        **{name: values[name] for name in EXAMINATION_FIELDS
           if name in values and values[name] is not None})
    examination.consistency = values.get("consistency") or ""
    examination.full_clean(exclude=["custody_record", "examiner"], validate_unique=False,
                           validate_constraints=False)
    examination.save()
    for injury in parsed:
        injury.examination = examination
    Injury.objects.bulk_create(parsed)
    if examination.occasion == Occasion.INTAKE and (
        record.medical_checked_at is None or examination.examined_at < record.medical_checked_at
    ):
        record.medical_checked_at = examination.examined_at
        record.save(update_fields=["medical_checked_at", "updated_at"])
    audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                 obj=examination, detail={"record": record.pk, "injuries": len(parsed),
                                          "occasion": examination.occasion,
                                          "consent": examination.consent})
    comparison = referrals.compare_with_earlier(examination)
    triggers = referrals.triggers_of(examination, comparison)
    if triggers:
        referrals.referral_open(record=record, examination=examination, triggers=triggers,
                                comparison=comparison, now=now)
    # The risk rules see the new examination at once (the sweep would, minutes later).
    from custodywatch.medical.risk import evaluate_person

    evaluate_person(record, now=now)
    return examination, True


def examination_add(*, acting_user: User, origin: Origin, record: CustodyRecord,
                    values: Mapping[str, Any], injuries: Sequence[Mapping[str, Any]] = (),
                    token: MachineToken | None = None) -> Examination:
    """Record an examination; an injury or allegation opens its referral in this transaction."""
    require_examiner(user=acting_user, origin=origin, facility=record.facility, token=token,
                     what=f"examination {record.pk}")
    with transaction.atomic():
        record = CustodyRecord.objects.select_for_update().select_related("facility").get(
            pk=record.pk)
        examination, _created = _write(acting_user=acting_user, origin=origin, record=record,
                                       values=values, injuries=injuries)
    return examination


def _hash(upload: UploadedFile[bytes]) -> tuple[str, int]:
    upload.seek(0)
    digest, size = hashlib.sha256(), 0
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def photo_add(*, acting_user: User, origin: Origin, examination: Examination,
              upload: UploadedFile[bytes], injury: Injury | None = None) -> Photo:
    """A photograph (JPEG or PNG by its first bytes), hashed on arrival and appended to the
    ledger (an ``evidence_registered`` leaf naming no person) in the same transaction."""
    record = examination.custody_record
    if acting_user.pk != examination.examiner_id:
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=examination, detail={"photo": True})
        raise PermissionDenied(_("Only the examiner adds photographs to the examination."))
    require_examiner(user=acting_user, origin=origin, facility=record.facility,
                     what=f"photo {examination.pk}")
    name = (upload.name or "photo")[-200:]
    upload.seek(0)
    media = sniff(upload.read(16))
    if media is None or media.name not in PHOTO_TYPES:
        raise ValidationError({"photo": _("%(name)s is not a JPEG or PNG photograph.") % {
            "name": name}})
    if injury is not None and injury.examination_id != examination.pk:
        raise ValidationError({"injury": _("Choose an injury of this examination.")})
    sha256, size = _hash(upload)
    if size > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("%(name)s is %(size)s; the limit is %(limit)s.") % {
            "name": name, "size": filesizeformat(size),
            "limit": filesizeformat(MAX_PHOTO_BYTES)}})
    photo = Photo(examination=examination, injury=injury, media_type=media.name,
                  sha256=sha256, size=size)
    path = f"medical/photos/{sha256[:2]}/{sha256}"
    stored = path if default_storage.exists(path) else default_storage.save(path, upload)
    photo.file.name = stored
    now = timezone.now()
    with transaction.atomic():
        photo.save()
        pending = ledger_append(kind=LeafKind.EVIDENCE_REGISTERED,
                                fields=evidence_registered_fields(
                                    evidence=f"medical-photo:{photo.pk}", sha256=sha256,
                                    size=size, by=acting_user.get_username(), at=now,
                                    media_type=media.name))
        photo.ledger_pending_id = pending.pk
        photo.save(update_fields=["ledger_pending_id"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=photo, detail={"examination": examination.pk, "sha256": sha256})
    return photo


# ---------------------------------------------------------------- deaths in custody

DEATH_FIELDS = ("autopsy_at", "autopsy_by", "cause", "manner", "relatives_informed_at",
                "relatives_informed")


def death_record(*, acting_user: User, origin: Origin, death: Death,
                 values: Mapping[str, Any]) -> Death:
    """The autopsy, cause and manner of death and the relatives informed, recorded by a
    prosecutor who sees the death's investigation (never the facility: it is a party)."""
    from custodywatch.medical.selectors import deaths_visible

    if not has_capability(acting_user, Capability.RECORD_DEATH_INVESTIGATION) or (
            not deaths_visible(user=acting_user).filter(pk=death.pk).exists()):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     obj=death, detail={"death": True})
        raise PermissionDenied(_("Only the prosecutors of this investigation record it."))
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(DEATH_FIELDS))
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    now = timezone.now()
    for name in ("autopsy_at", "relatives_informed_at"):
        moment = values.get(name)
        if moment is not None and moment < death.died_at:
            errors[name] = [_("Cannot be before the death.")]
        elif moment is not None and moment > now + FUTURE_TOLERANCE:
            errors[name] = [_("This moment is in the future.")]
    if values.get("manner", death.manner) not in Death.Manner.values:
        errors["manner"] = [_("Choose the manner of death.")]
    if values.get("relatives_informed_at") and not str(
            values.get("relatives_informed") or "").strip():
        errors["relatives_informed"] = [_("Name who was informed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for name, value in values.items():
            setattr(death, name, "" if value is None and name not in
                    {"autopsy_at", "relatives_informed_at"} else value)
        death.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=death, detail={"fields": sorted(values)})
    return death
