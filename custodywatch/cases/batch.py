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
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases import selectors
from custodywatch.cases.models import (
    Article,
    Case,
    CaseParty,
    Charge,
    Officer,
    Person,
    Verdict,
)
from custodywatch.cases.rules import MAX_IMPORT_ROWS, PROSECUTORS
from custodywatch.cases.services import unit_head_at
from custodywatch.kernels import case_rules

COLUMNS = ["register_number", "accused", "accused_personnel_number", "victim", "victim_iin",
           "article", "article_part", "verdict", "verdict_on", "imprisonment_months",
           "probation", "amnesty", "limitation", "reconciliation", "active_repentance"]
REQUIRED = ("register_number", "accused", "victim", "article")
TRUE = {"1", "true", "yes", "y", "да", "иә"}
FALSE = {"", "0", "false", "no", "n", "нет", "жоқ"}


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    flagged: int
    flagged_charges: list[int]


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a charges CSV (header as COLUMNS; extra columns refused)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        raise ValidationError({"file": _("Line 1: the header must name the columns %(columns)s"
                                         " (unknown: %(unknown)s; missing: %(missing)s).") % {
            "columns": ", ".join(COLUMNS), "unknown": ", ".join(unknown) or "—",
            "missing": ", ".join(missing) or "—"}})
    return [dict(row) for row in reader]


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().casefold()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return None


def _clean_row(row: dict[str, Any], line: int, cases: dict[str, Case | None]
               ) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []

    def err(field: str, message: str) -> None:
        errors.append(_("line %(line)s: %(field)s: %(message)s") % {
            "line": line, "field": field, "message": message})

    clean: dict[str, Any] = {}
    for field in REQUIRED:
        if not str(row.get(field) or "").strip():
            err(field, _("required"))
    number = case_rules.normalise_register_number(str(row.get("register_number") or ""))
    clean["case"] = cases.get(number)
    if number and clean["case"] is None:
        err("register_number", _("no case with this number in your scope"))
    article = str(row.get("article") or "").strip()
    if article and article not in Article.values:
        err("article", _("unknown article %(value)r") % {"value": article})
    clean["article"] = article
    verdict = str(row.get("verdict") or Verdict.PENDING).strip() or Verdict.PENDING
    if verdict not in Verdict.values:
        err("verdict", _("unknown verdict %(value)r") % {"value": verdict})
    clean["verdict"] = verdict
    verdict_on = row.get("verdict_on") or None
    if isinstance(verdict_on, str):
        try:
            verdict_on = dt.date.fromisoformat(verdict_on.strip())
        except ValueError:
            err("verdict_on", _("not a date (YYYY-MM-DD)"))
            verdict_on = None
    clean["verdict_on"] = verdict_on
    months = row.get("imprisonment_months")
    try:
        clean["imprisonment_months"] = (None if months in (None, "") else int(Decimal(
            str(months))))
        if clean["imprisonment_months"] is not None and clean["imprisonment_months"] < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        err("imprisonment_months", _("not a whole number of months"))
    for name in case_rules.RELEASE_FLAGS:
        value = _flag(row.get(name))
        if value is None:
            err(name, _("yes or no"))
        clean[name] = bool(value)
    clean["accused"] = str(row.get("accused") or "").strip()[:200]
    clean["accused_personnel_number"] = str(row.get("accused_personnel_number") or "").strip()
    clean["victim"] = str(row.get("victim") or "").strip()[:200]
    clean["victim_iin"] = str(row.get("victim_iin") or "").strip()
    clean["article_part"] = str(row.get("article_part") or "").strip()[:10]
    return clean, errors


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
    if acting_user.role not in PROSECUTORS:
        audit_record(actor=acting_user, action=AuditEvent.Action.DENIED, origin=origin,
                     object_type="cases.charge", detail={"reason": "import"})
        raise PermissionDenied(_("Only prosecutors import charges."))
    if not rows:
        raise ValidationError({"rows": [_("The batch has no rows.")]})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError({"rows": [_("At most %(count)s rows a batch.") % {
            "count": MAX_IMPORT_ROWS}]})
    numbers = {case_rules.normalise_register_number(str(r.get("register_number") or ""))
               for r in rows}
    visible = selectors.cases_visible(user=acting_user).filter(register_number__in=numbers)
    cases: dict[str, Case | None] = {c.register_number: c for c in visible}
    cleaned, errors = [], []
    for line, row in enumerate(rows, start=2 if source == "csv" else 1):
        clean, row_errors = _clean_row(row, line, cases)
        cleaned.append(clean)
        errors.extend(row_errors)
    if errors:
        raise ValidationError({"rows": errors})
    created = updated = 0
    flagged: list[int] = []
    with transaction.atomic():
        for clean in cleaned:
            case = clean["case"]
            accused = _accused(case, clean["accused"], clean["accused_personnel_number"])
            victim = _victim(case, clean["victim"], clean["victim_iin"])
            violations = case_rules.charge_rule_violations(
                article=clean["article"], verdict=clean["verdict"],
                flags={name: clean[name] for name in case_rules.RELEASE_FLAGS})
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
        for case in {c["case"].pk: c["case"] for c in cleaned}.values():
            audit_record(actor=acting_user, action=AuditEvent.Action.IMPORT, origin=origin,
                         obj=case, detail={"source": source, "rows": len(rows),
                                           "flagged": len(flagged)})
    return ImportResult(created, updated, len(flagged), flagged)
