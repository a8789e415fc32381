"""Writes of accountability: heads linked to officers, proceedings, suspension, the Fund.

Every write is atomic and audited. Proceedings are proposed by the system
(:func:`proceedings_propose`, idempotent: run by ``custodywatch accountability propose`` and
the demo), opened or declined and decided by a prosecutor in scope. The Fund's review is the
prosecution's; the decision, the Treasury register and the recourse are the Fund's
compensation officer's.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.accountability.models import (
    FundReview,
    FundTariff,
    Ground,
    MciRate,
    Proceeding,
    ProceedingStatus,
    RecourseClaim,
    RecourseStatus,
    Sanction,
    TreasuryEntry,
    TreasuryRegister,
)
from custodywatch.accountability.selectors import (
    claims_visible,
    proceedings_visible,
)
from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability
from custodywatch.accounts.models import AuditEvent, User
from custodywatch.cases import selectors as case_selectors
from custodywatch.cases.models import (
    Case,
    CaseParty,
    Charge,
    CompensationClaim,
    DutyStatus,
    Officer,
    Verdict,
)
from custodywatch.complaints.models import Complaint
from custodywatch.kernels import accountability as kernel
from custodywatch.medical.models import RiskAlert
from custodywatch.registry.models import HeadAppointment
from custodywatch.reports import aggregates


def _deny(user: User | None, origin: Origin, message: str, object_type: str,
          object_id: str = "") -> PermissionDenied:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type=object_type, object_id=object_id, detail={"reason": message})
    return PermissionDenied(message)


def _raise(errors: dict[str, Any]) -> None:
    if errors:
        raise ValidationError(errors)


T = TypeVar("T")


def _known(value: T | None) -> T:
    """A value that the query's filter or the checks above (`_raise`) guarantee; None here is
    a bug, never bad input."""
    if value is None:
        raise RuntimeError("a value the checks guarantee is missing")
    return value


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


# ------------------------------------------------------------------ heads as people

def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def heads_link_officers(*, actor: User | None, origin: Origin,
                        heads: list[HeadAppointment] | None = None) -> int:
    """Give each appointment with no officer its person: the officer already heading (or
    having headed) a unit under the same name, else a new officer. Returns how many were
    linked. The registry import and the demo call it; a wrong merge is corrected by setting
    the appointment's officer in the administration."""
    if heads is None:
        heads = list(HeadAppointment.objects.filter(officer__isnull=True)
                     .order_by("started_on", "pk"))
    heads = [head for head in heads if head.officer_id is None]
    if not heads:
        return 0
    with transaction.atomic():
        people: dict[str, int] = {}
        for officer_id, name in (HeadAppointment.objects.filter(officer__isnull=False)
                                 .values_list("officer_id", "officer__full_name")
                                 .order_by("officer_id")):
            people.setdefault(_name_key(name), officer_id)
        for head in heads:
            key = _name_key(head.full_name)
            if key not in people:
                people[key] = Officer.objects.create(
                    full_name=" ".join(head.full_name.split()), rank=head.rank,
                    position=head.position, facility_id=head.facility_id).pk
            head.officer_id = people[key]
        HeadAppointment.objects.bulk_update(heads, ["officer"], batch_size=1000)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, origin=origin,
                     object_type="registry.headappointment", object_label="heads linked",
                     detail={"linked": len(heads)})
    return len(heads)


# ------------------------------------------------------------------ proceedings

