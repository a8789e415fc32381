"""Every read of cases a person sees, already scoped to that person (docs/cases.md).

Who sees what:
- general prosecutor, system administrator: every case; regional prosecutor: his region's;
- Ombudsperson: every case (country, as for complaints), but never a forensic report;
- forensic expert: the header of the cases whose examinations he is assigned, and those
  examinations only;
- compensation officer: the header of cases with compensation claims, and the claims;
- facility staff, NPM monitors, analysts, machines: no case (analysts get aggregates through
  reports);
- an officer named as suspect or accused (Officer.user) never sees that case, whatever his role,
  nor a case opened from a complaint that accuses him (Accusation).
Forensic reports (examination page and PDF): the case's supervising and investigating
prosecutors, a country-scope general prosecutor, and the examiner. Every read is audited.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from custodywatch.accounts.audit import Origin, audit_record
from custodywatch.accounts.capabilities import Capability, has_capability, is_region_bound
from custodywatch.accounts.models import AuditEvent, Scope, User
from custodywatch.accounts.scoping import facility_q
from custodywatch.cases.models import (
    OPEN_CASE_STATUSES,
    Accusation,
    Case,
    CaseParty,
    CompensationClaim,
    CrisisCentre,
    EvidenceExclusion,
    EvidenceItem,
    Examination,
    Officer,
)
from custodywatch.cases.rules import case_terms
from custodywatch.complaints.models import OPEN_STATUSES, Complaint
from custodywatch.kernels.case_clocks import CaseClock, CaseFacts, case_clocks
from custodywatch.ledger.models import Leaf, LeafKind
from custodywatch.registry.models import Facility, HeadAppointment


class Access:
    """What a reader may see of a case he may open at all."""

    FULL = "full"  # prosecutors, administrators
    READ = "read"  # the Ombudsperson: everything but forensic reports
    EXAMINER = "examiner"  # header and his own examinations
    COMPENSATION = "compensation"  # header and compensation claims
    NONE = ""


def access_of(user: User) -> str:
    if not user.is_authenticated or not user.is_active:
        return Access.NONE
    if has_capability(user, Capability.READ_CASE_FILES):
        return Access.FULL
    if has_capability(user, Capability.READ_CASES_WITHOUT_FORENSICS):
        return Access.READ
    if has_capability(user, Capability.EXAMINE_FOR_CASES):
        return Access.EXAMINER
    if has_capability(user, Capability.DECIDE_COMPENSATION):
        return Access.COMPENSATION
    return Access.NONE


def _own_cases(user: User) -> QuerySet:
    return CaseParty.objects.filter(officer__user=user).values("case_id")


def _accused_cases(user: User) -> QuerySet:
    """Cases opened from a complaint that accuses him (Accusation), named in the case or not."""
    return Case.complaints.through.objects.filter(
        complaint__accusations__officer__user=user).values("case_id")


def cases_q(user: User) -> Q:
    """The filter of the cases a person may open: the one rule for UI, API and exports."""
    access = access_of(user)
    if access == Access.NONE:
        return Q(pk__in=[])
    never_own = ~Q(pk__in=_own_cases(user)) & ~Q(pk__in=_accused_cases(user))
    if access == Access.EXAMINER:
        return Q(pk__in=Examination.objects.filter(examiner=user).values("case_id")) & never_own
    if access == Access.COMPENSATION:
        return Q(pk__in=CompensationClaim.objects.values("case_id")) & never_own
    if is_region_bound(user):
        if user.scope != Scope.REGION or not user.region_id:
            return Q(pk__in=[])
        return Q(region_id=user.region_id) & never_own
    return facility_q(user, "facility") & never_own


def cases_visible(*, user: User) -> QuerySet[Case]:
    return Case.objects.filter(cases_q(user))


def can_write(*, user: User, case: Case) -> bool:
    """Prosecutors run the cases they may see."""
    return has_capability(user, Capability.RUN_CASES) and cases_visible(user=user).filter(
        pk=case.pk).exists()


def may_read_forensic_report(*, user: User, examination: Examination) -> bool:
    case = examination.case
    if not cases_visible(user=user).filter(pk=case.pk).exists():
        return False
    if examination.examiner_id is not None and examination.examiner_id == user.pk:
        return True
    if has_capability(user, Capability.RUN_CASES) and user.pk in (
            case.supervising_prosecutor_id, case.investigating_prosecutor_id):
        return True
    return has_capability(user, Capability.READ_EVERY_FORENSIC_REPORT) and (
        user.scope == Scope.COUNTRY)


def may_write_examination(*, user: User, examination: Examination) -> bool:
    """The examiner, or a prosecutor who may read the report (transcribing a paper one)."""
    return may_read_forensic_report(user=user, examination=examination) and (
        examination.examiner_id == user.pk or has_capability(user, Capability.RUN_CASES))


def _denied(user: User, origin: Origin, object_type: str, pk: object, reason: str) -> None:
    audit_record(actor=user, action=AuditEvent.Action.DENIED, origin=origin,
                 object_type=object_type, object_id=str(pk), detail={"reason": reason})


# ------------------------------------------------------------------ list


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    region_code: str = ""
    facility_code: str = ""
    article: str = ""
    overdue: bool = False
    flagged: bool = False
    text: str = ""


def overdue_q(now: dt.datetime) -> Q:
    """Open cases with a clock past its due moment (first step, examination or decision)."""
    terms = case_terms()
    return Q(status__in=OPEN_CASE_STATUSES, decision_at__isnull=True) & (
        Q(first_step_at__isnull=True, registered_at__lt=now - terms.first_step)
        | Q(examination_at__isnull=True, registered_at__lt=now - terms.examination)
        | Q(registered_at__lt=now - terms.decision))


def case_search(*, user: User, filters: CaseFilters) -> QuerySet[Case]:
    cases = cases_visible(user=user).select_related("region", "facility")
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.region_code:
        cases = cases.filter(region__code=filters.region_code)
    if filters.facility_code:
        cases = cases.filter(facility__code=filters.facility_code)
    if filters.article:
        cases = cases.filter(pk__in=Case.objects.filter(charges__article=filters.article)
                             .values("pk"))
    if filters.overdue:
        cases = cases.filter(overdue_q(timezone.now()))
    if filters.flagged:
        cases = cases.exclude(rule_flags=[])
    if filters.text:
        cases = cases.filter(register_number__icontains=filters.text.replace(" ", ""))
    return cases.order_by("-registered_at", "-id")


def case_list(*, user: User, origin: Origin, filters: CaseFilters) -> QuerySet[Case]:
    if access_of(user) == Access.NONE:
        _denied(user, origin, "cases.case", "", "list")
        raise PermissionDenied
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                 object_type="cases.case", detail={"filters": filters.__dict__})
    return case_search(user=user, filters=filters)


# ------------------------------------------------------------------ one case


def case_detail(*, user: User, pk: int, origin: Origin) -> Case:
    """One case, audited; Case.DoesNotExist outside the reader's scope (and for his own)."""
    case = (cases_visible(user=user)
            .select_related("region", "facility", "supervising_prosecutor",
                            "investigating_prosecutor").filter(pk=pk).first())
    if case is None:
        if Case.objects.filter(pk=pk).exists():
            _denied(user, origin, "cases.case", pk, "outside scope")
        raise Case.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=case)
    return case


