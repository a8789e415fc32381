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
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
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
from custodywatch.cases.rules import MAX_IMPORT_ROWS, MAX_IMPRISONMENT_MONTHS
from custodywatch.cases.services import unit_head_at
from custodywatch.core import plausible
from custodywatch.kernels import case_rules

COLUMNS = ["register_number", "accused", "accused_personnel_number", "victim", "victim_iin",
           "article", "article_part", "verdict", "verdict_on", "imprisonment_months",
           "probation", "amnesty", "limitation", "reconciliation", "active_repentance"]
REQUIRED = ("register_number", "accused", "victim", "article")
# Column limits of the models (Officer, Person, Charge): longer is refused, never cut.
TEXT_LIMITS = {"accused": 200, "accused_personnel_number": 40, "victim": 200, "victim_iin": 12,
               "article_part": 10}
TRUE = {"1", "true", "yes", "y", "да", "иә"}
FALSE = {"", "0", "false", "no", "n", "нет", "жоқ"}


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
    if row.get(None):  # type: ignore[call-overload]
        err("-", _("more values than columns"))
    for name, value in row.items():
        if isinstance(value, str) and "\x00" in value:
            err(str(name), _("contains a NUL character"))
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
    if verdict_on is not None:
        problem = plausible.problem(plausible.Kind.PAST, verdict_on)
        if problem is not None:
            err("verdict_on", problem)
    clean["verdict_on"] = verdict_on
    clean["imprisonment_months"] = _months(row.get("imprisonment_months"), err)
    for name in case_rules.RELEASE_FLAGS:
        value = _flag(row.get(name))
        if value is None:
            err(name, _("yes or no"))
        clean[name] = bool(value)
    # Refused when too long, never cut: a cut name is another person.
    for field, limit in TEXT_LIMITS.items():
        clean[field] = str(row.get(field) or "").strip()
        if len(clean[field]) > limit:
            err(field, _("at most %(count)s characters") % {"count": limit})
    iin = clean["victim_iin"]
    if iin and not (iin.isascii() and iin.isdigit() and len(iin) == 12):
        err("victim_iin", _("an IIN has 12 digits"))
    return clean, errors


def _months(value: Any, err: Any) -> int | None:
    """A whole number of months from 0 to MAX_IMPRISONMENT_MONTHS: no Infinity, 1e30, 1e10 or
    2**63 (they overflowed the column: a 500)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        err("imprisonment_months", _("not a whole number of months"))
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        err("imprisonment_months", _("not a whole number of months"))
        return None
    if len(text) > 6 or int(text) > MAX_IMPRISONMENT_MONTHS:
        err("imprisonment_months", _("at most %(count)s months") % {
            "count": MAX_IMPRISONMENT_MONTHS})
        return None
    return int(text)


def _refuse_contradictions(cleaned: list[dict[str, Any]], lines: list[int],
                           errors: list[str]) -> None:
    """The same charge twice in one import with different values: which one is true? Refused
    (the second line named); an exact repeat is harmless."""
    seen: dict[tuple, tuple[int, dict[str, Any]]] = {}
    for clean, line in zip(cleaned, lines, strict=True):
        if clean.get("case") is None:
            continue
        key = (clean["case"].pk, clean["accused"], clean["accused_personnel_number"],
               clean["victim"], clean["victim_iin"], clean["article"])
        values = {k: v for k, v in clean.items() if k != "case"}
        if key in seen and seen[key][1] != values:
            errors.append(_("line %(line)s: -: the same charge as line %(first)s with other "
                            "values") % {"line": line, "first": seen[key][0]})
        seen.setdefault(key, (line, values))


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
    numbers = {case_rules.normalise_register_number(str(r.get("register_number") or ""))
               for r in rows}
    visible = selectors.cases_visible(user=acting_user).filter(register_number__in=numbers)
    cases: dict[str, Case | None] = {c.register_number: c for c in visible}
    cleaned, errors, lines = [], [], []
    for line, row in enumerate(rows, start=2 if source == "csv" else 1):
        clean, row_errors = _clean_row(row, line, cases)
        cleaned.append(clean)
        lines.append(line)
        errors.extend(row_errors)
    if not errors:
        _refuse_contradictions(cleaned, lines, errors)
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
