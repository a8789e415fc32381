"""Every write about cases: one function per use case, atomic, audited.

Refusals (scope, legal rules) are audited as DENIED before anything is written, so that the
refusal stays on record while the refused change does not. Evidence registrations and
transfers queue their ledger leaf in the same transaction as the row they record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, user_can
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases import body, selectors
from custodywatch.cases.models import (
    Accusation,
    Article,
    Case,
    CaseParty,
    CaseStatus,
    CaseStep,
    CaseTransition,
    Charge,
    ClosureGround,
    CompensationClaim,
    Consent,
    Consistency,
    CrisisCentre,
    EvidenceExclusion,
    EvidenceItem,
    EvidenceTransfer,
    Examination,
    ExaminationPhoto,
    ExclusionKind,
    Finding,
    Officer,
    Person,
    ReferralOutcome,
    ReferralService,
    SupportReferral,
    Verdict,
    evidence_file_path,
    examination_photo_path,
)
from custodywatch.cases.rules import (
    MAX_EVIDENCE_BYTES,
    MAX_IMPRISONMENT_MONTHS,
    MAX_PHOTO_BYTES,
)
from custodywatch.complaints import rules as complaint_rules
from custodywatch.complaints import timeline_text as timeline_words
from custodywatch.complaints.attachments import sniff
from custodywatch.complaints.models import Complaint, LegalHold, TimelineEvent
from custodywatch.complaints.selectors import COMPLAINT_POLICY, complaints_visible, held_footage
from custodywatch.core import images, plausible, stored_files
from custodywatch.custody.models import CustodyRecord
from custodywatch.escrow import services as escrow_services
from custodywatch.escrow.models import HoldReason
from custodywatch.kernels import case_rules
from custodywatch.kernels.ledger_leaf import iso_time
from custodywatch.ledger.appends import (
    custody_transfer_fields,
    evidence_registered_fields,
    ledger_append,
)
from custodywatch.ledger.models import LeafKind
from custodywatch.registry.models import Facility, HeadAppointment

CHUNK = 256 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png"}


# ------------------------------------------------------------------ helpers


def _deny(user: User | None, origin: Origin, message: str, obj: Model | None = None,
          object_type: str = "cases.case") -> PermissionDenied:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=obj,
                 object_type=object_type if obj is None else "", detail={"reason": message})
    return PermissionDenied(message)


def _require_writer(user: User, origin: Origin, case: Case) -> None:
    if not selectors.can_write(user=user, case=case):
        raise _deny(user, origin, _("You do not run this case."), case)


def _refuse_rules(user: User, origin: Origin, case: Case,
                  violations: list[case_rules.RuleViolation]) -> ValidationError:
    """A legal-rule refusal: the rule's text beside each field; the refusal is audited."""
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin, obj=case,
                 detail={"reason": "legal rule", "rules": [v.code for v in violations]})
    errors: dict[str, list[str]] = {}
    for violation in violations:
        errors.setdefault(violation.field, []).append(_(violation.text))
    return ValidationError(errors)


def _now_or(moment: dt.datetime | None) -> dt.datetime:
    return moment or timezone.now()


def _not_future(errors: dict, field: str, moment: dt.datetime | None, now: dt.datetime) -> None:
    """A case's event: aware, since 1991, not in the future (core/plausible.py)."""
    plausible.collect(errors, plausible.Kind.PAST, field, moment, now)


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _may_lead(user: User | None, facility: Facility) -> bool:
    """A prosecutor who may supervise or investigate a case about this facility."""
    if user is None:
        return True
    if not user_can(user, Capability.RUN_CASES):
        return False
    return user.scope == Scope.COUNTRY or (user.scope == Scope.REGION
                                           and user.region_id == facility.region_id)


# ------------------------------------------------------------------ case


