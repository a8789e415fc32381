"""Every write to the custody register: one function per use case, atomic, audited.

Public functions check who may write, record a refusal in the audit trail outside the
transaction that the refusal rolls back, and then call a `_write` helper inside one
transaction. The batch API calls the same helpers for many items in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, MachineToken, User
from custodywatch.accounts.policies import FACILITY_POLICY
from custodywatch.core import plausible
from custodywatch.custody import alerts, law, signals
from custodywatch.custody.models import (
    CellCheck,
    CustodyRecord,
    CustodyReview,
    EndReason,
    Injury,
    Interrogation,
    MedicalCheck,
    RelativesNotification,
    RightDelay,
    RiskAssessment,
    RoomStay,
    is_foreign_citizenship,
)
from custodywatch.kernels import custody_care, deadlines
from custodywatch.registry.models import Facility, Room

# No court term runs longer (a life sentence has no release date: leave it empty).
LONGEST_TERM = dt.timedelta(days=365 * 30 + 8)
# A clock in the future is a typing error: things are recorded when they happened.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

RECORD_FIELDS = (
    "external_ref", "full_name", "date_of_birth", "iin", "identity_document", "gender",
    "citizenship", "language", "interpreter", "detained_at", "detained_place",
    "detaining_officer", "detaining_unit", "grounds", "erdr_number", "arrived_at",
    "rights_explained_at", "personal_property", "lawyer_requested_at", "lawyer_name",
    "lawyer_assigned_at", "lawyer_first_access_at",
    # Issue 22: regime and court term, safeguards (all optional).
    "regime", "court_order_ref", "court_order_at", "term_ends_at", "extension_applied_at",
    "protocol_drawn_at", "prosecutor_notified_at", "prosecutor_notified_means",
    "consular_notified_at", "consular_declined_at", "consular_decline_acknowledgement",
    "state_lawyer_offered_at", "rights_language", "rights_acknowledgement",
    # Issue 22, item 6: the person's recorded waiver of a lawyer.
    "lawyer_waived_at",
)
# Moments that cannot precede the detention they belong to (nor lie in the future).
AFTER_DETENTION = ("arrived_at", "rights_explained_at", "lawyer_requested_at",
                   "lawyer_assigned_at", "lawyer_first_access_at",
                   "extension_applied_at", "protocol_drawn_at", "prosecutor_notified_at",
                   "consular_notified_at", "consular_declined_at", "state_lawyer_offered_at",
                   "lawyer_waived_at")


def can_write_custody(*, user: User, facility: Facility, token: MachineToken | None) -> bool:
    """WRITE_CUSTODY: facility staff write their own facility's register; system
    administrators (and the state systems whose tokens they issue, scoped to one facility)
    write any facility's. A token scoped to a facility writes only that facility, whoever
    holds it."""
    if token is not None and token.facility_id is not None and token.facility_id != facility.pk:
        return False
    return FACILITY_POLICY.can(user, "write_custody", facility)


def require_write(
    *, user: User, origin: Origin, facility: Facility, token: MachineToken | None,
    what: str,
) -> None:
    if can_write_custody(user=user, facility=facility, token=token):
        return
    # Recorded outside the write's transaction, which the refusal would roll back.
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=facility,
                 detail={"custody": what})
    raise PermissionDenied(_("You may not change the custody register of %(code)s.")
                           % {"code": facility.code})


def _check_not_future(errors: dict[str, str], now: dt.datetime, **moments: Any) -> None:
    """Custody events: since the system's start date, not in the future (core/plausible.py)."""
    for name, moment in moments.items():
        if name not in errors:
            plausible.collect(errors, plausible.Kind.EVENT, name, moment,
                              now + FUTURE_TOLERANCE - plausible.CLOCK_SKEW)


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})


def _derive_clock_facts(record: CustodyRecord) -> None:
    """The kernel decides minor status and the regime's limit under the law in force on the
    day of the detention (custody/law); both are kept for SQL sorting and counting."""
    terms = law.terms_on(record.detained_at)
    record.is_minor = deadlines.is_minor_at(record.date_of_birth, record.detained_at, terms)
    record.is_foreign = is_foreign_citizenship(record.citizenship)
    record.detention_due_at = deadlines.legal_due_at(
        alerts.facts_of(record, with_delays=False), terms)