def proceedings_propose(*, origin: Origin, now: dt.datetime | None = None) -> list[Proceeding]:
    """Propose a proceeding against each head in whose tenure a conviction, a substantiated
    complaint or a risk-moment pattern fell. Idempotent: a head is proposed once per ground's
    source. The facility sees none of it."""
    now = now or timezone.now()
    heads = list(HeadAppointment.objects.filter(officer__isnull=False).select_related(
        "facility"))
    tenures = [kernel.Tenure(h.pk, h.facility_id, h.started_on, h.ended_on) for h in heads]
    convictions = [
        (f"charge:{pk}", facility_id, _day(moment))
        for pk, facility_id, moment in Charge.objects.filter(verdict=Verdict.CONVICTED)
        .annotate(moment=Coalesce("case__events_from", "case__registered_at"))
        .values_list("pk", "case__facility_id", "moment")]
    substantiated = [
        (f"complaint:{pk}", facility_id, _day(moment))
        for pk, facility_id, moment in Complaint.objects.filter(
            facility__isnull=False, category__in=aggregates.ALLEGATION_CATEGORIES)
        .filter(Exists(Case.objects.filter(aggregates.convicted_case_q(),
                                           complaints=OuterRef("pk"))))
        .annotate(moment=Coalesce("incident_started_at", "received_at"))
        .values_list("pk", "facility_id", "moment")]
    risks = [(facility_id, _day(at)) for facility_id, at in RiskAlert.objects.values_list(
        "custody_record__facility_id", "at")]
    found = kernel.proposals(tenures, convictions, substantiated, risks)
    by_pk = {head.pk: head for head in heads}
    case_of = dict(Charge.objects.filter(
        pk__in=[int(p.source.split(":")[1]) for p in found if p.ground == kernel.Ground.CONVICTION]
    ).values_list("pk", "case_id"))
    grounds = {kernel.Ground.CONVICTION: Ground.CONVICTION,
               kernel.Ground.SUBSTANTIATED: Ground.SUBSTANTIATED,
               kernel.Ground.RISK_PATTERN: Ground.RISK_PATTERN}
    with transaction.atomic():
        existing = set(Proceeding.objects.values_list("officer_id", "source"))
        new = []
        for proposal in found:
            head = by_pk[proposal.tenure]
            officer_id = _known(head.officer_id)  # heads with an officer only
            if (officer_id, proposal.source) in existing:
                continue
            existing.add((officer_id, proposal.source))
            ref = int(proposal.source.split(":")[1])
            new.append(Proceeding(
                officer_id=officer_id, appointment=head, facility=head.facility,
                region_id=head.facility.region_id, ground=grounds[proposal.ground],
                source=proposal.source, events_on=proposal.day, proposed_at=now,
                case_id=case_of.get(ref) if proposal.ground == kernel.Ground.CONVICTION
                else None,
                complaint_id=ref if proposal.ground == kernel.Ground.SUBSTANTIATED else None))
        Proceeding.objects.bulk_create(new, batch_size=1000)
        if new:
            audit_record(actor=None, action=AuditEvent.Action.CREATE, origin=origin,
                         object_type="accountability.proceeding",
                         object_label="proposed", detail={"proposed": len(new)})
    return new


def _require_prosecutor(user: User, origin: Origin, proceeding: Proceeding) -> Proceeding:
    if not has_capability(user, Capability.RUN_PROCEEDINGS) or not proceedings_visible(
            user=user).filter(
            pk=proceeding.pk).exists():
        raise _deny(user, origin, _("Only a prosecutor in scope acts on a proceeding."),
                    "accountability.proceeding", str(proceeding.pk))
    return Proceeding.objects.select_for_update().get(pk=proceeding.pk)


def proceeding_open(*, acting_user: User, origin: Origin, proceeding: Proceeding,
                    opened_on: dt.date, note: str = "") -> Proceeding:
    with transaction.atomic():
        row = _require_prosecutor(acting_user, origin, proceeding)
        errors: dict[str, Any] = {}
        if row.status != ProceedingStatus.PROPOSED:
            errors["status"] = _("Only a proposed proceeding is opened.")
        if opened_on is None or opened_on > timezone.localdate():
            errors["opened_on"] = _("Give a day that has come.")
        _raise(errors)
        row.status, row.opened_on = ProceedingStatus.OPENED, opened_on
        row.note = note[:500] or row.note
        row.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=row,
                     detail={"status": row.status, "opened_on": opened_on.isoformat()})
    return row


def proceeding_decline(*, acting_user: User, origin: Origin, proceeding: Proceeding,
                       note: str) -> Proceeding:
    with transaction.atomic():
        row = _require_prosecutor(acting_user, origin, proceeding)
        errors: dict[str, Any] = {}
        if row.status != ProceedingStatus.PROPOSED:
            errors["status"] = _("Only a proposed proceeding is declined.")
        if not note.strip():
            errors["note"] = _("Say why no proceeding is opened.")
        _raise(errors)
        row.status, row.note = ProceedingStatus.DECLINED, note.strip()[:500]
        row.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=row,
                     detail={"status": row.status})
    return row