def case_open(*, acting_user: User, origin: Origin, register_number: str, title: str,
              facility: Facility, complaints: Iterable[Complaint] = (),
              ex_officio: bool = False, summary: str = "", unit: str = "",
              supervising_prosecutor: User | None = None,
              investigating_prosecutor: User | None = None,
              events_from: dt.datetime | None = None, events_until: dt.datetime | None = None,
              registered_at: dt.datetime | None = None,
              suspects: Iterable[Officer] = ()) -> Case:
    """Register a pre-trial investigation from complaints, or ex officio.

    Each complaint's timeline gets a "case opened" event; `suspects` (the page pre-fills the
    officers the complaints accuse) become the case's suspects.
    """
    if not has_capability(acting_user, Capability.RUN_CASES):
        raise _deny(acting_user, origin, _("Only prosecutors open torture cases."))
    now = timezone.now()
    registered_at = _now_or(registered_at)
    complaints = list(complaints)
    number = case_rules.normalise_register_number(register_number)
    errors: dict[str, Any] = {}
    bad_number = case_rules.check_register_number(register_number)
    if bad_number is not None:
        errors["register_number"] = _(bad_number.text)
    elif Case.objects.filter(register_number=number).exists():
        errors["register_number"] = _("A case with this ERDR number is already registered.")
    if not title.strip():
        errors["title"] = _("Give the case a title.")
    if not _may_lead(acting_user, facility):
        errors["facility"] = _("This facility is outside your region.")
    if not complaints and not ex_officio:
        errors["complaints"] = _("Name the complaints the case is opened from, or open it "
                                 "ex officio.")
    visible = complaints_visible(user=acting_user)
    hidden = [c.reference for c in complaints if not visible.filter(pk=c.pk).exists()]
    if hidden:
        errors["complaints"] = _("Not among the complaints you handle: %(refs)s.") % {
            "refs": ", ".join(hidden)}
    for field, prosecutor in (("supervising_prosecutor", supervising_prosecutor),
                              ("investigating_prosecutor", investigating_prosecutor)):
        if not _may_lead(prosecutor, facility):
            errors[field] = _("Choose a prosecutor competent for this facility's region.")
    if events_from and events_until and events_until <= events_from:
        errors["events_until"] = _("The events end after they start.")
    suspects = list(dict.fromkeys(suspects))
    if any(officer.pk is None for officer in suspects):
        errors["suspects"] = _("Choose recorded officers.")
    _not_future(errors, "registered_at", registered_at, now)
    _not_future(errors, "events_from", events_from, now)
    _raise(errors)
    if supervising_prosecutor is None:
        supervising_prosecutor = acting_user
    with transaction.atomic():
        case = Case.objects.create(
            register_number=number, title=title.strip(), summary=summary, ex_officio=ex_officio,
            facility=facility, region_id=facility.region_id, unit=unit,
            supervising_prosecutor=supervising_prosecutor,
            investigating_prosecutor=investigating_prosecutor, events_from=events_from,
            events_until=events_until, status=CaseStatus.REGISTERED,
            registered_at=registered_at, status_changed_at=registered_at)
        case.complaints.set(complaints)
        CaseTransition.objects.create(case=case, from_status="", to_status=CaseStatus.REGISTERED,
                                      actor=acting_user, at=registered_at)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=case,
                     detail={"complaints": [c.reference for c in complaints],
                             "ex_officio": ex_officio})
        for complaint in complaints:
            # The note is the register number; the complaint's page shows it only to readers
            # who may open the case (complaints/views.py).
            TimelineEvent.objects.create(complaint=complaint, kind=TimelineEvent.Kind.CASE_OPENED,
                                         at=registered_at, actor=acting_user,
                                         note=case.register_number)
            audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                         obj=complaint, detail={"case_opened": case.register_number})
        _hold_case_footage(case, complaints, suspects, acting_user, origin, now)
        day = _local_day(events_from or registered_at)
        for officer in suspects:
            party = CaseParty.objects.create(case=case, role=CaseParty.Role.SUSPECT,
                                             officer=officer,
                                             unit_head=unit_head_at(officer.facility, day))
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=party, object_label=f"{case.register_number}: suspect",
                         detail={"case": case.register_number, "role": "suspect",
                                 "officer": officer.pk, "from_complaint": True})
    return case


def _hold_case_footage(case: Case, complaints: list[Complaint], suspects: list[Officer],
                       acting_user: User, origin: Origin, now: dt.datetime) -> None:
    """Keep the off-site copies of the case's footage (escrow/services.py), in the case's own
    transaction: the events' period where the case gives one, else the span of its complaints'
    legal holds, else the complaint look-back before registration; the rooms of those holds
    where every one names rooms, else every camera of the facility. At the centre only: no
    read of the facility changes (docs/security.md)."""
    holds = list(LegalHold.objects.filter(complaint__in=complaints, facility=case.facility)
                 .prefetch_related("rooms"))
    started_at = case.events_from or (min(h.starts_at for h in holds) if holds else
                                      case.registered_at - complaint_rules.HOLD_DEFAULT_LOOKBACK)
    ended_at = case.events_until or (max(h.ends_at for h in holds) if holds else
                                     max(now, case.registered_at) + complaint_rules.HOLD_MARGIN)
    if ended_at <= started_at:
        ended_at = started_at + complaint_rules.HOLD_MARGIN
    rooms = ({room for hold in holds for room in hold.rooms.all()}
             if holds and all(hold.rooms.all() for hold in holds) else set())
    cameras = escrow_services.worn_cameras(
        personnel_numbers=[officer.personnel_number for officer in suspects],
        started_at=started_at, ended_at=ended_at) if rooms else []
    escrow_services.place_hold(acting_user=acting_user, origin=origin, facility=case.facility,
                               started_at=started_at, ended_at=ended_at,
                               reason=HoldReason.CASE, reference=f"case:{case.pk}",
                               rooms=sorted(rooms, key=lambda room: room.pk), cameras=cameras,
                               now=now)