def _validate_record(record: CustodyRecord) -> None:
    errors: dict[str, str] = {}
    now = timezone.now()
    moments = {name: getattr(record, name) for name in ("detained_at", *NOT_FUTURE)}
    _check_not_future(errors, now, **moments)
    if record.detained_at is not None:
        for name in AFTER_DETENTION:
            if moments[name] is not None and moments[name] < record.detained_at:
                errors.setdefault(name, _("Cannot be before the moment of detention."))
        if record.date_of_birth and record.date_of_birth > record.detained_at.date():
            errors["date_of_birth"] = _("Cannot be after the moment of detention.")
        if record.ended_at is not None and record.detained_at >= record.ended_at:
            errors["detained_at"] = _("Must be before the end of custody.")
        elif record.pk and record.stays.filter(started_at__lt=record.detained_at).exists():
            errors["detained_at"] = _("A room stay starts before this moment.")
        if record.term_ends_at is not None and record.term_ends_at <= record.detained_at:
            errors["term_ends_at"] = _("Must be after the moment of detention.")
        elif record.term_ends_at is not None and (
                record.term_ends_at - record.detained_at > LONGEST_TERM):
            errors["term_ends_at"] = _("Longer than any term the law allows (%(years)s "
                                       "years).") % {"years": LONGEST_TERM.days // 365}
    if record.term_ends_at is not None and record.regime not in COURT_TERM_REGIMES:
        errors.setdefault("term_ends_at", _(
            "A court's term belongs to remand, administrative arrest, a sentence or a "
            "psychiatric placement, not to this regime."))
    if record.consular_decline_acknowledgement and record.consular_declined_at is None:
        errors["consular_declined_at"] = _("Give the moment the person declined.")
    _raise(errors)


def _record_write(
    *, acting_user: User, origin: Origin, facility: Facility, values: Mapping[str, Any],
    record: CustodyRecord | None = None,
) -> CustodyRecord:
    unknown = sorted(set(values) - set(RECORD_FIELDS))
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    created = record is None
    if record is None:
        # The kind of place proposes the regime; the record may state another.
        record = CustodyRecord(facility=facility, regime=law.proposed_regime(facility.kind))
    for name, value in values.items():
        if name == "regime" and not value:
            continue  # not stated: the facility kind's proposal (or the regime kept)
        setattr(record, name, "" if value is None and name not in _NULLABLE else value)
    record.full_clean(exclude=["detention_due_at"], validate_unique=False,
                      validate_constraints=False)
    _validate_record(record)
    _derive_clock_facts(record)
    if record.external_ref and CustodyRecord.objects.filter(
        facility=facility, external_ref=record.external_ref
    ).exclude(pk=record.pk).exists():
        raise ValidationError({"external_ref": [_("Already used in this facility.")]})
    record.save()
    audit_record(actor=acting_user, origin=origin, obj=record,
                 action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
                 detail={"fields": sorted(values)})
    return record


# A court's order may precede the custody here (a sentence, then the colony), never now.
NOT_FUTURE = (*AFTER_DETENTION, "court_order_at")
_NULLABLE = {"date_of_birth", "detained_at", "term_ends_at", *NOT_FUTURE}
COURT_TERM_REGIMES = {str(regime) for regime in deadlines.COURT_TERM_REGIMES}


def custody_record_create(
    *, acting_user: User, origin: Origin, facility: Facility, values: Mapping[str, Any],
    token: MachineToken | None = None, room: Room | None = None,
) -> CustodyRecord:
    """Register a detention; with `room`, the person's first stay starts at arrival."""
    require_write(user=acting_user, origin=origin, facility=facility, token=token,
                  what="create")
    with transaction.atomic():
        record = _record_write(acting_user=acting_user, origin=origin, facility=facility,
                               values=values)
        if room is not None:
            _stay_write(acting_user=acting_user, origin=origin, record=record, room=room,
                        started_at=record.arrived_at or record.detained_at, ended_at=None)
    return record


def custody_record_update(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    token: MachineToken | None = None,
) -> CustodyRecord:
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"update {record.pk}")
    with transaction.atomic():
        return _record_write(acting_user=acting_user, origin=origin, facility=record.facility,
                             values=values, record=record)


def custody_record_end(
    *, acting_user: User, origin: Origin, record: CustodyRecord, ended_at: dt.datetime,
    end_reason: EndReason, end_note: str = "", token: MachineToken | None = None,
) -> CustodyRecord:
    """End custody; a death raises the prosecutor's alert in this same transaction."""
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"end {record.pk}")
    with transaction.atomic():
        return _end_write(acting_user=acting_user, origin=origin, record=record,
                          ended_at=ended_at, end_reason=end_reason, end_note=end_note)