def case_for_evidence_package(*, user: User, pk: int, origin: Origin) -> Case:
    """A case whose evidence package this reader may download: those who may read its
    evidence items (evidence_detail), never the examiner nor the compensation officer, who
    see only the case's header."""
    if access_of(user) not in (Access.FULL, Access.READ):
        if Case.objects.filter(pk=pk).exists():
            _denied(user, origin, "cases.case", pk, "evidence package")
        raise Case.DoesNotExist
    return case_detail(user=user, pk=pk, origin=origin)


def clocks_of(case: Case, now: dt.datetime | None = None) -> list[CaseClock]:
    return case_clocks(CaseFacts(registered_at=case.registered_at,
                                 first_step_at=case.first_step_at,
                                 examination_at=case.examination_at,
                                 decision_at=case.decision_at),
                       now or timezone.now(), case_terms())


@dataclass
class CaseContents:
    """What of a case its reader sees; sections he may not see are empty and flagged off."""

    access: str
    parties: list
    charges: list
    transitions: list
    steps: list
    examinations: list
    evidence: list
    referrals: list
    claims: list
    complaints: list
    reportable: set  # ids of examinations whose report this reader may open


def case_contents(*, user: User, case: Case) -> CaseContents:
    access = access_of(user)
    full = access in (Access.FULL, Access.READ)
    examinations = list(case.examinations.select_related("subject__person", "examiner")
                        .prefetch_related("findings"))
    if access == Access.EXAMINER:
        examinations = [e for e in examinations if e.examiner_id == user.pk]
    elif not full:
        examinations = []
    reportable = {e.pk for e in examinations
                  if may_read_forensic_report(user=user, examination=e)}
    return CaseContents(
        access=access,
        parties=list(case.parties.select_related("person", "officer__facility", "unit_head",
                                                 "custody_record", "represents"))
        if full else [],
        charges=list(case.charges.select_related("accused__officer", "victim__person"))
        if full else [],
        transitions=list(case.transitions.select_related("actor")) if full else [],
        steps=list(case.steps.select_related("recorded_by")) if full else [],
        examinations=examinations,
        evidence=list(case.evidence.prefetch_related("transfers")) if full else [],
        referrals=list(case.referrals.select_related("victim__person", "crisis_centre")
                       .prefetch_related("services")) if full else [],
        claims=list(case.compensation_claims.select_related("victim__person"))
        if full or access == Access.COMPENSATION else [],
        complaints=list(case.complaints.all()) if full else [],
        reportable=reportable,
    )


