"""A case's parties: victims, witnesses and lawyers (persons); suspects and accused (officers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases.models import (
    Case,
    CaseParty,
    Officer,
    Person,
)
from custodywatch.cases.services._common import _local_day, _raise, _require_writer, unit_head_at
from custodywatch.core import plausible
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Facility


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