def _end_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, ended_at: dt.datetime,
    end_reason: str, end_note: str,
) -> CustodyRecord:
    record = CustodyRecord.objects.select_for_update().get(pk=record.pk)
    errors: dict[str, str] = {}
    if record.ended_at is not None:
        errors["ended_at"] = _("Custody has already ended.")
    elif ended_at <= record.detained_at:
        errors["ended_at"] = _("Must be after the moment of detention.")
    _check_not_future(errors, timezone.now(), ended_at=ended_at)
    if end_reason not in EndReason.values:
        errors["end_reason"] = _("Choose how custody ended.")
    open_stay = record.stays.filter(ended_at__isnull=True).first()
    if open_stay is not None and ended_at <= open_stay.started_at:
        errors.setdefault("ended_at", _("Must be after the start of the current room stay."))
    _raise(errors)
    if open_stay is not None:
        open_stay.ended_at = ended_at
        _coverage_changed(open_stay)
        open_stay.save(update_fields=["ended_at", *COVERAGE_FIELDS])
    record.ended_at, record.end_reason, record.end_note = ended_at, end_reason, end_note
    record.save(update_fields=["ended_at", "end_reason", "end_note", "updated_at"])
    audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=record,
                 detail={"ended": end_reason})
    if end_reason == EndReason.DIED:
        alerts.death_alert_raise(record=record, now=timezone.now())
        # Issue 21: a death opens its investigation by itself, in this transaction (medical,
        # above custody, receives the signal: medical/apps.py).
        signals.custody_death.send(sender=CustodyRecord, record=record, now=timezone.now())
    return record


def _coverage_changed(item: RoomStay | Interrogation) -> None:
    """A stay or action whose period changed: its stored blind time is void until the
    coverage job (video/coverage_jobs.py) recomputes it from the work video queues here, in
    this transaction, on the signal (video/apps.py)."""
    item.blind_ms = item.coverage_computed_at = None
    signals.room_time_changed.send(sender=type(item), room_id=item.room_id,
                                   started_at=item.started_at, ended_at=item.ended_at)


COVERAGE_FIELDS = ["blind_ms", "coverage_computed_at"]


def _check_room(record: CustodyRecord, room: Room, errors: dict[str, str]) -> None:
    if room.facility_id != record.facility_id:
        errors["room"] = _("Room %(room)s is not a room of facility %(facility)s.") % {
            "room": room.code, "facility": record.facility.code}
    elif not room.custody_use:
        errors["room"] = _("Room %(room)s has no custody use: nobody may be held or "
                           "questioned there.") % {"room": room.code}


def _check_within_custody(
    record: CustodyRecord, started_at: dt.datetime, ended_at: dt.datetime | None,
    errors: dict[str, str],
) -> None:
    if ended_at is not None and ended_at <= started_at:
        errors["ended_at"] = _("Must be after the start.")
    if started_at < record.detained_at:
        errors.setdefault("started_at", _("Cannot be before the moment of detention."))
    if record.ended_at is not None:
        if started_at >= record.ended_at:
            errors.setdefault("started_at", _("Custody had already ended."))
        if ended_at is None or ended_at > record.ended_at:
            errors.setdefault("ended_at", _("Must end by the end of custody."))
    _check_not_future(errors, timezone.now(), started_at=started_at, ended_at=ended_at)


def _stay_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, room: Room,
    started_at: dt.datetime, ended_at: dt.datetime | None, stay: RoomStay | None = None,
) -> RoomStay:
    errors: dict[str, str] = {}
    _check_room(record, room, errors)
    _check_within_custody(record, started_at, ended_at, errors)
    others = record.stays.exclude(pk=stay.pk) if stay is not None else record.stays.all()
    overlapping = others.filter(started_at__lt=ended_at) if ended_at else others
    clash = overlapping.exclude(ended_at__lte=started_at).select_related("room").first()
    if clash is not None and "started_at" not in errors:
        errors["started_at"] = _("Overlaps the stay in room %(room)s from %(start)s.") % {
            "room": clash.room.code,
            "start": timezone.localtime(clash.started_at).strftime("%Y-%m-%d %H:%M")}
    _raise(errors)
    created = stay is None
    stay = stay or RoomStay(custody_record=record)
    stay.room, stay.started_at, stay.ended_at = room, started_at, ended_at
    _coverage_changed(stay)
    stay.save()
    audit_record(actor=acting_user, origin=origin, obj=stay,
                 action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
                 detail={"record": record.pk, "room": room.code})
    return stay


