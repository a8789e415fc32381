"""Import of charges from other systems (CSV file or API batch).

Unlike entry by hand, an import does NOT refuse a charge that breaks a legal rule: the data
describe what a court did, and hiding it would hide the breach. Such a charge is stored with
its ``rule_flags`` (code and rule text) and the case carries the flag too, so that reports show
it. What is refused is malformed input: every error names its line and field, and nothing is
written unless every row is good. Rows are upserts on (case, accused, victim, article), so a
retried batch changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases import charge_rows, selectors
from custodywatch.cases.charge_rows import REQUIRED
from custodywatch.cases.models import (
    Case,
    CaseParty,
    Charge,
    Officer,
    Person,
)
from custodywatch.cases.rules import MAX_IMPORT_ROWS
from custodywatch.cases.services import unit_head_at
from custodywatch.kernels import case_rules
from custodywatch.kernels.charge_plan import plan_charges

# The columns of a charges file: the fields of the row schema, in its order.
COLUMNS = list(charge_rows.ChargeRow.model_fields)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    flagged: int
    flagged_charges: list[int]


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a charges CSV (header as COLUMNS; extra or repeated columns refused). Values
    past the header are kept under the key None, and refused by the import with their line."""
    text = text.lstrip("\ufeff")
    if "\x00" in text:  # PostgreSQL text cannot hold it; never stored, never cut silently
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError({"file": _("Line %(line)s: the file contains a NUL character.")
                               % {"line": line}})
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
        unknown = [name for name in header if name not in COLUMNS]
        missing = [name for name in REQUIRED if name not in header]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if unknown or missing or repeated:
            raise ValidationError({"file": _(
                "Line 1: the header must name the columns %(columns)s (unknown: %(unknown)s; "
                "missing: %(missing)s; repeated: %(repeated)s).") % {
                "columns": ", ".join(COLUMNS), "unknown": ", ".join(unknown) or "—",
                "missing": ", ".join(missing) or "—", "repeated": ", ".join(repeated) or "—"}})
        return [dict(row) for row in reader]
    except csv.Error as error:  # e.g. a field over csv's limit of 131,072 characters
        raise ValidationError({"file": _("Line %(line)s: %(error)s") % {
            "line": reader.line_num + 1, "error": error}}) from None


def _accused(case: Case, name: str, personnel_number: str) -> CaseParty:
    officers = Officer.objects.filter(personnel_number=personnel_number) if personnel_number \
        else Officer.objects.filter(full_name=name, parties__case=case)
    officer = officers.first() or Officer.objects.create(
        full_name=name, personnel_number=personnel_number, facility=case.facility)
    party = case.parties.filter(officer=officer).first()
    if party is None:
        day = (case.events_from or case.registered_at).date()
        return CaseParty.objects.create(case=case, role=CaseParty.Role.ACCUSED, officer=officer,
                                        unit_head=unit_head_at(officer.facility, day))
    if party.role != CaseParty.Role.ACCUSED:
        party.role = CaseParty.Role.ACCUSED
        party.save(update_fields=["role"])
    return party


def _victim(case: Case, name: str, iin: str) -> CaseParty:
    person = (Person.objects.filter(iin=iin).first() if iin else
              Person.objects.filter(full_name=name, parties__case=case).first())
    if person is None:
        person = Person.objects.create(full_name=name, iin=iin)
    party = case.parties.filter(person=person, role=CaseParty.Role.VICTIM).first()
    return party or CaseParty.objects.create(case=case, role=CaseParty.Role.VICTIM,
                                             person=person)


def charges_import(*, acting_user: User, origin: Origin, rows: list[dict[str, Any]],
                   source: str = "api") -> ImportResult:
    """Upsert charges; flag (never refuse) legal-rule breaches; all rows or none."""
    if not has_capability(acting_user, Capability.RUN_CASES):
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="cases.charge", detail={"reason": "import"})
        raise PermissionDenied(_("Only prosecutors import charges."))
    if not rows:
        raise ValidationError({"rows": [_("The batch has no rows.")]})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError({"rows": [_("At most %(count)s rows a batch.") % {
            "count": MAX_IMPORT_ROWS}]})
    # Validate (the row schema), plan (a pure kernel), apply (below): all rows or none.
    numbers = {case_rules.normalise_register_number(str(r.get("register_number") or ""))
               for r in rows}
    visible = selectors.cases_visible(user=acting_user).filter(register_number__in=numbers)
    cases: dict[str, Case] = {c.register_number: c for c in visible}
    read, errors = charge_rows.read_rows(rows, 2 if source == "csv" else 1, cases)
    plan = plan_charges([(line, row.register_number, row.model_dump(exclude={"register_number"}))
                         for line, row in read if row is not None])
    if not errors:
        errors = [charge_rows.line_error(c.line, "-", _(
            "the same charge as line %(first)s with other values") % {"first": c.first_line})
            for c in plan.contradictions]
    if errors:
        raise ValidationError({"rows": errors})
    created = updated = 0
    flagged: list[int] = []
    with transaction.atomic():
        for planned in plan.charges:
            case, clean, violations = cases[str(planned.case)], planned.values, planned.violations
            accused = _accused(case, clean["accused"], clean["accused_personnel_number"])
            victim = _victim(case, clean["victim"], clean["victim_iin"])
            values = {name: clean[name] for name in (
                "article_part", "verdict", "verdict_on", "imprisonment_months",
                *case_rules.RELEASE_FLAGS)}
            values["rule_flags"] = [{"code": v.code, "text": v.text} for v in violations]
            charge, was_created = Charge.objects.update_or_create(
                case=case, accused=accused, victim=victim, article=clean["article"],
                defaults=values)
            created += was_created
            updated += not was_created
            if violations:
                flagged.append(charge.pk)
                known = {flag.get("code") for flag in case.rule_flags}
                case.rule_flags = case.rule_flags + [
                    {"code": v.code, "text": v.text, "charge": charge.pk}
                    for v in violations if v.code not in known]
                case.save(update_fields=["rule_flags", "updated_at"])
        for case in {cases[str(p.case)].pk: cases[str(p.case)] for p in plan.charges}.values():
            audit_record(actor=acting_user, action=AuditEvent.Action.IMPORT, origin=origin,
                         obj=case, detail={"source": source, "rows": len(rows),
                                           "flagged": len(flagged)})
    return ImportResult(created, updated, len(flagged), flagged)