def case_transition(*, acting_user: User, origin: Origin, case: Case, to_status: str,
                    ground: str = "", note: str = "", at: dt.datetime | None = None) -> Case:
    """Move a case along its lifecycle (kernels/case_rules.TRANSITIONS)."""
    _require_writer(acting_user, origin, case)
    at = _now_or(at)
    with transaction.atomic():
        case = _lock(case)
        violation = case_rules.check_transition(from_status=case.status, to_status=to_status,
                                                ground=ground, note=note)
        errors: dict[str, Any] = {}
        if violation is not None:
            errors[violation.field] = _(violation.text)
        if ground and ground not in ClosureGround.values:
            errors["ground"] = _("Unknown ground.")
        if at < case.status_changed_at:
            errors["at"] = _("A status change cannot precede the last one.")
        _not_future(errors, "at", at, timezone.now())
        if errors:
            audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                         obj=case, detail={"reason": "transition", "to": to_status})
            _raise(errors)
        from_status = case.status
        case.status = to_status
        case.status_changed_at = at
        case.closure_ground = ground if to_status == CaseStatus.CLOSED else ""
        if to_status in case_rules.DECISIONS and case.decision_at is None:
            case.decision_at = at
        case.save(update_fields=["status", "status_changed_at", "closure_ground", "decision_at",
                                 "updated_at"])
        CaseTransition.objects.create(case=case, from_status=from_status, to_status=to_status,
                                      ground=ground, note=note[:500], actor=acting_user, at=at)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=case,
                     detail={"from": from_status, "to": to_status, "ground": ground})
    return case


def case_step_add(*, acting_user: User, origin: Origin, case: Case, kind: str,
                  taken_at: dt.datetime, description: str = "") -> CaseStep:
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    if kind not in CaseStep.Kind.values:
        errors["kind"] = _("Unknown step.")
    if taken_at < case.registered_at:
        errors["taken_at"] = _("A step of this case cannot precede its registration.")
    _not_future(errors, "taken_at", taken_at, timezone.now())
    _raise(errors)
    with transaction.atomic():
        case = _lock(case)
        step = CaseStep.objects.create(case=case, kind=kind, taken_at=taken_at,
                                       description=description, recorded_by=acting_user)
        _first_step(case, taken_at)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=step,
                     detail={"case": case.register_number, "kind": kind})
    return step


def _first_step(case: Case, moment: dt.datetime) -> None:
    if case.first_step_at is None or moment < case.first_step_at:
        case.first_step_at = moment
        case.save(update_fields=["first_step_at", "updated_at"])


# ------------------------------------------------------------------ parties


def party_add_person(*, acting_user: User, origin: Origin, case: Case, role: str,
                     full_name: str = "", person: Person | None = None, iin: str = "",
                     date_of_birth: dt.date | None = None, sex: str = Person.Sex.UNKNOWN,
                     custody_record: CustodyRecord | None = None,
                     represents: CaseParty | None = None, note: str = "") -> CaseParty:
    """A victim, witness or lawyer. The same person (by IIN) is one Person in every case."""
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    if role not in CaseParty.Role.values or role in CaseParty.OFFICER_ROLES:
        errors["role"] = _("Victims, witnesses and lawyers are persons; suspects and accused "
                           "are officers.")
    if person is None and not full_name.strip():
        errors["full_name"] = _("Give the person's full name.")
    if iin and not (iin.isdigit() and len(iin) == 12):
        errors["iin"] = _("An IIN has 12 digits.")
    plausible.collect(errors, plausible.Kind.BIRTH, "date_of_birth", date_of_birth)
    if custody_record is not None and not CustodyRecord.objects.filter(
            facility_q(acting_user, "facility"), pk=custody_record.pk).exists():
        errors["custody_record"] = _("No such custody record in your scope.")
    if represents is not None and (represents.case_id != case.pk
                                   or represents.role != CaseParty.Role.VICTIM):
        errors["represents"] = _("A lawyer represents a victim of this case.")
    if role == CaseParty.Role.LAWYER and represents is None and "represents" not in errors:
        errors["represents"] = _("Name the victim the lawyer represents.")
    _raise(errors)
    with transaction.atomic():
        if person is None and iin:
            person = Person.objects.filter(iin=iin).first()
        if person is None:
            person = Person.objects.create(full_name=full_name.strip(), iin=iin,
                                           date_of_birth=date_of_birth, sex=sex)
        if case.parties.filter(person=person, role=role).exists():
            raise ValidationError({"full_name": _("This person is already a party in this "
                                                  "role.")})
        if custody_record is not None:
            person.custody_records.add(custody_record)
        party = CaseParty.objects.create(case=case, role=role, person=person,
                                         custody_record=custody_record,
                                         represents=represents if role == CaseParty.Role.LAWYER
                                         else None, note=note[:500])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=party, object_label=f"{case.register_number}: {role}",
                     detail={"case": case.register_number, "role": role})
    return party


def unit_head_at(facility: Facility | None, day: dt.date) -> HeadAppointment | None:
    """Who headed the unit on that day (heads are personally responsible)."""
    if facility is None:
        return None
    return selectors.head_at(list(facility.head_appointments.all()), day)


