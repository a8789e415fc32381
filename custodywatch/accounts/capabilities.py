"""Who may do what: the one table of capabilities (issue 26, item 1).

Every permission check in the code asks this table, never a role: a service, a selector, a
view, the API, the menu and the templates (``{% if caps.edit_registry %}``, from
``custodywatch.navigation.navigation``) all read ``ROLE_CAPABILITIES`` through
``has_capability`` / ``user_can``, and the authorization-matrix tests derive their
expectations from it. Where a right is further limited to the person's scope, the policy
objects of ``accounts.policies`` put the scope rule of ``accounts.scoping.facility_q`` on top.

A capability grants nothing outside its holder's scope: "read custody records" is read the
records of the facilities ``facility_q`` gives. tests/accounts/test_capabilities.py fails on a
role compared anywhere else in custodywatch/ and on docs/security.md disagreeing with the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q

from custodywatch.accounts.models import Role, Scope


class Capability(models.TextChoices):
    """What a role may do; the label says it for docs/security.md (never shown to users, so
    not translated)."""

    # Accounts and reading in general.
    SIGN_IN_ON_WEB = "sign_in_on_web", "Sign in on the web pages"
    USE_ADMIN_SITE = "use_admin_site", "Use the administration site"
    READ_WHOLE_AUDIT_TRAIL = "read_whole_audit_trail", "Read everyone's audit trail"
    READ_IN_SCOPE = "read_in_scope", "Read the facilities of one's scope"
    # Registry and video.
    EDIT_REGISTRY = "edit_registry", "Change the registry"
    PROPOSE_CAMERA_CHANGE = "propose_camera_change", "Propose camera map changes"
    APPROVE_CAMERA_CHANGE = "approve_camera_change", "Approve camera map changes"
    DECIDE_CAMERA_REFERENCE = "decide_camera_reference", "Decide camera reference views"
    WRITE_VIDEO = "write_video", "Write video health, spans and recordings"
    ASSIGN_BODY_CAMERAS = "assign_body_cameras", "Assign body-worn cameras to officers' shifts"
    # Custody.
    READ_CUSTODY_RECORDS = "read_custody_records", "Read custody records"
    WRITE_CUSTODY = "write_custody", "Register and keep custody records"
    ACKNOWLEDGE_CUSTODY_ALERT = "acknowledge_custody_alert", "Acknowledge custody alerts"
    # Issue 22, item 7: mass detention (custody/mass.py).
    DECLARE_MASS_DETENTION = "declare_mass_detention", "Switch mass detention mode on and off"
    REGISTER_TEMPORARY_PLACE = "register_temporary_place", "Register temporary places"
    REVIEW_DETENTION_MEASURES = "review_detention_measures", "Review each detainee's measure"
    # Issue 22, item 8: "where is he held?" (custody/whereabouts.py).
    RECORD_INCOMMUNICADO_ORDER = "record_incommunicado_order", "Record incommunicado orders"
    LOOKUP_WHEREABOUTS_AS_LAWYER = "lookup_whereabouts_as_lawyer", "Ask where a person is held"
    CHECK_RELATIVE_IDENTITY = "check_relative_identity", "Check a relative's identity"
    LOOKUP_WHEREABOUTS_FOR_RELATIVE = ("lookup_whereabouts_for_relative",
                                       "Ask where a person is held for a checked relative")
    # Complaints.
    HANDLE_COMPLAINTS = "handle_complaints", "Handle complaints"
    ACT_FOR_PROSECUTION = "act_for_prosecution", "Act for the prosecutor's office"
    ACT_FOR_OMBUDSPERSON = "act_for_ombudsperson", "Act for the Ombudsperson"
    TAKE_COMPLAINT_BY_OPERATOR = "take_complaint_by_operator", "Take complaints by operator"
    DECIDE_IDENTITY_ACCESS = "decide_identity_access", "Decide who sees a complainant"
    READ_COMPLAINT_STATISTICS = "read_complaint_statistics", "Read complaint statistics"
    RELEASE_LEGAL_HOLD = "release_legal_hold", "Release legal holds"
    FILE_COMPLAINT_BY_API = "file_complaint_by_api", "File complaints by API"
    MANAGE_TERMINALS = "manage_terminals", "Add and revoke complaint terminals"
    # Relatives and lawyers asking to watch a person's interrogations (issue 23, item 7): an
    # operator checks the requester's identity, the prosecutor decides; never the facility.
    REVIEW_WATCH_REQUESTS = "review_watch_requests", "Check who asks to watch interrogations"
    DECIDE_WATCH_REQUESTS = "decide_watch_requests", "Decide requests to watch interrogations"
    # Cases.
    RUN_CASES = "run_cases", "Open and run cases"
    READ_CASE_FILES = "read_case_files", "Read whole case files"
    READ_CASES_WITHOUT_FORENSICS = "read_cases_without_forensics", "Read cases, no forensics"
    EXAMINE_FOR_CASES = "examine_for_cases", "Examine for cases (forensic expert)"
    DECIDE_COMPENSATION = "decide_compensation", "Decide compensation claims"
    READ_CRISIS_CENTRES = "read_crisis_centres", "Read the crisis centres' registry"
    # Accountability: proceedings against officers, the Fund's claims.
    READ_PROCEEDINGS = "read_proceedings", "Read proceedings against officers"
    RUN_PROCEEDINGS = "run_proceedings", "Act on proceedings, suspend officers"
    READ_FUND = "read_fund", "Read the Fund's claims"
    REVIEW_FUND_CLAIMS = "review_fund_claims", "Review the Fund's claims"
    READ_EVERY_FORENSIC_REPORT = "read_every_forensic_report", "Read every forensic report in scope"
    # Independent medical examinations.
    EXAMINE_DETAINEES = "examine_detainees", "Examine detainees (independent examiner)"
    READ_MEDICAL_EXAMINATIONS = "read_medical_examinations", "Read medical examinations"
    READ_MEDICAL_REFERRALS = "read_medical_referrals", "Read medical referrals"
    RECORD_DEATH_INVESTIGATION = "record_death_investigation", "Record a death's investigation"
    READ_RISK_MOMENTS = "read_risk_moments", "Read risk moments"
    # Escrowed footage and the evidence ledger.
    OPEN_ESCROWED_FOOTAGE = "open_escrowed_footage", "Open escrowed footage"
    RELEASE_ESCROW_HOLD = "release_escrow_hold", "Release escrow holds"
    READ_LEDGER_LEAVES = "read_ledger_leaves", "Read evidence ledger leaves"
    # Reports.
    READ_REPORTS = "read_reports", "Read reports"
    # Visits and recommendations.
    READ_VISITS = "read_visits", "Read visits and recommendations"
    PLAN_VISITS = "plan_visits", "Plan visits and issue recommendations"
    READ_INTERVIEW_NOTES = "read_interview_notes", "Read interview notes"
    SET_PLANNING_WEIGHTS = "set_planning_weights", "Set the planning weights"
    ANSWER_RECOMMENDATIONS = "answer_recommendations", "Answer the facility's recommendations"
    COMMENT_ON_RECOMMENDATIONS = "comment_on_recommendations", "Comment on public recommendations"
    MODERATE_COMMENTS = "moderate_comments", "Moderate NGOs' comments"
    # Who is told (by mail) of what happens: by the office a role holds.
    RECEIVE_FACILITY_NOTICES = "receive_facility_notices", "Told of his facility's alerts"
    RECEIVE_REGION_NOTICES = "receive_region_notices", "Told of his region's alerts"
    RECEIVE_COUNTRY_ESCALATIONS = "receive_country_escalations", "Told of escalations"
    RECEIVE_SYSTEM_NOTICES = "receive_system_notices", "Told of the system's faults"


C = Capability
MACHINES = (Role.EDGE_AGENT, Role.STATE_SYSTEM)
# What every person (not a machine) may do, within his scope.
_PERSON = frozenset({C.SIGN_IN_ON_WEB, C.READ_IN_SCOPE, C.READ_CUSTODY_RECORDS, C.READ_VISITS})
# Prosecutors: the prosecutor's office has exclusive jurisdiction over torture since 2023; a
# regional prosecutor within his region (ROLE_BOUND_SCOPE).
_PROSECUTOR = _PERSON | {
    C.HANDLE_COMPLAINTS, C.ACT_FOR_PROSECUTION, C.TAKE_COMPLAINT_BY_OPERATOR,
    C.READ_COMPLAINT_STATISTICS, C.RELEASE_LEGAL_HOLD, C.ACKNOWLEDGE_CUSTODY_ALERT,
    C.APPROVE_CAMERA_CHANGE, C.DECIDE_CAMERA_REFERENCE, C.RUN_CASES, C.READ_CASE_FILES,
    C.READ_MEDICAL_EXAMINATIONS, C.READ_MEDICAL_REFERRALS, C.RECORD_DEATH_INVESTIGATION,
    C.READ_RISK_MOMENTS, C.OPEN_ESCROWED_FOOTAGE, C.RELEASE_ESCROW_HOLD,
    C.READ_LEDGER_LEAVES, C.READ_REPORTS, C.READ_PROCEEDINGS, C.RUN_PROCEEDINGS, C.READ_FUND,
    C.REVIEW_FUND_CLAIMS, C.MANAGE_TERMINALS, C.REVIEW_WATCH_REQUESTS,
    C.DECIDE_WATCH_REQUESTS, C.READ_CRISIS_CENTRES,
    # Mass detention: the supervising prosecutor declares it, registers the temporary places
    # (so the register knows every place people are held) and reviews each measure; and
    # records a court's incommunicado order (never the facility: it is a party).
    C.DECLARE_MASS_DETENTION, C.REGISTER_TEMPORARY_PLACE, C.REVIEW_DETENTION_MEASURES,
    C.RECORD_INCOMMUNICADO_ORDER,
}
# The facility's own people: they keep its custody register and propose camera changes; the
# facility is a party, so they never handle complaints, read reports or ledger leaves.
# They hand out body-worn cameras at a shift's start (a claim like any of theirs: it can be
# ended from now on, never rewritten afterwards).
_FACILITY_STAFF = _PERSON | {C.WRITE_CUSTODY, C.ACKNOWLEDGE_CUSTODY_ALERT,
                             C.PROPOSE_CAMERA_CHANGE, C.ASSIGN_BODY_CAMERAS}
# The preventive mechanism: plans visits, records findings and interviews, issues
# recommendations (interview notes are for them alone).
_MONITOR = _PERSON | {C.PLAN_VISITS, C.READ_INTERVIEW_NOTES, C.SET_PLANNING_WEIGHTS,
                      C.TAKE_COMPLAINT_BY_OPERATOR, C.READ_COMPLAINT_STATISTICS,
                      C.READ_RISK_MOMENTS, C.READ_LEDGER_LEAVES, C.READ_REPORTS,
                      C.MANAGE_TERMINALS, C.REVIEW_WATCH_REQUESTS}

# Keyed by Role (a str: a stored role value finds its entry too).
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.SYSTEM_ADMIN: _PERSON | {
        C.USE_ADMIN_SITE, C.READ_WHOLE_AUDIT_TRAIL, C.EDIT_REGISTRY, C.DECIDE_CAMERA_REFERENCE,
        C.ASSIGN_BODY_CAMERAS, C.WRITE_CUSTODY, C.READ_COMPLAINT_STATISTICS, C.READ_CASE_FILES,
        C.MANAGE_TERMINALS,
        C.READ_LEDGER_LEAVES, C.READ_REPORTS, C.SET_PLANNING_WEIGHTS, C.RECEIVE_SYSTEM_NOTICES,
        C.READ_CRISIS_CENTRES},
    Role.GENERAL_PROSECUTOR: _PROSECUTOR | {
        C.READ_WHOLE_AUDIT_TRAIL, C.DECIDE_IDENTITY_ACCESS, C.READ_EVERY_FORENSIC_REPORT,
        C.RECEIVE_COUNTRY_ESCALATIONS},
    Role.REGIONAL_PROSECUTOR: _PROSECUTOR | {C.RECEIVE_REGION_NOTICES},
    Role.OMBUDSPERSON: _MONITOR | {
        C.READ_WHOLE_AUDIT_TRAIL, C.HANDLE_COMPLAINTS, C.ACT_FOR_OMBUDSPERSON,
        C.DECIDE_IDENTITY_ACCESS, C.READ_CASES_WITHOUT_FORENSICS, C.READ_PROCEEDINGS,
        C.READ_CRISIS_CENTRES, C.MODERATE_COMMENTS},
    Role.NPM_MONITOR: _MONITOR | {C.APPROVE_CAMERA_CHANGE, C.MODERATE_COMMENTS},
    Role.FACILITY_HEAD: _FACILITY_STAFF | {C.ANSWER_RECOMMENDATIONS, C.RECEIVE_FACILITY_NOTICES},
    Role.DUTY_OFFICER: _FACILITY_STAFF,
    Role.FORENSIC_EXPERT: _PERSON | {C.EXAMINE_FOR_CASES, C.READ_LEDGER_LEAVES},
    Role.MEDICAL_EXAMINER: _PERSON | {C.EXAMINE_DETAINEES, C.READ_MEDICAL_EXAMINATIONS},
    Role.COMPENSATION_OFFICER: _PERSON | {C.DECIDE_COMPENSATION, C.READ_FUND,
                                          C.READ_CRISIS_CENTRES},
    Role.ANALYST: _PERSON | {C.READ_COMPLAINT_STATISTICS, C.READ_LEDGER_LEAVES, C.READ_REPORTS},
    # Issue 22, item 8: outside the oversight system, so not _PERSON: they read no facility,
    # no register; each asks one question at a time, checked, rate-limited and ledgered.
    Role.LAWYER: frozenset({C.SIGN_IN_ON_WEB, C.LOOKUP_WHEREABOUTS_AS_LAWYER}),
    Role.HOTLINE_OPERATOR: frozenset({C.SIGN_IN_ON_WEB, C.CHECK_RELATIVE_IDENTITY,
                                      C.LOOKUP_WHEREABOUTS_FOR_RELATIVE}),
    # A registered NGO (issue 24 item 6): signs in to comment on the public recommendations,
    # reads nothing that is not public (no READ_IN_SCOPE: facility_q gives it nothing).
    Role.NGO: frozenset({C.SIGN_IN_ON_WEB, C.COMMENT_ON_RECOMMENDATIONS}),
    # Machines: the facility's edge agent writes its video and proposes its camera map (its
    # facility is its scope: facility_q); the e-appeals system files complaints, reads nothing.
    Role.EDGE_AGENT: frozenset({C.READ_IN_SCOPE, C.WRITE_VIDEO, C.PROPOSE_CAMERA_CHANGE}),
    Role.STATE_SYSTEM: frozenset({C.FILE_COMPLAINT_BY_API}),
}

# Roles whose work is bound to one facility or one region (accounts.services.scope_for gives
# them that scope); the others see the country unless given a region.
ROLE_BOUND_SCOPE: dict[str, Scope] = {
    Role.FACILITY_HEAD: Scope.FACILITY,
    Role.DUTY_OFFICER: Scope.FACILITY,
    Role.EDGE_AGENT: Scope.FACILITY,
    Role.REGIONAL_PROSECUTOR: Scope.REGION,
}


def capabilities_of(role: str | None) -> frozenset[Capability]:
    """The capabilities of a role (a Role or its stored value); none for an unknown one."""
    return ROLE_CAPABILITIES.get(role, frozenset()) if role else frozenset()


def has_capability(user: Any, capability: Capability) -> bool:
    """Whether a signed-in account's role grants ``capability`` (active or not: callers that
    refuse inactive accounts use ``user_can``). Anonymous visitors and None have none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return capability in capabilities_of(getattr(user, "role", None))