def proceeding_decide(*, acting_user: User, origin: Origin, proceeding: Proceeding,
                      decided_on: dt.date, sanction: str,
                      effective_on: dt.date | None = None, note: str = "") -> Proceeding:
    """Decide an open proceeding: a sanction (or none), with its day. A dismissal ends the
    officer's duty (his status), as a suspension is lifted by any other decision."""
    with transaction.atomic():
        row = _require_prosecutor(acting_user, origin, proceeding)
        errors: dict[str, Any] = {}
        if row.status != ProceedingStatus.OPENED:
            errors["status"] = _("Only an open proceeding is decided.")
        if sanction not in Sanction.values:
            errors["sanction"] = _("Choose the sanction.")
        if decided_on is None or decided_on > timezone.localdate():
            errors["decided_on"] = _("Give a day that has come.")
        elif row.opened_on and decided_on < row.opened_on:
            errors["decided_on"] = _("The decision follows the opening.")
        if effective_on is not None and decided_on and effective_on < decided_on:
            errors["effective_on"] = _("A sanction takes effect on or after the decision.")
        _raise(errors)
        row.status, row.decided_on, row.sanction = ProceedingStatus.DECIDED, decided_on, sanction
        row.sanction_effective_on = (effective_on or decided_on) if sanction != "none" else None
        row.note = note[:500] or row.note
        row.save()
        officer = Officer.objects.select_for_update().get(pk=row.officer_id)
        if sanction == Sanction.DISMISSAL:
            officer.duty_status = DutyStatus.DISMISSED
            officer.duty_status_since = row.sanction_effective_on
            officer.save(update_fields=["duty_status", "duty_status_since"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=row,
                     detail={"status": row.status, "sanction": sanction,
                             "decided_on": decided_on.isoformat()})
    return row


def officer_duty_set(*, acting_user: User, origin: Origin, officer: Officer, status: str,
                     since: dt.date) -> Officer:
    """Suspend an accused officer from duty, or reinstate him: a prosecutor who has a
    proceeding against him in scope. A dismissed officer's status is the decision's."""
    if not has_capability(acting_user, Capability.RUN_PROCEEDINGS) or not proceedings_visible(
            user=acting_user).filter(
            officer=officer).exists():
        raise _deny(acting_user, origin, _("Only a prosecutor with a proceeding against the "
                                           "officer suspends him."), "cases.officer",
                    str(officer.pk))
    errors: dict[str, Any] = {}
    if status not in (DutyStatus.ON_DUTY, DutyStatus.SUSPENDED):
        errors["status"] = _("Suspend or reinstate.")
    if since is None or since > timezone.localdate():
        errors["since"] = _("Give a day that has come.")
    _raise(errors)
    with transaction.atomic():
        row = Officer.objects.select_for_update().get(pk=officer.pk)
        if row.duty_status == DutyStatus.DISMISSED:
            _raise({"status": _("The officer has been dismissed.")})
        previous = row.duty_status
        row.duty_status, row.duty_status_since = status, since
        row.save(update_fields=["duty_status", "duty_status_since"])
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=row,
                     detail={"duty_status": [previous, status], "since": since.isoformat()})
    return row


# ------------------------------------------------------------------ the Fund

def _charge_facts(claim: CompensationClaim) -> list[kernel.ChargeFact]:
    return [kernel.ChargeFact(article, part, verdict) for article, part, verdict in
            Charge.objects.filter(case_id=claim.case_id, victim_id=claim.victim_id)
            .values_list("article", "article_part", "verdict").order_by("pk")]


def fund_review(*, acting_user: User, origin: Origin, claim: CompensationClaim,
                reviewed_on: dt.date) -> FundReview:
    """The prosecution's review: eligibility from the charges naming the victim, the
    category's MCI units and the MCI of the year of the review."""
    if not case_selectors.can_write(user=acting_user, case=claim.case):
        raise _deny(acting_user, origin, _("You do not run this case."),
                    "cases.compensationclaim", str(claim.pk))
    errors: dict[str, Any] = {}
    if reviewed_on is None or reviewed_on > timezone.localdate():
        errors["reviewed_on"] = _("Give a day that has come.")
    elif reviewed_on < claim.claimed_at:
        errors["reviewed_on"] = _("The review follows the application.")
    if claim.decision != CompensationClaim.Decision.PENDING:
        errors["claim"] = _("The claim is already decided.")
    _raise(errors)
    found = kernel.eligibility(_charge_facts(claim))
    values: dict[str, Any] = {"eligible": found.eligible, "category": found.category,
                              "reasons": list(found.reasons), "mci_year": None,
                              "mci_amount": None, "units": None, "amount": None}
    if found.eligible:
        table = dict(MciRate.objects.values_list("year", "amount"))
        try:
            year, mci = kernel.mci_for(table, reviewed_on)
        except KeyError:
            raise ValidationError({"reviewed_on": _("No MCI is set for %(year)s.") % {
                "year": reviewed_on.year}}) from None
        tariff = FundTariff.objects.filter(category=found.category).first()
        if tariff is None:
            raise ValidationError({"category": _("No tariff is set for this category.")})
        values.update(mci_year=year, mci_amount=mci, units=tariff.units,
                      amount=kernel.amount(tariff.units, mci))
    with transaction.atomic():
        review, _created = FundReview.objects.update_or_create(
            claim=claim, defaults={**values, "reviewed_on": reviewed_on,
                                   "reviewed_by": acting_user})
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin,
                     obj=review, detail={"eligible": found.eligible, "category": found.category,
                                         "amount": str(values["amount"])})
    return review