def party_add_officer(*, acting_user: User, origin: Origin, case: Case, role: str,
                      officer: Officer | None = None, full_name: str = "",
                      personnel_number: str = "", rank: str = "", position: str = "",
                      facility: Facility | None = None, user: User | None = None,
                      note: str = "") -> CaseParty:
    """A suspect or accused officer; a suspect charged becomes the accused (same row)."""
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    if role not in CaseParty.OFFICER_ROLES:
        errors["role"] = _("Only suspects and accused are officers.")
    if officer is None and not full_name.strip():
        errors["full_name"] = _("Give the officer's full name.")
    _raise(errors)
    with transaction.atomic():
        if officer is None and personnel_number:
            officer = Officer.objects.filter(personnel_number=personnel_number).first()
        if officer is None:
            officer = Officer.objects.create(
                full_name=full_name.strip(), personnel_number=personnel_number, rank=rank,
                position=position, facility=facility or case.facility, user=user)
        existing = case.parties.filter(officer=officer).first()
        if existing is not None:
            if existing.role == CaseParty.Role(role) or role == CaseParty.Role.SUSPECT:
                raise ValidationError({"full_name": _("This officer is already a party.")})
            existing.role = role
            existing.save(update_fields=["role"])
            party = existing
        else:
            day = _local_day(case.events_from or case.registered_at)
            party = CaseParty.objects.create(
                case=case, role=role, officer=officer, note=note[:500],
                unit_head=unit_head_at(officer.facility, day))
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=party, object_label=f"{case.register_number}: {role}",
                     detail={"case": case.register_number, "role": role,
                             "officer": officer.pk})
    return party


# ------------------------------------------------------------------ accused officers of a complaint


def _require_complaint_handler(user: User, origin: Origin, complaint: Complaint) -> None:
    if not COMPLAINT_POLICY.can(user, "handle", complaint):
        raise _deny(user, origin, _("You do not handle this complaint."), complaint)


def accusation_add(*, acting_user: User, origin: Origin, complaint: Complaint,
                   officer: Officer | None = None, full_name: str = "",
                   personnel_number: str = "", rank: str = "", position: str = "",
                   user: User | None = None, note: str = "") -> Accusation:
    """Link an officer the complaint accuses to an Officer record (found by personnel number,
    else created in the facility concerned), optionally with his user account.

    From then on that account never sees the complaint (complaints_q), is never given it, and
    stops handling it at once if he did.
    """
    _require_complaint_handler(acting_user, origin, complaint)
    errors: dict[str, Any] = {}
    personnel_number = personnel_number.strip()
    if officer is None and not full_name.strip() and not personnel_number:
        errors["full_name"] = _("Give the officer's full name or personnel number.")
    if officer is None and personnel_number:
        officer = Officer.objects.filter(personnel_number=personnel_number).first()
    if officer is None and not full_name.strip():
        errors.setdefault("personnel_number", _("No officer has this personnel number; give "
                                                "his full name to record him."))
    if officer is not None and user is not None and officer.user_id not in (None, user.pk):
        errors["user"] = _("This officer is recorded with another user account.")
    if officer is not None and complaint.accusations.filter(officer=officer).exists():
        errors["full_name"] = _("This officer is already linked to the complaint.")
    _raise(errors)
    now = timezone.now()
    with transaction.atomic():
        if officer is None:
            officer = Officer.objects.create(
                full_name=full_name.strip(), personnel_number=personnel_number,
                rank=rank.strip(), position=position.strip(), facility=complaint.facility,
                user=user)
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=officer, detail={"complaint": complaint.reference})
        elif user is not None and officer.user_id is None:
            officer.user = user
            officer.save(update_fields=["user"])
            audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                         obj=officer, detail={"user": user.get_username()})
        accusation = Accusation.objects.create(complaint=complaint, officer=officer,
                                               note=note.strip()[:500], added_by=acting_user)
        TimelineEvent.objects.create(complaint=complaint, kind=TimelineEvent.Kind.ACCUSED,
                                     at=now, actor=acting_user, parts=[timeline_words.text(
                                         gettext_noop("Accused officer linked: %(name)s"),
                                         name=officer.full_name)])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=accusation, object_label=f"{complaint.reference}: accused officer",
                     detail={"complaint": complaint.reference, "officer": officer.pk})
        handler = complaint.handler
        if handler is not None and officer.user_id == handler.pk:
            # The accused never handles the complaint: back to the handling body's inbox.
            Complaint.objects.filter(pk=complaint.pk).update(handler=None)
            complaint.handler = None
            TimelineEvent.objects.create(
                complaint=complaint, kind=TimelineEvent.Kind.REASSIGNED, at=now,
                actor=acting_user, parts=[timeline_words.text(
                    gettext_noop("%(user)s → —: accused in this complaint"),
                    user=handler.get_username())])
            audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                         obj=complaint, detail={"handler": None,
                                                "previous": handler.get_username(),
                                                "reason": "accused officer"})
    return accusation


def accusation_remove(*, acting_user: User, origin: Origin, accusation: Accusation,
                      reason: str) -> None:
    """Undo a wrong link, with a reason (audited; the timeline keeps both)."""
    complaint = accusation.complaint
    _require_complaint_handler(acting_user, origin, complaint)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for removing the link.")})
    with transaction.atomic():
        name = accusation.officer.full_name
        audit_record(actor=acting_user, action=AuditEvent.Action.DELETE, origin=origin,
                     obj=accusation, object_label=f"{complaint.reference}: accused officer",
                     detail={"complaint": complaint.reference,
                             "officer": accusation.officer_id, "reason": reason.strip()})
        accusation.delete()
        TimelineEvent.objects.create(
            complaint=complaint, kind=TimelineEvent.Kind.ACCUSED, at=timezone.now(),
            actor=acting_user, note=reason.strip()[:500], parts=[timeline_words.text(
                gettext_noop("Accused officer unlinked: %(name)s"), name=name)])


# ------------------------------------------------------------------ charges