def room_stay_move(
    *, acting_user: User, origin: Origin, record: CustodyRecord, room: Room, at: dt.datetime,
    token: MachineToken | None = None,
) -> RoomStay:
    """Move the person: the current stay ends at `at` and a stay in `room` starts then."""
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"move {record.pk}")
    with transaction.atomic():
        current = record.stays.select_for_update().filter(ended_at__isnull=True).first()
        if current is not None:
            if current.room_id == room.pk:
                raise ValidationError({"room": [_("The person is already in this room.")]})
            if at <= current.started_at:
                raise ValidationError({"at": [_("Must be after the start of the current "
                                                "stay.")]})
            current.ended_at = at
            _coverage_changed(current)
            current.save(update_fields=["ended_at", *COVERAGE_FIELDS])
        return _stay_write(acting_user=acting_user, origin=origin, record=record, room=room,
                           started_at=at, ended_at=None)


def _officer_model() -> Any:
    """cases.Officer, through the relation (custody does not import the cases app)."""
    return Interrogation._meta.get_field("investigator_officer").related_model


def officer_for(*, acting_user: User, origin: Origin, full_name: str,
                personnel_number: str) -> Any:
    """The Officer with this personnel number, made from the name given when there is none
    yet (as cases.services does for an accused officer); None without a number."""
    personnel_number = personnel_number.strip()
    if not personnel_number:
        return None
    officer_model = _officer_model()
    officer = officer_model.objects.filter(personnel_number=personnel_number).first()
    if officer is None:
        officer = officer_model.objects.create(full_name=full_name.strip(),
                                               personnel_number=personnel_number)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=officer, detail={"from": "custody", "personnel_number":
                                          personnel_number})
    return officer


def _interrogation_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    interrogation: Interrogation | None = None,
) -> Interrogation:
    created = interrogation is None
    interrogation = interrogation or Interrogation(custody_record=record)
    values = dict(values)
    personnel_number = values.pop("investigator_personnel_number", None)
    for name, value in values.items():
        setattr(interrogation, name, value)
    if personnel_number is not None:
        interrogation.investigator_officer = officer_for(
            acting_user=acting_user, origin=origin, full_name=interrogation.investigator,
            personnel_number=personnel_number)
    interrogation.full_clean(exclude=["custody_record"], validate_constraints=False)
    errors: dict[str, str] = {}
    _check_room(record, interrogation.room, errors)
    _check_within_custody(record, interrogation.started_at, interrogation.ended_at, errors)
    _raise(errors)
    _coverage_changed(interrogation)
    interrogation.save()
    audit_record(actor=acting_user, origin=origin, obj=interrogation,
                 action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
                 detail={"record": record.pk, "room": interrogation.room.code})
    return interrogation


def interrogation_add(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    token: MachineToken | None = None,
) -> Interrogation:
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"interrogation {record.pk}")
    with transaction.atomic():
        return _interrogation_write(acting_user=acting_user, origin=origin, record=record,
                                    values=values)


def _medical_check_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    injuries: list[Mapping[str, Any]],
) -> MedicalCheck:
    check = MedicalCheck(custody_record=record, **values)
    if check.no_injuries is None and not injuries:
        raise ValidationError({"no_injuries": [_(
            "Answer explicitly: either no injuries were found, or describe each injury.")]})
    if check.no_injuries and injuries:
        raise ValidationError({"no_injuries": [_(
            "Injuries are listed, so 'no injuries' cannot be the answer.")]})
    check.no_injuries = bool(check.no_injuries)
    check.full_clean(exclude=["custody_record"])
    errors: dict[str, str] = {}
    _check_within_custody(record, check.examined_at, None, errors)
    _raise({"examined_at": errors["started_at"]} if "started_at" in errors else {})
    check.save()
    for index, injury_values in enumerate(injuries):
        injury = Injury(medical_check=check, **injury_values)
        try:
            injury.full_clean(exclude=["medical_check"])
        except ValidationError as error:
            raise ValidationError({f"injuries[{index}].{name}": messages for name, messages
                                   in error.message_dict.items()}) from None
        injury.save()
    if check.occasion == MedicalCheck.Occasion.INTAKE and (
        record.medical_checked_at is None or check.examined_at < record.medical_checked_at
    ):
        record.medical_checked_at = check.examined_at
        record.save(update_fields=["medical_checked_at", "updated_at"])
    audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=check,
                 detail={"record": record.pk, "injuries": len(injuries)})
    # Issue 21: an injury or a declared allegation is referred by itself, in this transaction
    # (nobody at the facility decides, and nothing the facility reads shows it): medical,
    # above custody, receives the signal (medical/apps.py).
    signals.medical_check_recorded.send(sender=MedicalCheck, record=record, check=check,
                                        injuries=len(injuries))
    return check