def user_can(user: Any, capability: Capability) -> bool:
    """``has_capability`` for an active account only."""
    return has_capability(user, capability) and bool(getattr(user, "is_active", False))


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles holding ``capability``: for queries of people (``role__in=``)."""
    return frozenset(Role(role) for role, caps in ROLE_CAPABILITIES.items() if capability in caps)


def holders_q(capability: Capability) -> Q:
    """A filter on User: the people whose role holds ``capability`` (whom to tell, whom to
    offer)."""
    return Q(role__in=roles_with(capability))


def speaks_for_an_organisation(role: str | None) -> bool:
    """A role whose words are published under its organisation's name (a registered NGO's
    comments): its account needs the organisation (User.organisation)."""
    return Capability.COMMENT_ON_RECOMMENDATIONS in capabilities_of(role)


def bound_scope(role: str | None) -> Scope | None:
    """The scope a role is bound to (facility staff, regional prosecutors), or None."""
    return ROLE_BOUND_SCOPE.get(role) if role else None


def is_region_bound(user: Any) -> bool:
    return bound_scope(getattr(user, "role", None)) == Scope.REGION


def is_facility_bound(user: Any) -> bool:
    return bound_scope(getattr(user, "role", None)) == Scope.FACILITY


class UnknownCapability(Exception):
    """A template asked for a capability the table does not have (a typing error). Not a
    KeyError/AttributeError: Django's templates would swallow those as "no"."""