def examination_detail(*, user: User, pk: int, origin: Origin) -> Examination:
    """A forensic report, audited; Examination.DoesNotExist unless the reader may open it."""
    examination = (Examination.objects.select_related(
        "case", "case__facility", "case__region", "subject__person", "examiner")
        .filter(pk=pk).first())
    if examination is None or not may_read_forensic_report(user=user, examination=examination):
        if examination is not None:
            _denied(user, origin, "cases.examination", pk, "not a reader of this report")
        raise Examination.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=examination,
                 detail={"case": examination.case.register_number})
    return examination


def evidence_detail(*, user: User, pk: int, origin: Origin) -> EvidenceItem:
    item = (EvidenceItem.objects.filter(case__in=cases_visible(user=user))
            .select_related("case", "legal_hold").filter(pk=pk).first())
    if item is None or access_of(user) not in (Access.FULL, Access.READ):
        if EvidenceItem.objects.filter(pk=pk).exists():
            _denied(user, origin, "cases.evidenceitem", pk, "outside scope")
        raise EvidenceItem.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=item,
                 detail={"case": item.case.register_number})
    return item


def evidence_ledger_leaves(*, item: EvidenceItem) -> list[Leaf]:
    """The item's registration and transfer leaves once integrated (found by the hash and
    the item's ledger name, which the leaves carry)."""
    if not item.sha256:
        return []
    name = evidence_ledger_name(item)
    leaves = Leaf.objects.filter(sha256=item.sha256, kind__in=[
        LeafKind.EVIDENCE_REGISTERED, LeafKind.CUSTODY_TRANSFER]).order_by("index")
    marker = f'"evidence":"{name}"'.encode()
    return [leaf for leaf in leaves if marker in bytes(leaf.data)]


def evidence_ledger_name(item: EvidenceItem) -> str:
    return f"case-evidence:{item.pk}"


def evidence_package_indexes(*, case: Case) -> tuple[list[int], dict[str, str]]:
    """Leaf indexes of a case's evidence, and the files by hash, for the package export."""
    indexes: list[int] = []
    files: dict[str, str] = {}
    for item in case.evidence.all():
        indexes.extend(leaf.index for leaf in evidence_ledger_leaves(item=item))
        if item.file:
            with contextlib.suppress(NotImplementedError):  # no local path: hashes only
                files[item.sha256] = item.file.path
    return indexes, files


# ------------------------------------------------------------------ from a complaint's page


def complaint_cases(*, user: User, complaint: Complaint, origin: Origin) -> list[Case]:
    """The cases opened from a complaint that this reader may open (none without case
    access); listed on the complaint's page, the listing audited."""
    if access_of(user) not in (Access.FULL, Access.READ):
        return []
    cases = list(cases_visible(user=user).filter(complaints=complaint)
                 .order_by("registered_at", "id"))
    if cases:
        audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin,
                     object_type="cases.case",
                     detail={"complaint": complaint.reference,
                             "cases": [case.register_number for case in cases]})
    return cases


def complaint_accusations(*, complaint: Complaint) -> list[Accusation]:
    """The officers linked as accused to a complaint its reader already opened (the
    complaints selector decided that he may)."""
    return list(complaint.accusations.select_related("officer__facility", "officer__user"))


def officers_accused_in(complaints: QuerySet[Complaint]) -> QuerySet[Officer]:
    """Officers the given complaints accuse: the suspects a case opened from them starts with."""
    return Officer.objects.filter(accusations__complaint__in=complaints).distinct().order_by(
        "full_name", "pk")