FLAG_FIELDS = case_rules.RELEASE_FLAGS
SENTENCE_FIELDS = ("imprisonment_months", "fine_amount", "ban_on_positions_years")
# Beyond these a value is a typing error (and 10^20 months overflowed the column: a 500).
SENTENCE_MAX = {"imprisonment_months": MAX_IMPRISONMENT_MONTHS,
                "fine_amount": Decimal("999999999999.99"), "ban_on_positions_years": 100}


def _outcome_errors(values: dict[str, Any]) -> dict[str, Any]:
    """Consistency of a verdict and its sentence (not legal rules: plain input checks)."""
    errors: dict[str, Any] = {}
    verdict = values.get("verdict") or Verdict.PENDING
    if verdict not in Verdict.values:
        errors["verdict"] = _("Unknown verdict.")
    if verdict != Verdict.PENDING and not values.get("verdict_on"):
        errors["verdict_on"] = _("Give the date of the verdict.")
    if verdict != Verdict.CONVICTED:
        for field in (*SENTENCE_FIELDS, "probation"):
            if values.get(field):
                errors[field] = _("A sentence follows a conviction only.")
    plausible.collect(errors, plausible.Kind.PAST, "verdict_on", values.get("verdict_on"))
    for field in SENTENCE_FIELDS:
        value = values.get(field)
        if value is not None and value != "" and Decimal(str(value)) < 0:
            errors[field] = _("Not a negative number.")
        elif value is not None and value != "" and Decimal(str(value)) > SENTENCE_MAX[field]:
            errors[field] = _("At most %(max)s.") % {"max": SENTENCE_MAX[field]}
    return errors


def _charge_violations(article: str, values: dict[str, Any]) -> list[case_rules.RuleViolation]:
    return case_rules.charge_rule_violations(
        article=article, verdict=values.get("verdict") or Verdict.PENDING,
        flags={name: bool(values.get(name)) for name in FLAG_FIELDS})


def charge_add(*, acting_user: User, origin: Origin, case: Case, accused: CaseParty,
               victim: CaseParty, article: str, article_part: str = "",
               **outcome: Any) -> Charge:
    """One accused x one victim x one article, with its verdict and sentence if known.

    Legal rules (art. 146) are checked at entry and a breach is refused with the rule's text.
    """
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    if accused.case_id != case.pk or accused.role != CaseParty.Role.ACCUSED:
        errors["accused"] = _("Choose an accused of this case.")
    if victim.case_id != case.pk or victim.role != CaseParty.Role.VICTIM:
        errors["victim"] = _("Choose a victim of this case.")
    if article not in Article.values:
        errors["article"] = _("Unknown article.")
    errors.update(_outcome_errors(outcome))
    _raise(errors)
    violations = _charge_violations(article, outcome)
    if violations:
        raise _refuse_rules(acting_user, origin, case, violations)
    try:
        with transaction.atomic():
            charge = Charge.objects.create(case=case, accused=accused, victim=victim,
                                           article=article, article_part=article_part,
                                           **_outcome_values(outcome))
            audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                         obj=charge, detail={"case": case.register_number, "article": article,
                                             "verdict": charge.verdict})
    except IntegrityError:
        raise ValidationError({"article": _("This accused is already charged under this "
                                            "article for this victim.")}) from None
    return charge


def _outcome_values(outcome: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"verdict": outcome.get("verdict") or Verdict.PENDING,
                              "verdict_on": outcome.get("verdict_on")}
    for field in SENTENCE_FIELDS:
        value = outcome.get(field)
        values[field] = None if value in (None, "") else value
    for field in FLAG_FIELDS:
        values[field] = bool(outcome.get(field))
    return values


def charge_outcome_set(*, acting_user: User, origin: Origin, charge: Charge,
                       **outcome: Any) -> Charge:
    """Record a verdict and sentence on a charge; the same legal rules as at entry."""
    case = charge.case
    _require_writer(acting_user, origin, case)
    _raise(_outcome_errors(outcome))
    violations = _charge_violations(charge.article, outcome)
    if violations:
        raise _refuse_rules(acting_user, origin, case, violations)
    with transaction.atomic():
        for field, value in _outcome_values(outcome).items():
            setattr(charge, field, value)
        charge.rule_flags = []
        charge.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=charge, detail={"case": case.register_number, "verdict": charge.verdict})
    return charge


# ------------------------------------------------------------------ forensic examinations


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


def _hash_upload(upload: UploadedFile) -> tuple[str, int]:
    upload.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def photo_add(*, acting_user: User, origin: Origin, examination: Examination,
              upload: UploadedFile, finding: Finding | None = None,
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


# ------------------------------------------------------------------ evidence


def _record_hash(fields: dict[str, Any]) -> str:
    """A physical item has no file: its registration commits to the hash of its record."""
    dumped = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                        default=str)
    return hashlib.sha256(dumped.encode()).hexdigest()


def _footage_manifest(hold: LegalHold) -> tuple[str, int]:
    """The held footage as one hash: SHA-256 over the held segments' lines, in order."""
    lines = [f"{s.camera.code} {iso_time(s.started_at)} {iso_time(s.ended_at)} {s.sha256}"
             for s in held_footage(complaint=hold.complaint)
             if s.camera.facility_id == hold.facility_id]
    data = "\n".join(lines).encode()
    return hashlib.sha256(data).hexdigest(), len(lines)