def medical_check_add(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    injuries: list[Mapping[str, Any]], token: MachineToken | None = None,
) -> MedicalCheck:
    """An examination; `no_injuries` must be True or injuries listed, never left unsaid."""
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"medical {record.pk}")
    with transaction.atomic():
        return _medical_check_write(acting_user=acting_user, origin=origin, record=record,
                                    values=values, injuries=injuries)


def relatives_notification_add(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    token: MachineToken | None = None,
) -> RelativesNotification:
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"notification {record.pk}")
    with transaction.atomic():
        notification = RelativesNotification(custody_record=record, **values)
        notification.full_clean(exclude=["custody_record"])
        errors: dict[str, str] = {}
        if notification.notified_at < record.detained_at:
            errors["notified_at"] = _("Cannot be before the moment of detention.")
        _check_not_future(errors, timezone.now(), notified_at=notification.notified_at)
        _raise(errors)
        notification.save()
        if record.relatives_notified_at is None or (
            notification.notified_at < record.relatives_notified_at
        ):
            record.relatives_notified_at = notification.notified_at
            record.save(update_fields=["relatives_notified_at", "updated_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=notification, detail={"record": record.pk})
        return notification


def _right_delay_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
) -> RightDelay:
    """An authorised delay of a right; the same (right, until) twice is one delay."""
    delay = RightDelay(custody_record=record, **values)
    delay.full_clean(exclude=["custody_record"], validate_constraints=False)
    errors: dict[str, str] = {}
    if delay.authorised_at < record.detained_at:
        errors["authorised_at"] = _("Cannot be before the moment of detention.")
    if delay.until <= delay.authorised_at:
        errors["until"] = _("Must be after the moment it was authorised.")
    _check_not_future(errors, timezone.now(), authorised_at=delay.authorised_at)
    _raise(errors)
    existing = RightDelay.objects.filter(custody_record=record, right=delay.right,
                                         until=delay.until).first()
    if existing is not None:
        return existing
    delay.save()
    audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=delay,
                 detail={"record": record.pk, "right": delay.right,
                         "until": delay.until.isoformat()})
    return delay


def right_delay_add(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    token: MachineToken | None = None,
) -> RightDelay:
    """Record who authorised delaying a right, why and until when (a facility's claim)."""
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"delay {record.pk}")
    with transaction.atomic():
        return _right_delay_write(acting_user=acting_user, origin=origin, record=record,
                                  values=values)


# ------------------------------------------------ issue 22: reviews, care, cell checks

def _check_moment(record: CustodyRecord, moment: dt.datetime, name: str,
                  errors: dict[str, str]) -> None:
    """A moment of custody: from the detention to its end, not in the future."""
    if moment < record.detained_at:
        errors[name] = _("Cannot be before the moment of detention.")
    elif record.ended_at is not None and moment > record.ended_at:
        errors[name] = _("Custody had already ended.")
    _check_not_future(errors, timezone.now(), **{name: moment})


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def case_officers(record: CustodyRecord) -> tuple[set[int], set[str]]:
    """The officers involved in the record's case, as (Officer ids, names): who detained the
    person and who questioned them, in this record and in every record of the same
    pre-trial (ERDR) number. Only what the register itself says, never a complaint or a
    case against an officer (the facility would learn of it from a refusal)."""
    records = CustodyRecord.objects.filter(pk=record.pk)
    if record.erdr_number.strip():
        records = CustodyRecord.objects.filter(
            Q(pk=record.pk) | Q(erdr_number=record.erdr_number.strip()))
    names = {_name_key(name) for name in records.values_list("detaining_officer", flat=True)}
    ids: set[int] = set()
    for name, officer_id in Interrogation.objects.filter(custody_record__in=records) \
            .values_list("investigator", "investigator_officer_id"):
        names.add(_name_key(name))
        if officer_id is not None:
            ids.add(officer_id)
    return ids, names - {""}