# ------------------------------------------------------------------ officer and unit pages


def officer_cases(*, user: User, pk: int, origin: Origin) -> tuple[Officer, QuerySet[Case]]:
    """An officer and the visible cases that name him; Officer.DoesNotExist when none does."""
    officer = Officer.objects.select_related("facility").filter(pk=pk).first()
    cases = (cases_visible(user=user).filter(pk__in=CaseParty.objects.filter(officer_id=pk)
                                              .values("case_id"))
             .select_related("facility", "region"))
    if officer is None or access_of(user) not in (Access.FULL, Access.READ) or not cases.exists():
        _denied(user, origin, "cases.officer", pk, "no visible case names him")
        raise Officer.DoesNotExist
    audit_record(actor=user, action=AuditEvent.Action.READ, origin=origin, obj=officer)
    return officer, cases


def unit_cases(*, user: User, code: str, origin: Origin
               ) -> tuple[Facility, QuerySet[Case], list[HeadAppointment]]:
    """A unit (facility), the visible cases about it, and who headed it."""
    facility = Facility.objects.filter(facility_q(user)).filter(code=code).select_related(
        "region").first()
    if facility is None or access_of(user) not in (Access.FULL, Access.READ):
        _denied(user, origin, "registry.facility", code, "cases of a unit")
        raise Facility.DoesNotExist
    cases = cases_visible(user=user).filter(facility=facility)
    audit_record(actor=user, action=AuditEvent.Action.LIST, origin=origin, obj=facility,
                 detail={"cases_of_unit": True})
    return facility, cases, list(facility.head_appointments.all())


def head_at(heads: list[HeadAppointment], day: dt.date) -> HeadAppointment | None:
    for head in heads:
        if head.started_on <= day and (head.ended_on is None or day < head.ended_on):
            return head
    return None


def accused_officer_ids(officer_ids: Collection[int]) -> set[int]:
    """Of ``officer_ids``, those an open complaint accuses or an open case names as suspect
    or accused (issue 22: interrogations by officers accused elsewhere). Not scoped: custody
    shows the answer as a flag to readers of proceedings only."""
    ids = set(officer_ids)
    accused = set(Accusation.objects.filter(officer_id__in=ids,
                                            complaint__status__in=OPEN_STATUSES)
                  .values_list("officer_id", flat=True))
    accused |= set(CaseParty.objects.filter(officer_id__in=ids,
                                            role__in=CaseParty.OFFICER_ROLES,
                                            case__status__in=OPEN_CASE_STATUSES)
                   .values_list("officer_id", flat=True))
    return accused


# ------------------------------------------------------------------ crisis centres, exclusions


def may_read_crisis_centres(user: User) -> bool:
    return has_capability(user, Capability.READ_CRISIS_CENTRES) and user.is_active


def crisis_centres(*, user: User, region_code: str = "", kind: str = ""
                   ) -> QuerySet[CrisisCentre]:
    """The registry of centres with their referrals from the reader's scope counted: made,
    answered, not answered in time (answer overdue and still none)."""
    from django.db.models import Count

    if not may_read_crisis_centres(user):
        raise PermissionDenied
    mine = Q(referrals__case__in=Case.objects.filter(facility_q(user, "facility")).values("pk"))
    found = CrisisCentre.objects.filter(is_active=True).select_related("region").annotate(
        n_referrals=Count("referrals", filter=mine, distinct=True),
        n_answered=Count("referrals", filter=mine & Q(referrals__responded_at__isnull=False),
                         distinct=True),
        n_overdue=Count("referrals", filter=mine & Q(
            referrals__responded_at__isnull=True,
            referrals__response_overdue_at__isnull=False), distinct=True),
    ).order_by("region__code", "name")
    if region_code:
        found = found.filter(region__code=region_code)
    if kind:
        # JSON containment is not portable (SQLite): the list is small, matched as text.
        found = found.filter(services__icontains=f'"{kind}"')
    return found


def may_read_exclusions(user: User) -> bool:
    return user.is_active and (has_capability(user, Capability.RUN_CASES)
                               or has_capability(user, Capability.READ_CASE_FILES))


def evidence_exclusions(*, user: User, origin: Origin) -> QuerySet[EvidenceExclusion]:
    if not may_read_exclusions(user):
        _denied(user, origin, "cases.evidenceexclusion", "", "no access to exclusions")
        raise PermissionDenied
    return EvidenceExclusion.objects.filter(facility_q(user, "facility")).select_related(
        "facility", "case")