def _require_fund_officer(user: User, origin: Origin, claim: CompensationClaim) -> None:
    if not has_capability(user, Capability.DECIDE_COMPENSATION) or not claims_visible(
            user=user).filter(
            pk=claim.pk).exists():
        raise _deny(user, origin, _("Only the Fund's officers decide claims."),
                    "cases.compensationclaim", str(claim.pk))


def fund_decide(*, acting_user: User, origin: Origin, claim: CompensationClaim,
                decided_on: dt.date) -> CompensationClaim:
    """The Fund decides on the prosecution's review: the reviewed amount, or a refusal."""
    _require_fund_officer(acting_user, origin, claim)
    review = FundReview.objects.filter(claim=claim).first()
    errors: dict[str, Any] = {}
    if review is None:
        errors["claim"] = _("The prosecution has not reviewed the claim.")
    if claim.decision != CompensationClaim.Decision.PENDING:
        errors["claim"] = _("The claim is already decided.")
    if decided_on is None or decided_on > timezone.localdate():
        errors["decided_on"] = _("Give a day that has come.")
    elif review is not None and decided_on < review.reviewed_on:
        errors["decided_on"] = _("The decision follows the review.")
    _raise(errors)
    review = _known(review)  # none refused above
    with transaction.atomic():
        row = CompensationClaim.objects.select_for_update().get(pk=claim.pk)
        row.decision = (CompensationClaim.Decision.GRANTED if review.eligible
                        else CompensationClaim.Decision.REFUSED)
        row.decided_at = decided_on
        row.amount_granted = review.amount if review.eligible else None
        row.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=row,
                     detail={"decision": row.decision, "amount": str(row.amount_granted)})
    return row


REGISTER_COLUMNS = ("number", "claim", "case", "recipient", "iin", "amount_kzt", "decided_on")


def register_rows(register: TreasuryRegister) -> list[list[str]]:
    return [[register.number, str(entry.claim_id), entry.claim.case.register_number,
             entry.recipient, entry.iin, f"{entry.amount:.2f}",
             entry.claim.decided_at.isoformat() if entry.claim.decided_at else ""]
            for entry in register.entries.select_related("claim__case").order_by("pk")]


def register_csv(register: TreasuryRegister) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    writer.writerows(register_rows(register))
    return out.getvalue().encode("utf-8")


def register_xlsx(register: TreasuryRegister) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = register.number[:31]
    sheet.append(list(REGISTER_COLUMNS))
    for row in register_rows(register):
        sheet.append([*row[:5], Decimal(row[5]), row[6]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def treasury_register_create(*, acting_user: User, origin: Origin,
                             at: dt.datetime | None = None) -> TreasuryRegister:
    """Every granted, unpaid claim in the officer's scope not yet on a register, on a new
    register; its CSV's SHA-256 is kept so the file sent can be checked later."""
    if not has_capability(acting_user, Capability.DECIDE_COMPENSATION):
        raise _deny(acting_user, origin, _("Only the Fund's officers make registers."),
                    "accountability.treasuryregister")
    at = at or timezone.now()
    with transaction.atomic():
        claims = list(claims_visible(user=acting_user).select_for_update(of=("self",)).filter(
            decision=CompensationClaim.Decision.GRANTED, paid_at__isnull=True,
            amount_granted__isnull=False, fund_review__isnull=False,
            treasury_entry__isnull=True).order_by("pk"))
        if not claims:
            _raise({"claims": _("No granted claim is waiting for payment.")})
        year = timezone.localtime(at).year
        count = TreasuryRegister.objects.filter(number__startswith=f"TR-{year}-").count()
        register = TreasuryRegister.objects.create(
            number=f"TR-{year}-{count + 1:04d}", created_at=at, created_by=acting_user,
            csv_sha256="", total=sum((_known(c.amount_granted) for c in claims), Decimal(0)))
        parties = CaseParty.objects.select_related("person").in_bulk(
            [c.victim_id for c in claims])
        # A victim is a party that points at a person (cases.models: officers are accused).
        people = {claim.pk: _known(parties[claim.victim_id].person) for claim in claims}
        TreasuryEntry.objects.bulk_create([TreasuryEntry(
            register=register, claim=claim, recipient=people[claim.pk].full_name,
            iin=people[claim.pk].iin, amount=_known(claim.amount_granted))
            for claim in claims])
        register.csv_sha256 = hashlib.sha256(register_csv(register)).hexdigest()
        register.save(update_fields=["csv_sha256"])
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin,
                     obj=register, detail={"claims": [c.pk for c in claims],
                                           "sha256": register.csv_sha256})
    return register


def treasury_register_paid(*, acting_user: User, origin: Origin, register: TreasuryRegister,
                           paid_on: dt.date) -> TreasuryRegister:
    if not has_capability(acting_user, Capability.DECIDE_COMPENSATION):
        raise _deny(acting_user, origin, _("Only the Fund's officers record payments."),
                    "accountability.treasuryregister", str(register.pk))
    errors: dict[str, Any] = {}
    if register.paid_on is not None:
        errors["register"] = _("The register is already paid.")
    if paid_on is None or paid_on > timezone.localdate():
        errors["paid_on"] = _("Give a day that has come.")
    elif paid_on < timezone.localtime(register.created_at).date():
        errors["paid_on"] = _("Payment follows the register.")
    _raise(errors)
    with transaction.atomic():
        row = TreasuryRegister.objects.select_for_update().get(pk=register.pk)
        row.paid_on = paid_on
        row.save(update_fields=["paid_on"])
        CompensationClaim.objects.filter(treasury_entry__register=row).update(paid_at=paid_on)
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=row,
                     detail={"paid_on": paid_on.isoformat()})
    return row