def evidence_register(*, acting_user: User, origin: Origin, case: Case, label: str, kind: str,
                      description: str, found_at: str, collected_by: str,
                      collected_at: dt.datetime, holder: str, location: str,
                      upload: UploadedFile | None = None,
                      legal_hold: LegalHold | None = None) -> EvidenceItem:
    """An evidence item, hashed (file streamed, footage manifest, or the record itself) and
    logged in the evidence ledger in the same transaction."""
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    required = {"label": label, "description": description, "found_at": found_at,
                "collected_by": collected_by, "holder": holder, "location": location}
    for field, value in required.items():
        if not (value or "").strip():
            errors[field] = _("This field is required.")
    if kind not in EvidenceItem.Kind.values:
        errors["kind"] = _("Unknown type.")
    if label and case.evidence.filter(label=label.strip()).exists():
        errors["label"] = _("Another item of this case has this label.")
    _not_future(errors, "collected_at", collected_at, timezone.now())
    if legal_hold is not None and not case.complaints.filter(pk=legal_hold.complaint_id).exists():
        errors["legal_hold"] = _("Choose held footage of a complaint of this case.")
    if upload is not None and upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
        errors["file"] = _("The file is larger than %(limit)s.") % {
            "limit": filesizeformat(MAX_EVIDENCE_BYTES)}
    _raise(errors)
    now = timezone.now()
    item = EvidenceItem(case=case, label=label.strip(), kind=kind, description=description,
                        found_at=found_at, collected_by=collected_by, collected_at=collected_at,
                        holder=holder.strip(), location=location.strip(),
                        legal_hold=legal_hold, registered_by=acting_user)
    media_type = ""
    if upload is not None:
        item.sha256, item.size = _hash_upload(upload)
        media = sniff(upload.read(16))
        upload.seek(0)
        media_type = media.name if media else "application/octet-stream"
        item.original_name = (upload.name or "file")[-200:]
        # Content-addressed; a damaged copy of the same content is replaced by this genuine
        # upload, which repairs the store (core/stored_files.py).
        item.file.name, repaired = stored_files.store_content_addressed(
            evidence_file_path(item, item.original_name), upload, item.sha256)
    elif legal_hold is not None:
        item.sha256, item.size = _footage_manifest(legal_hold)
        media_type = "text/x-footage-manifest"
    else:
        item.sha256 = _record_hash({"case": case.register_number, **required, "kind": kind,
                                    "collected_at": iso_time(collected_at)})
        item.size = 0
    with transaction.atomic():
        item.save()
        fields = evidence_registered_fields(
            evidence=selectors.evidence_ledger_name(item), sha256=item.sha256,
            size=item.size or 0, by=acting_user.get_username(), at=now,
            case=case.register_number, media_type=media_type, name=item.original_name)
        pending = ledger_append(kind=LeafKind.EVIDENCE_REGISTERED, fields=fields)
        item.ledger_pending_id = pending.pk
        item.save(update_fields=["ledger_pending_id"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=item,
                     detail={"case": case.register_number, "sha256": item.sha256})
    if upload is not None and repaired:
        stored_files.resolve_repaired(item.file.name, item.sha256)
    return item


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def evidence_transfer(*, acting_user: User, origin: Origin, item: EvidenceItem,
                      from_holder: str, from_location: str, to_holder: str, to_location: str,
                      transferred_at: dt.datetime, reason: str) -> EvidenceTransfer:
    """One hand-over. It must start where the chain last ended, else it is refused."""
    _require_writer(acting_user, origin, item.case)
    with transaction.atomic():
        item = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
        errors: dict[str, Any] = {}
        if not _same(from_holder, item.holder) or not _same(from_location, item.location):
            errors["from_holder"] = _(
                "The chain of custody would break: the item is with %(holder)s at "
                "%(location)s, and a transfer starts there.") % {
                "holder": item.holder, "location": item.location}
        if not to_holder.strip() or not to_location.strip():
            errors["to_holder"] = _("Say to whom and where the item goes.")
        elif _same(to_holder, from_holder) and _same(to_location, from_location):
            errors["to_holder"] = _("A transfer changes the holder or the place.")
        if not reason.strip():
            errors["reason"] = _("Give the reason for the transfer.")
        last = item.transfers.order_by("-transferred_at").first()
        since = last.transferred_at if last is not None else item.collected_at
        if transferred_at < since:
            errors["transferred_at"] = _("A transfer cannot precede the last step of the chain.")
        _not_future(errors, "transferred_at", transferred_at, timezone.now())
        if errors:
            audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                         obj=item, detail={"reason": "chain of custody"})
            _raise(errors)
        transfer = EvidenceTransfer.objects.create(
            item=item, from_holder=item.holder, from_location=item.location,
            to_holder=to_holder.strip(), to_location=to_location.strip(),
            transferred_at=transferred_at, reason=reason.strip(), recorded_by=acting_user)
        pending = ledger_append(kind=LeafKind.CUSTODY_TRANSFER, fields=custody_transfer_fields(
            evidence=selectors.evidence_ledger_name(item), sha256=item.sha256,
            transfer=transfer.pk, at=transferred_at, case=item.case.register_number,
            handed_from=f"{transfer.from_holder} @ {transfer.from_location}",
            handed_to=f"{transfer.to_holder} @ {transfer.to_location}",
            by=acting_user.get_username(), reason=transfer.reason))
        transfer.ledger_pending_id = pending.pk
        transfer.save(update_fields=["ledger_pending_id"])
        item.holder, item.location = transfer.to_holder, transfer.to_location
        item.save(update_fields=["holder", "location"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=item,
                     detail={"transfer": transfer.pk})
    return transfer


# ------------------------------------------------------------------ victims' support


def _victim_of(case: Case, victim: CaseParty, errors: dict) -> None:
    if victim.case_id != case.pk or victim.role != CaseParty.Role.VICTIM:
        errors["victim"] = _("Choose a victim of this case.")


def referral_add(*, acting_user: User, origin: Origin, case: Case, victim: CaseParty,
                 kind: str, crisis_centre: CrisisCentre | None, consent: str,
                 referred_at: dt.datetime | None = None, note: str = "") -> SupportReferral:
    """Refer a victim to a centre of the registry that offers the support, with the person's
    consent recorded (nobody is referred without it); the centre's answer is due within its
    days (the response clock, cases/tasks.py)."""
    _require_writer(acting_user, origin, case)
    referred_at = _now_or(referred_at)
    errors: dict[str, Any] = {}
    _victim_of(case, victim, errors)
    if kind not in SupportReferral.Kind.values:
        errors["kind"] = _("Unknown kind of support.")
    if crisis_centre is None or not crisis_centre.is_active:
        errors["crisis_centre"] = _("Choose a crisis centre of the registry.")
    elif kind in SupportReferral.Kind.values and not crisis_centre.offers(kind):
        errors["crisis_centre"] = _("This centre does not offer this support.")
    if consent not in Consent.values:
        errors["consent"] = _("Record how the person consented to the referral.")
    _not_future(errors, "referred_at", referred_at, timezone.now())
    _raise(errors)
    assert crisis_centre is not None  # noqa: S101  (checked above)
    now = timezone.now()
    with transaction.atomic():
        referral = SupportReferral.objects.create(
            case=case, victim=victim, kind=kind, centre=crisis_centre.name,
            crisis_centre=crisis_centre, consent=consent, consent_recorded_at=now,
            consent_recorded_by=acting_user, referred_at=referred_at,
            status_changed_at=referred_at,
            response_due_at=referred_at + dt.timedelta(days=crisis_centre.response_days),
            note=note[:500])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=referral, detail={"case": case.register_number, "kind": kind,
                                           "centre": crisis_centre.pk, "consent": consent})
    return referral


