"""Reads of independent medical examinations and referrals, scoped and audited.

Who reads what:
- examinations (and their photographs and the person's copy): the independent medical
  examiners and the prosecutors (regional: his region; General Prosecutor's Office: all)
  whose scope holds the facility. Never the facility's staff or agent, the NPM, analysts or
  the system administrator: medical confidentiality, and the facility is a party;
- referrals: the readers of their ex officio allegation (``complaints_visible``: the
  prosecutors with jurisdiction, never an accused officer).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.complaints.selectors import complaints_visible
from custodywatch.custody.models import CustodyRecord
from custodywatch.medical.models import Death, Examination, Photo, Referral


def is_reader(user: User) -> bool:
    return user_can(user, Capability.READ_MEDICAL_EXAMINATIONS)


def records_visible(*, user: User) -> QuerySet[CustodyRecord]:
    if not is_reader(user):
        return CustodyRecord.objects.none()
    return CustodyRecord.objects.filter(facility_q(user, "facility"))


def examinations_visible(*, user: User) -> QuerySet[Examination]:
    if not is_reader(user):
        return Examination.objects.none()
    return Examination.objects.filter(facility_q(user, "custody_record__facility"))


def _denied(user: User, origin: Origin, object_type: str, pk: int) -> None:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type=object_type, object_id=str(pk), detail={"medical": True})


def record_detail(*, user: User, pk: int, origin: Origin) -> CustodyRecord:
    record = records_visible(user=user).select_related("facility").filter(pk=pk).first()
    if record is None:
        _denied(user, origin, "custody.custodyrecord", pk)
        raise CustodyRecord.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=record,
                 detail={"medical": True})
    return record


def examination_detail(*, user: User, pk: int, origin: Origin) -> Examination:
    examination = (examinations_visible(user=user)
                   .select_related("custody_record__facility", "examiner").filter(pk=pk).first())
    if examination is None:
        _denied(user, origin, "medical.examination", pk)
        raise Examination.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=examination)
    return examination


def photo_detail(*, user: User, pk: int, origin: Origin) -> Photo:
    photo = Photo.objects.filter(pk=pk, examination__in=examinations_visible(user=user)).first()
    if photo is None:
        _denied(user, origin, "medical.photo", pk)
        raise Photo.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=photo)
    return photo


def referrals_visible(*, user: User) -> QuerySet[Referral]:
    if not is_reader(user) or not has_capability(user, Capability.READ_MEDICAL_REFERRALS):
        return Referral.objects.none()
    return Referral.objects.filter(complaint__in=complaints_visible(user=user))


def referral_of(*, user: User, examination: Examination) -> Referral | None:
    return referrals_visible(user=user).filter(examination=examination).select_related(
        "complaint", "case").first()


def deaths_visible(*, user: User) -> QuerySet[Death]:
    """Deaths whose investigation (the referral's allegation) the reader may see."""
    return Death.objects.filter(custody_record__referrals__in=referrals_visible(user=user)
                                ).distinct()


def death_detail(*, user: User, pk: int, origin: Origin) -> Death:
    death = deaths_visible(user=user).select_related("custody_record__facility").filter(
        pk=pk).first()
    if death is None:
        _denied(user, origin, "medical.death", pk)
        raise Death.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=death)
    return death


def worklist(*, user: User, origin: Origin, limit: int = 200) -> dict:
    """The examiner's list: people in custody in scope, with their examinations counted;
    the prosecutor's: the referrals opened in his scope, newest first."""
    records = (records_visible(user=user).filter(ended_at__isnull=True)
               .select_related("facility").annotate(examinations=Count("medical_examinations"))
               .order_by("detained_at")[:limit])
    referrals = (referrals_visible(user=user)
                 .select_related("custody_record__facility", "complaint", "case")
                 .order_by("-opened_at")[:limit])
    deaths = (deaths_visible(user=user).select_related("custody_record__facility")
              .order_by("-died_at")[:limit])
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="medical.examination", detail={"worklist": True})
    return {"records": list(records), "referrals": list(referrals), "deaths": list(deaths)}