def recourse_file(*, acting_user: User, origin: Origin, claim: CompensationClaim,
                  officer: Officer, filed_on: dt.date) -> RecourseClaim:
    """The Fund claims back what it paid from an officer convicted of torturing the victim."""
    _require_fund_officer(acting_user, origin, claim)
    errors: dict[str, Any] = {}
    if claim.paid_at is None or not claim.amount_granted:
        errors["claim"] = _("Only a paid claim is recovered.")
    convicted = Charge.objects.filter(
        case_id=claim.case_id, victim_id=claim.victim_id, accused__officer=officer,
        article="146", verdict=Verdict.CONVICTED).exists()
    if not convicted:
        errors["officer"] = _("The officer is not convicted of torturing this victim.")
    if filed_on is None or filed_on > timezone.localdate():
        errors["filed_on"] = _("Give a day that has come.")
    elif claim.paid_at and filed_on < claim.paid_at:
        errors["filed_on"] = _("Recourse follows the payment.")
    if RecourseClaim.objects.filter(claim=claim, officer=officer).exists():
        errors["officer"] = _("A recourse claim against this officer is already filed.")
    _raise(errors)
    with transaction.atomic():
        row = RecourseClaim.objects.create(claim=claim, officer=officer,
                                           amount=_known(claim.amount_granted),
                                           filed_on=filed_on,
                                           status_on=filed_on)
        audit_record(actor=acting_user, action=AuditEvent.Action.CREATE, origin=origin, obj=row,
                     detail={"amount": str(row.amount)})
    return row


def recourse_update(*, acting_user: User, origin: Origin, recourse: RecourseClaim,
                    recovered: Decimal, on: dt.date, written_off: bool = False) -> RecourseClaim:
    _require_fund_officer(acting_user, origin, recourse.claim)
    errors: dict[str, Any] = {}
    if recovered is None or recovered < 0 or recovered > recourse.amount:
        errors["recovered"] = _("Between nothing and the amount claimed.")
    if on is None or on > timezone.localdate() or on < recourse.filed_on:
        errors["on"] = _("A day between the filing and today.")
    _raise(errors)
    with transaction.atomic():
        row = RecourseClaim.objects.select_for_update().get(pk=recourse.pk)
        row.recovered, row.status_on = recovered, on
        row.status = (RecourseStatus.RECOVERED if recovered == row.amount
                      else RecourseStatus.WRITTEN_OFF if written_off
                      else RecourseStatus.PARTLY if recovered > 0 else RecourseStatus.FILED)
        row.save()
        audit_record(actor=acting_user, action=AuditEvent.Action.UPDATE, origin=origin, obj=row,
                     detail={"recovered": str(recovered), "status": row.status})
    return row


__all__ = ["fund_decide", "fund_review", "heads_link_officers", "officer_duty_set",
           "proceeding_decide", "proceeding_decline", "proceeding_open", "proceedings_propose",
           "recourse_file", "recourse_update", "register_csv", "register_xlsx",
           "treasury_register_create", "treasury_register_paid"]