def _review_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
) -> CustodyReview:
    """A review of continued detention; the same record and moment twice is one review."""
    values = dict(values)
    personnel_number = values.pop("reviewer_personnel_number", "") or ""
    review = CustodyReview(custody_record=record, **values)
    review.full_clean(exclude=["custody_record", "reviewer_officer"],
                      validate_constraints=False)
    existing = CustodyReview.objects.filter(custody_record=record,
                                            reviewed_at=review.reviewed_at).first()
    if existing is not None:
        if _name_key(existing.reviewer) == _name_key(review.reviewer):
            return existing
        raise ValidationError({"reviewed_at": [_("A review at this moment is already "
                                                 "recorded.")]})
    errors: dict[str, str] = {}
    _check_moment(record, review.reviewed_at, "reviewed_at", errors)
    ids, names = case_officers(record)
    officer = None
    if personnel_number.strip():
        officer = _officer_model().objects.filter(
            personnel_number=personnel_number.strip()).first()
    if _name_key(review.reviewer) in names or (officer is not None and officer.pk in ids):
        errors["reviewer"] = _("%(name)s is involved in the case (detained or questioned "
                               "the person): a review needs an officer who is not.") % {
            "name": review.reviewer}
    _raise(errors)
    review.reviewer_officer = officer_for(acting_user=acting_user, origin=origin,
                                          full_name=review.reviewer,
                                          personnel_number=personnel_number)
    review.save()
    audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                 obj=review, detail={"record": record.pk, "decision": review.decision})
    return review


def review_add(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    token: MachineToken | None = None,
) -> CustodyReview:
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"review {record.pk}")
    with transaction.atomic():
        return _review_write(acting_user=acting_user, origin=origin, record=record,
                             values=values)


RISK_FIELDS = ("intoxication", "self_harm", "mental_health", "disability", "pregnancy",
               "language", "appropriate_adult")


def _risk_assessment_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
) -> RiskAssessment:
    """The observation level is the one the answers propose, or a closer one stated."""
    assessment = RiskAssessment(custody_record=record, **values)
    proposed = custody_care.proposed_level(custody_care.Risks(
        **{name: bool(getattr(assessment, name)) for name in RISK_FIELDS}))
    if not assessment.observation_level:
        assessment.observation_level = str(proposed)
    assessment.full_clean(exclude=["custody_record"], validate_constraints=False)
    errors: dict[str, str] = {}
    if custody_care.is_looser(assessment.observation_level, proposed):
        errors["observation_level"] = _(
            "The answers call for at least: %(level)s. A closer level may be set, not a "
            "looser one.") % {"level": RiskAssessment(observation_level=proposed)
                              .get_observation_level_display()}
    _check_moment(record, assessment.assessed_at, "assessed_at", errors)
    _raise(errors)
    existing = RiskAssessment.objects.filter(custody_record=record,
                                             assessed_at=assessment.assessed_at).first()
    if existing is not None:
        return existing
    assessment.save()
    audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                 obj=assessment, detail={"record": record.pk,
                                         "level": assessment.observation_level})
    return assessment


def risk_assessment_add(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    token: MachineToken | None = None,
) -> RiskAssessment:
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"risk {record.pk}")
    with transaction.atomic():
        return _risk_assessment_write(acting_user=acting_user, origin=origin, record=record,
                                      values=values)


def _cell_check_write(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
) -> CellCheck:
    """A cell check, in the room the person was in then unless another is named. Whether a
    camera recorded it is decided later, from the footage (custody.alerts)."""
    check = CellCheck(custody_record=record, **values)
    check.full_clean(exclude=["custody_record", "room"], validate_constraints=False)
    errors: dict[str, str] = {}
    _check_moment(record, check.checked_at, "checked_at", errors)
    if check.room_id is None and "checked_at" not in errors:
        stay = record.stays.filter(started_at__lte=check.checked_at).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=check.checked_at)).first()
        check.room_id = stay.room_id if stay is not None else None
    elif check.room is not None:
        _check_room(record, check.room, errors)
    _raise(errors)
    existing = CellCheck.objects.filter(custody_record=record,
                                        checked_at=check.checked_at).first()
    if existing is not None:
        return existing
    check.save()
    audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=check,
                 detail={"record": record.pk})
    return check


def cell_check_add(
    *, acting_user: User, origin: Origin, record: CustodyRecord, values: Mapping[str, Any],
    token: MachineToken | None = None,
) -> CellCheck:
    require_write(user=acting_user, origin=origin, facility=record.facility, token=token,
                  what=f"cell check {record.pk}")
    with transaction.atomic():
        return _cell_check_write(acting_user=acting_user, origin=origin, record=record,
                                 values=values)