class CapabilitySet:
    """The template view of one person's capabilities: ``{% if caps.edit_registry %}``.
    An unknown name raises UnknownCapability, so a misspelt capability fails the page's
    tests instead of hiding silently as "no"."""

    def __init__(self, user: Any) -> None:
        self._caps = (capabilities_of(getattr(user, "role", None))
                      if user is not None and getattr(user, "is_authenticated", False)
                      else frozenset())

    def __getitem__(self, name: str) -> bool:
        if name not in Capability.values:
            raise UnknownCapability(name)
        return name in self._caps

    def __getattr__(self, name: str) -> bool:
        # Templates look up ``caps.x`` as ``caps["x"]`` first, which raises for a misspelt
        # name; Python's own attribute questions (hasattr) get a plain "no such attribute".
        if name.startswith("_") or name not in Capability.values:
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name: object) -> bool:
        return name in self._caps

    def __repr__(self) -> str:
        return f"CapabilitySet({sorted(self._caps)})"


def matrix_markdown(roles: Iterable[Role] = tuple(Role)) -> str:
    """The table as Markdown (docs/security.md holds it; a test keeps the two equal)."""
    roles = list(roles)
    header = "| Capability | What | " + " | ".join(f"`{role.value}`" for role in roles) + " |"
    rule = "|---|---|" + "---|" * len(roles)
    rows = [f"| `{cap.value}` | {cap.label} | " + " | ".join(
        "✓" if cap in ROLE_CAPABILITIES[role] else "" for role in roles) + " |"
        for cap in Capability]
    scope = ["", "Roles bound to a scope: " + ", ".join(
        f"`{role}` → {scope.value}" for role, scope in ROLE_BOUND_SCOPE.items()) + "."]
    return "\n".join([header, rule, *rows, *scope]) + "\n"