# A referral's outcome is recorded when it ends.
ENDED_REFERRAL = (SupportReferral.Status.COMPLETED, SupportReferral.Status.DECLINED)


def referral_status_set(*, acting_user: User, origin: Origin, referral: SupportReferral,
                        status: str, outcome: str = "", note: str = "") -> SupportReferral:
    """The centre's answer and progress as reported to the prosecutor. The first status other
    than referred is the centre's answer and stops the response clock; an ended referral
    carries its outcome."""
    _require_writer(acting_user, origin, referral.case)
    errors: dict[str, Any] = {}
    if status not in SupportReferral.Status.values:
        errors["status"] = _("Unknown status.")
    if outcome and outcome not in ReferralOutcome.values:
        errors["outcome"] = _("Unknown outcome.")
    elif status in ENDED_REFERRAL and not outcome and referral.crisis_centre_id:
        errors["outcome"] = _("Record the outcome of an ended referral.")
    _raise(errors)
    with transaction.atomic():
        previous = referral.status
        now = timezone.now()
        referral.status = status
        referral.status_changed_at = now
        if status != SupportReferral.Status.REFERRED and referral.responded_at is None:
            referral.responded_at = now
        referral.outcome = outcome if status in ENDED_REFERRAL else ""
        if note:
            referral.note = note[:500]
        referral.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=referral, detail={"from": previous, "to": status, "outcome": outcome})
    return referral


def referral_service_add(*, acting_user: User, origin: Origin, referral: SupportReferral,
                         kind: str, given_on: dt.date, sessions: int = 1,
                         note: str = "") -> ReferralService:
    """A service the centre reports it gave under the referral."""
    _require_writer(acting_user, origin, referral.case)
    errors: dict[str, Any] = {}
    if kind not in SupportReferral.Kind.values:
        errors["kind"] = _("Unknown kind of support.")
    if given_on < timezone.localdate(referral.referred_at) or given_on > timezone.localdate():
        errors["given_on"] = _("A service is given between the referral and today.")
    if sessions < 1:
        errors["sessions"] = _("At least one session.")
    if referral.status == SupportReferral.Status.DECLINED:
        errors["referral"] = _("The centre declined this referral.")
    _raise(errors)
    with transaction.atomic():
        service = ReferralService.objects.create(
            referral=referral, kind=kind, given_on=given_on, sessions=sessions,
            note=note[:500], recorded_by=acting_user)
        if referral.responded_at is None:
            referral.responded_at = timezone.now()
            referral.save(update_fields=["responded_at"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=service, detail={"referral": referral.pk, "kind": kind,
                                          "sessions": sessions})
    return service


def evidence_exclusion_record(*, acting_user: User, origin: Origin, facility: Facility,
                              court: str, ruling_reference: str, ruled_on: dt.date, kind: str,
                              person_sex: str = Person.Sex.UNKNOWN,
                              person_age: int | None = None, person_citizenship: str = "",
                              criminal_case_number: str = "",
                              case: Case | None = None) -> EvidenceExclusion:
    """Record a court's exclusion of evidence obtained by torture (prosecutors, in scope)."""
    if not user_can(acting_user, Capability.RUN_CASES) or not Facility.objects.filter(
            facility_q(acting_user), pk=facility.pk).exists():
        raise _deny(acting_user, origin, _("You may not record this ruling."),
                    object_type="cases.evidenceexclusion")
    errors: dict[str, Any] = {}
    if not court.strip():
        errors["court"] = _("Name the court.")
    if not ruling_reference.strip():
        errors["ruling_reference"] = _("Give the ruling's reference.")
    if ruled_on > timezone.localdate():
        errors["ruled_on"] = _("A ruling is not in the future.")
    if kind not in ExclusionKind.values:
        errors["kind"] = _("Unknown kind of evidence.")
    if person_sex not in Person.Sex.values:
        errors["person_sex"] = _("Unknown sex.")
    if person_age is not None and not 10 <= person_age <= 120:
        errors["person_age"] = _("An age between 10 and 120.")
    citizenship = person_citizenship.strip().upper()
    if citizenship and not (len(citizenship) == 2 and citizenship.isalpha()):
        errors["person_citizenship"] = _("A two-letter country code (ISO 3166-1).")
    if EvidenceExclusion.objects.filter(court=court.strip(),
                                        ruling_reference=ruling_reference.strip()).exists():
        errors["ruling_reference"] = _("This ruling is recorded already.")
    _raise(errors)
    with transaction.atomic():
        exclusion = EvidenceExclusion.objects.create(
            facility=facility, court=court.strip(), ruling_reference=ruling_reference.strip(),
            ruled_on=ruled_on, kind=kind, person_sex=person_sex, person_age=person_age,
            person_citizenship=citizenship, criminal_case_number=criminal_case_number.strip(),
            case=case, recorded_by=acting_user)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=exclusion, detail={"facility": facility.code, "kind": kind})
    return exclusion


def compensation_claim_add(*, acting_user: User, origin: Origin, case: Case,
                           victim: CaseParty, claimed_at: dt.date, amount_claimed: Decimal,
                           note: str = "") -> CompensationClaim:
    """A claim to the Victim Compensation Fund, recorded by the case's prosecutor."""
    _require_writer(acting_user, origin, case)
    errors: dict[str, Any] = {}
    _victim_of(case, victim, errors)
    if amount_claimed is None or amount_claimed <= 0:
        errors["amount_claimed"] = _("The amount is positive.")
    plausible.collect(errors, plausible.Kind.PAST, "claimed_at", claimed_at)
    _raise(errors)
    with transaction.atomic():
        claim = CompensationClaim.objects.create(case=case, victim=victim, claimed_at=claimed_at,
                                                 amount_claimed=amount_claimed, note=note[:500])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=claim, detail={"case": case.register_number})
    return claim


def compensation_decide(*, acting_user: User, origin: Origin, claim: CompensationClaim,
                        decision: str, decided_at: dt.date,
                        amount_granted: Decimal | None = None, paid_at: dt.date | None = None,
                        note: str = "") -> CompensationClaim:
    """The Fund's decision and payment, recorded by a compensation officer."""
    if not has_capability(acting_user, Capability.DECIDE_COMPENSATION) or not (
            selectors.cases_visible(user=acting_user).filter(pk=claim.case_id).exists()):
        raise _deny(acting_user, origin, _("Only the Fund's officers decide claims."), claim)
    errors: dict[str, Any] = {}
    granted = decision in (CompensationClaim.Decision.GRANTED, CompensationClaim.Decision.PARTLY)
    if decision not in CompensationClaim.Decision.values or decision == "pending":
        errors["decision"] = _("Choose the decision.")
    plausible.collect(errors, plausible.Kind.PAST, "decided_at", decided_at)
    plausible.collect(errors, plausible.Kind.PAST, "paid_at", paid_at)
    if "decided_at" not in errors and decided_at < claim.claimed_at:
        errors["decided_at"] = _("The decision follows the claim.")
    if granted and (amount_granted is None or amount_granted <= 0):
        errors["amount_granted"] = _("Give the amount granted.")
    elif granted and amount_granted is not None and amount_granted > claim.amount_claimed:
        errors["amount_granted"] = _("More than was claimed.")
    if not granted and (amount_granted or paid_at):
        errors["amount_granted"] = _("A refused claim has no amount and no payment.")
    if paid_at is not None and paid_at < decided_at:
        errors["paid_at"] = _("Payment follows the decision.")
    _raise(errors)
    with transaction.atomic():
        claim.decision = decision
        claim.decided_at = decided_at
        claim.amount_granted = amount_granted if granted else None
        claim.paid_at = paid_at
        if note:
            claim.note = note[:500]
        claim.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=claim, detail={"decision": decision, "paid": bool(paid_at)})
    return claim
