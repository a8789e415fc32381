"""Every page and API operation, for every role, inside and outside the person's scope.

The table below is the authority: a URL without an entry fails `test_every_route_is_in_the
_table`, so nobody adds a page without deciding who may see it. Who holds each right is read
from the capability table (accounts.capabilities: `holders`), the one the code asks; every
request is still made and every denial checked. Expected outcomes:
- "allow": 200 (or a 302 that is not to the sign-in page);
- "deny": 403 or 404 (404 where existence itself is not to be confirmed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.capabilities import Capability, bound_scope, capabilities_of
from custodywatch.accounts.middleware import reads_public_only
from custodywatch.accounts.models import Role, Scope, User
from custodywatch.api import api
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel, Complaint
from custodywatch.custody import services as custody
from custodywatch.custody.models import CustodyRecord
from custodywatch.ledger.services import ledger_integrate_all
from custodywatch.medical import services as medical
from custodywatch.registry.models import Agency, Facility
from custodywatch.visits import services as visits
from custodywatch.visits.models import Category, Recommendation, Source, TeamMember, Visit
from tests.cases.matrix import with_case
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db

# Every role a person signs in with (tests/conftest.py `people`, plus the `staff` fixture
# below): the machine roles have no web session (tests/accounts).
STAFF = ("admin", "gpo", "prosecutor_a", "head_a", "head_b", "duty_a", "analyst",
         "ombudsperson", "monitor", "forensic", "compensation", "doctor", "lawyer",
         "operator", "ngo")
# Each person's role (test_the_matrix_signs_in_every_human_role checks the accounts have it).
STAFF_ROLES: dict[str, Role] = {
    "admin": Role.SYSTEM_ADMIN, "gpo": Role.GENERAL_PROSECUTOR,
    "prosecutor_a": Role.REGIONAL_PROSECUTOR, "head_a": Role.FACILITY_HEAD,
    "head_b": Role.FACILITY_HEAD, "duty_a": Role.DUTY_OFFICER, "analyst": Role.ANALYST,
    "ombudsperson": Role.OMBUDSPERSON, "monitor": Role.NPM_MONITOR,
    "forensic": Role.FORENSIC_EXPERT, "compensation": Role.COMPENSATION_OFFICER,
    "doctor": Role.MEDICAL_EXAMINER, "lawyer": Role.LAWYER,
    "operator": Role.HOTLINE_OPERATOR, "ngo": Role.NGO}


def holders(*capabilities: Capability) -> frozenset[str]:
    """The people of STAFF whose role holds any of the capabilities, as the table says."""
    return frozenset(name for name in STAFF
                     if capabilities_of(STAFF_ROLES[name]) & set(capabilities))


# Requests to watch interrogations: checked by operators, decided by prosecutors.
WATCH_REQUEST_STAFF = holders(Capability.REVIEW_WATCH_REQUESTS) | holders(
    Capability.DECIDE_WATCH_REQUESTS)
# Visits, recommendations and their planning are the preventive mechanism's work.
MONITORS = holders(Capability.PLAN_VISITS)


@dataclass(frozen=True)
class World:
    """The objects of one facility that routes point at."""

    facility: Facility
    visit: Visit
    recommendation: Recommendation
    custody_record: CustodyRecord
    complaint: Complaint
    # The cases app's objects (tests/cases/matrix.py).
    case: Any = None
    examination: Any = None
    evidence: Any = None
    officer: Any = None
    # What only the writes need (tests/security/test_writes_and_api_matrix.py `post_worlds`):
    # an open custody alert, a pending identity request, an interrogation going on in a
    # transparent room and a viewer named for it.
    alert: Any = None
    identity_access: Any = None
    interrogation: Any = None
    viewer: Any = None
    # An independent medical examination of the world's custody record (no injury: no
    # referral); world a's is by "doctor", world b's by a country-wide examiner.
    medical_examination: Any = None


@dataclass(frozen=True)
class Route:
    # "public": anyone; "account": anyone signed in (a registered NGO too); "signed_in": any
    # staff but a registered NGO (accounts.middleware.reads_public_only); "scoped": staff whose
    # scope holds the world's facility; "roles": only the listed users (and, with
    # scoped=True, in scope).
    access: str
    kwargs: Callable[[World], dict] | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    scoped: bool = False
    # Those to whom only world a's object is assigned (the examiner of case a; the compensation
    # officer of case a's claim): allowed on world a, denied on world b, whatever their scope.
    assigned: frozenset[str] = field(default_factory=frozenset)
    # Routes that only take a POST (or need a step before them): a GET checks sign-in only;
    # tests/security/test_writes_and_api_matrix.py posts valid data for every role and world
    # (or names the test that checks the route's download).
    get_checks_sign_in_only: bool = False
    # A public route whose object this world does not have (or an endpoint that is off
    # unless configured): 404 for everyone here; its own test checks what it serves.
    absent_here: bool = False


def _facility(world: World) -> dict:
    return {"code": world.facility.code}


def _camera(world: World) -> dict:
    return {"code": world.facility.code, "camera": "CAM1"}


def _visit(world: World) -> dict:
    return {"pk": world.visit.pk}


def _recommendation(world: World) -> dict:
    return {"pk": world.recommendation.pk}


def _custody_record(world: World) -> dict:
    return {"pk": world.custody_record.pk}


def _complaint(world: World) -> dict:
    return {"pk": world.complaint.pk}


def _kiosk(world: World) -> dict:
    return {"facility_code": world.facility.code}


def _pk(obj: Any) -> int:
    """The object's key; 0 in the worlds that do not have one (the GET checks' worlds)."""
    return obj.pk if obj is not None else 0


def _ledger_leaf(world: World) -> dict:
    ledger_integrate_all()  # the audit events of the fixtures become leaves 0, 1, ...
    return {"index": 0}


# Who registers detentions: the facility's own staff, and system administrators.
CUSTODY_WRITERS = holders(Capability.WRITE_CUSTODY)
# Who acknowledges custody alerts (taking responsibility for them): the facility's staff and
# the supervising prosecutors, within their scope (custody.alerts.ACKNOWLEDGERS).
ALERT_ACKNOWLEDGERS = holders(Capability.ACKNOWLEDGE_CUSTODY_ALERT)
# Who handles complaints: prosecutors (their region) and the Ombudsperson; never the staff
# of a facility, whose own complaints they might be (docs/complaints.md).
COMPLAINT_HANDLERS = holders(Capability.HANDLE_COMPLAINTS)
# Who approves a request to see a complainant's identity (complaints.selectors).
IDENTITY_CUSTODIANS = holders(Capability.DECIDE_IDENTITY_ACCESS)
# Who takes a complaint by operator (telephone, lawyer, relative, an NPM visit): the handlers
# and the NPM monitors.
COMPLAINT_OPERATORS = holders(Capability.TAKE_COMPLAINT_BY_OPERATOR)
# Who manages complaint terminals: the oversight bodies, never a facility's staff.
TERMINAL_MANAGERS = holders(Capability.MANAGE_TERMINALS)
# Who hands out body-worn cameras for a shift (the facility's staff in their facility, the
# administrator); the prosecutors who supervise read the page too (and its gaps, alone).
BODY_CAMERA_ASSIGNERS = holders(Capability.ASSIGN_BODY_CAMERAS)
BODY_CAMERA_READERS = holders(Capability.ASSIGN_BODY_CAMERAS, Capability.ACT_FOR_PROSECUTION)
# Who sees complaint statistics (anonymised, small cells suppressed).
COMPLAINT_STATISTICS = holders(Capability.READ_COMPLAINT_STATISTICS)

# Who reads ledger leaves: they reveal who looked at what, so never facility staff nor the
# compensation officer.
LEDGER_READERS = holders(Capability.READ_LEDGER_LEAVES)
# Who reads reports (dashboard, scorecard, UN CAT): the statistics readers, not unit staff.
REPORT_READERS = holders(Capability.READ_REPORTS)
# Cases (custodywatch/cases/selectors.py): the Ombudsperson reads every case but never a
# forensic report; the examiner and the compensation officer see only the header of the cases
# assigned to them (CASE_ASSIGNED), never their evidence, parties, officers or units.
CASE_READERS = holders(Capability.READ_CASE_FILES)
CASE_PROSECUTORS = holders(Capability.RUN_CASES)
CASE_CONTENT_READERS = holders(Capability.READ_CASE_FILES,
                               Capability.READ_CASES_WITHOUT_FORENSICS)
# Independent medical examinations (READ_MEDICAL_EXAMINATIONS): the independent
# examiners and the prosecutors, within their scope; never the facility's staff, the NPM,
# analysts, the Ombudsperson or the system administrator (medical confidentiality).
MEDICAL_READERS = holders(Capability.READ_MEDICAL_EXAMINATIONS)
CASE_ASSIGNED = holders(Capability.EXAMINE_FOR_CASES, Capability.DECIDE_COMPENSATION)
CASE_EXAMINERS = holders(Capability.EXAMINE_FOR_CASES)
# Issue 22: mass detention is the prosecutors' (declare, register places, review); the
# incommunicado order theirs too; "where is he held?" the lawyers' and the hotline operators'.
MASS_READERS = holders(Capability.REVIEW_DETENTION_MEASURES, Capability.DECLARE_MASS_DETENTION)
INCOMMUNICADO_RECORDERS = holders(Capability.RECORD_INCOMMUNICADO_ORDER)
LAWYERS = holders(Capability.LOOKUP_WHEREABOUTS_AS_LAWYER)
OPERATORS = holders(Capability.CHECK_RELATIVE_IDENTITY)

ROUTES: dict[str, Route] = {
    "home": Route("account"),
    "health": Route("public"),
    "accounts:login": Route("public"),
    "accounts:logout": Route("public", get_checks_sign_in_only=True),
    "accounts:otp_verify": Route("account"),
    "accounts:otp_setup": Route("account"),
    "accounts:preferences": Route("account"),
    "accounts:audit_trail": Route("account"),
    "registry:facility_list": Route("signed_in"),
    "registry:facility_detail": Route("scoped", kwargs=_facility),
    "registry:import": Route("roles", roles=holders(Capability.EDIT_REGISTRY)),
    # Anyone in scope sees a facility's cameras and their proposed changes; proposing (the
    # facility's own staff) and deciding (prosecutors, NPM monitors) are checked in
    # tests/registry/test_camera_changes.py.
    "registry:camera_changes": Route("scoped", kwargs=_facility),
    "registry:marker_sheet": Route("scoped", kwargs=_facility),
    "registry:marker_check": Route("signed_in"),
    "set_language": Route("public", get_checks_sign_in_only=True),
    "javascript-catalog": Route("public"),
    "video:overview": Route("signed_in"),
    "custody:index": Route("signed_in"),
    "custody:desk": Route("scoped", kwargs=_facility),
    "custody:record_new": Route("roles", roles=CUSTODY_WRITERS, scoped=True, kwargs=_facility),
    "custody:record": Route("scoped", kwargs=_custody_record),
    # The person of a record across facilities: whoever reads the record (scoped parts).
    "custody:person": Route("scoped", kwargs=_custody_record),
    # Keeping a record is its writers' work, as registering it; the others in scope read it.
    **{f"custody:record_{action}": Route("roles", roles=CUSTODY_WRITERS, scoped=True,
                                         kwargs=_custody_record, get_checks_sign_in_only=True)
       for action in ("move", "interrogation", "medical", "notification", "safeguards",
                      "regime", "delay", "end",
                      # Issue 22, items 4-5.
                      "review", "risk", "cell_check")},
    # Footage of a record (escrowed / local only / lost): whoever reads the record.
    "escrow:record_footage": Route("scoped", kwargs=_custody_record),
    # Blackouts and the footage off-site: a list, scoped to the reader's facilities.
    "escrow:blackouts": Route("signed_in"),
    # Body-worn cameras: a list scoped to the reader's facilities; taking one back is its
    # assigners' work, in their scope (tests/security/test_writes_and_api_matrix.py posts).
    "escrow:body_cameras": Route("roles", roles=BODY_CAMERA_READERS),
    "escrow:body_camera_unassign": Route("roles", roles=BODY_CAMERA_ASSIGNERS, scoped=True,
                                         kwargs=lambda w: {"pk": 0},
                                         get_checks_sign_in_only=True),
    "custody:overruns": Route("signed_in"),
    # Issue 22, item 7. The event's own pages need a mass detention:
    # tests/custody/test_mass.py checks every role on them.
    "custody:mass": Route("roles", roles=MASS_READERS),
    "custody:mass_detail": Route("roles", roles=MASS_READERS, kwargs=lambda w: {"pk": 0},
                                 get_checks_sign_in_only=True),
    "custody:mass_end": Route("roles", roles=MASS_READERS, kwargs=lambda w: {"pk": 0},
                              get_checks_sign_in_only=True),
    "custody:mass_place_new": Route("roles", roles=MASS_READERS, kwargs=lambda w: {"pk": 0},
                                    get_checks_sign_in_only=True),
    "custody:review_decide": Route("roles", roles=MASS_READERS, kwargs=lambda w: {"pk": 0},
                                   get_checks_sign_in_only=True),
    "custody:intake": Route("roles", roles=CUSTODY_WRITERS, scoped=True, kwargs=_facility),
    # Issue 22, item 8.
    "custody:incommunicado": Route("roles", roles=INCOMMUNICADO_RECORDERS, scoped=True,
                                   kwargs=_custody_record),
    "custody:whereabouts": Route("roles", roles=LAWYERS),
    "custody:whereabouts_operator": Route("roles", roles=OPERATORS),
    # Needs an identity check: tests/custody/test_whereabouts.py posts it.
    "custody:whereabouts_relative": Route("roles", roles=OPERATORS,
                                          kwargs=lambda w: {"pk": 0},
                                          get_checks_sign_in_only=True),
    "custody:alerts": Route("signed_in"),
    "custody:alert_acknowledge": Route("roles", roles=ALERT_ACKNOWLEDGERS, scoped=True,
                                       kwargs=lambda w: {"pk": _pk(w.alert)},
                                       get_checks_sign_in_only=True),
    "complaints:intake": Route("public"),
    "complaints:status": Route("public"),
    "complaints:status_reply": Route("public", get_checks_sign_in_only=True),
    "complaints:kiosk": Route("public", kwargs=_kiosk),
    # Only an enrolled terminal of the facility (a device credential, no person): every
    # browser here is refused (tests/complaints/test_terminals.py enrols one).
    "complaints:kiosk_form": Route("terminal", kwargs=_kiosk),
    "complaints:kiosk_status": Route("public", kwargs=_kiosk),
    "complaints:kiosk_queue": Route("public", kwargs=_kiosk, get_checks_sign_in_only=True),
    "complaints:kiosk_sw": Route("public"),
    # The rights leaflet (issue 23, item 5): public, on the site and on a facility's kiosk.
    "complaints:rights": Route("public"),
    "complaints:kiosk_rights": Route("public", kwargs=_kiosk),
    "complaints:terminal_enrol": Route("public"),
    "complaints:terminal_heartbeat": Route("public", get_checks_sign_in_only=True),
    "complaints:terminals": Route("roles", roles=TERMINAL_MANAGERS),
    "complaints:terminal_action": Route("roles", kwargs=lambda w: {"pk": 0, "action": "revoke"},
                                        roles=TERMINAL_MANAGERS, scoped=True,
                                        get_checks_sign_in_only=True),
    "complaints:inbox": Route("roles", roles=COMPLAINT_HANDLERS),
    "complaints:export": Route("roles", roles=COMPLAINT_HANDLERS),
    "complaints:operator": Route("roles", roles=COMPLAINT_OPERATORS),
    "complaints:statistics": Route("roles", roles=COMPLAINT_STATISTICS),
    "complaints:detail": Route("roles", roles=COMPLAINT_HANDLERS, scoped=True,
                               kwargs=_complaint),
    "complaints:action": Route("roles", roles=COMPLAINT_HANDLERS, scoped=True,
                               kwargs=lambda w: {"pk": w.complaint.pk, "action": "message"},
                               get_checks_sign_in_only=True),
    # A download needs an attachment: tests/complaints/test_attachment_download.py checks it.
    "complaints:attachment": Route("roles", roles=COMPLAINT_HANDLERS, scoped=True,
                                   kwargs=lambda w: {"pk": w.complaint.pk, "attachment_pk": 0},
                                   get_checks_sign_in_only=True),
    # The identity's custodians: the GPO and the Ombudsperson, never the requester, for a
    # complaint they may see (docs/complaints.md "Opening an identity").
    "complaints:identity_decide": Route("roles", roles=IDENTITY_CUSTODIANS, scoped=True,
                                        kwargs=lambda w: {"pk": _pk(w.identity_access)},
                                        get_checks_sign_in_only=True),
    "visits:calendar": Route("signed_in"),
    "visits:tracker": Route("signed_in"),
    # The risk board weighs complaints against each facility: never its staff's.
    "visits:planning": Route("roles", roles=frozenset(
        name for name in STAFF if bound_scope(STAFF_ROLES[name]) != Scope.FACILITY
        and Capability.READ_IN_SCOPE in capabilities_of(STAFF_ROLES[name]))),
    # Planning visits and issuing recommendations is the monitors' work.
    "visits:visit_plan": Route("roles", roles=MONITORS),
    "visits:recommendation_new": Route("roles", roles=MONITORS),
    "visits:visit_offline": Route("roles", roles=MONITORS, kwargs=_visit),
    # A completed visit is seen within the reader's scope; interview notes stay sealed.
    "visits:visit_detail": Route("scoped", kwargs=_visit),
    "visits:visit_report": Route("scoped", kwargs=lambda w: {"pk": w.visit.pk,
                                                              "language": "en"}),
    "visits:finding_photo": Route("scoped", kwargs=lambda w: {"pk": 0},
                                  get_checks_sign_in_only=True),
    "visits:recommendation_detail": Route("scoped", kwargs=_recommendation),
    "visits:facility_history": Route("scoped", kwargs=_facility),
    "ledger:overview": Route("roles", roles=LEDGER_READERS),
    "ledger:leaf_detail": Route("roles", roles=LEDGER_READERS, kwargs=_ledger_leaf),
    "ledger:leaf_proof": Route("roles", roles=LEDGER_READERS, kwargs=_ledger_leaf),
    "ledger:file_check": Route("roles", roles=LEDGER_READERS),
    "video:camera_wall": Route("scoped", kwargs=_facility),
    # Cases (tests/cases/test_access.py checks the other roles and the suspect officer).
    "cases:index": Route("roles", roles=CASE_CONTENT_READERS | CASE_ASSIGNED),
    "cases:case_new": Route("roles", roles=CASE_PROSECUTORS),
    "cases:import": Route("roles", roles=CASE_PROSECUTORS),
    "cases:case_detail": Route("roles", roles=CASE_CONTENT_READERS, scoped=True,
                               assigned=CASE_ASSIGNED, kwargs=lambda w: {"pk": w.case.pk}),
    "cases:case_action": Route("roles", roles=CASE_PROSECUTORS, scoped=True,
                               kwargs=lambda w: {"pk": w.case.pk, "action": "step"},
                               get_checks_sign_in_only=True),
    # No evidence in the signed ledger yet: a reader is sent back to the case page (302);
    # the examiner and the compensation officer, who may not read the evidence, are refused
    # (tests/security/test_admin_and_exports_matrix.py downloads the real package).
    "cases:evidence_package": Route("roles", roles=CASE_CONTENT_READERS, scoped=True,
                                    kwargs=lambda w: {"pk": w.case.pk}),
    # Forensic reports: the case's prosecutors (prosecutor_a supervises case a), the GPO and
    # the examiner; never the Ombudsperson nor the system administrator.
    "cases:examination": Route("roles", roles=CASE_PROSECUTORS, scoped=True,
                               assigned=CASE_EXAMINERS,
                               kwargs=lambda w: {"pk": w.examination.pk}),
    "cases:examination_pdf": Route("roles", roles=CASE_PROSECUTORS, scoped=True,
                                   assigned=CASE_EXAMINERS,
                                   kwargs=lambda w: {"pk": w.examination.pk}),
    # The examiner writes his report; the case's prosecutors may transcribe a paper one.
    "cases:examination_action": Route("roles", roles=CASE_PROSECUTORS, scoped=True,
                                      assigned=CASE_EXAMINERS,
                                      kwargs=lambda w: {"pk": w.examination.pk,
                                                        "action": "finding"},
                                      get_checks_sign_in_only=True),
    "cases:photo": Route("roles", kwargs=lambda w: {"pk": 0}, get_checks_sign_in_only=True),
    "cases:evidence": Route("roles", roles=CASE_CONTENT_READERS, scoped=True,
                            kwargs=lambda w: {"pk": w.evidence.pk}),
    "cases:evidence_file": Route("roles", roles=CASE_CONTENT_READERS, scoped=True,
                                 kwargs=lambda w: {"pk": w.evidence.pk}),
    "cases:officer": Route("roles", roles=CASE_CONTENT_READERS, scoped=True,
                           kwargs=lambda w: {"pk": w.officer.pk}),
    "cases:unit": Route("roles", roles=CASE_CONTENT_READERS, scoped=True, kwargs=_facility),
    # Live view: staff see a record's viewers within their scope; viewers open their link
    # without sign-in (the link is the key: tests/liveview/test_access.py).
    # Independent medical examinations (issue 21): a region-scoped examiner ("doctor", Almaty)
    # reads and writes facility a's; photographs only by the examination's own examiner.
    "medical:index": Route("roles", roles=MEDICAL_READERS),
    "medical:record": Route("roles", roles=MEDICAL_READERS, scoped=True, kwargs=_custody_record),
    "medical:examination": Route("roles", roles=MEDICAL_READERS, scoped=True,
                                 kwargs=lambda w: {"pk": _pk(w.medical_examination)}),
    "medical:examination_pdf": Route("roles", roles=MEDICAL_READERS, scoped=True,
                                     kwargs=lambda w: {"pk": _pk(w.medical_examination)}),
    "medical:photo_add": Route("roles", assigned=holders(Capability.EXAMINE_DETAINEES),
                               kwargs=lambda w: {"pk": _pk(w.medical_examination)},
                               get_checks_sign_in_only=True),
    # A download needs a photograph: tests/medical/test_pages.py checks it.
    "medical:photo": Route("roles", kwargs=lambda w: {"pk": 0}, get_checks_sign_in_only=True),
    # A death needs a death in custody: tests/medical/test_deaths.py checks who records it.
    "medical:death": Route("roles", kwargs=lambda w: {"pk": 0}, get_checks_sign_in_only=True),
    # Risk moments (READ_RISK_MOMENTS): prosecutors, the NPM, the Ombudsperson.
    "medical:risk": Route("roles", roles=holders(Capability.READ_RISK_MOMENTS)),
    "liveview:index": Route("signed_in"),
    "liveview:record": Route("scoped", kwargs=_custody_record),
    # Naming and revoking viewers: the record's writers (docs/liveview.md).
    "liveview:viewer_add": Route("roles", roles=CUSTODY_WRITERS, scoped=True,
                                 kwargs=_custody_record, get_checks_sign_in_only=True),
    "liveview:viewer_revoke": Route("roles", roles=CUSTODY_WRITERS, scoped=True,
                                    kwargs=lambda w: {"pk": w.custody_record.pk,
                                                      "viewer_pk": _pk(w.viewer)},
                                    get_checks_sign_in_only=True),
    "liveview:open": Route("public", kwargs=lambda w: {"code": "0" * 25}),
    "liveview:code": Route("public"),
    "liveview:watch": Route("public", kwargs=lambda w: {"pk": 0}),
    # Requests to watch (issue 23, item 7): anyone asks; those who check identities or decide
    # see the requests of their scope (the facility never: tests/liveview/test_watch_requests.py
    # checks the way, the scope and the refusals).
    "liveview:watch_request_new": Route("public"),
    # The waiting-room screen: only an enrolled waiting-room terminal (a device, no person):
    # every browser here is refused (tests/liveview/test_watch_requests.py enrols one).
    "waiting_room_screen": Route("terminal"),
    "liveview:watch_requests": Route("roles", roles=WATCH_REQUEST_STAFF),
    "liveview:watch_request": Route("roles", roles=WATCH_REQUEST_STAFF,
                                    kwargs=lambda w: {"pk": 0}, get_checks_sign_in_only=True),
    "liveview:watch_request_action": Route("roles", roles=WATCH_REQUEST_STAFF,
                                           kwargs=lambda w: {"pk": 0, "action": "check"},
                                           get_checks_sign_in_only=True),
    "video:camera_views": Route("scoped", kwargs=_camera),
    # No image in this world (404 for everyone); its scope is tests/agent/test_reference_sync.py.
    "video:camera_view_image": Route("scoped", kwargs=lambda w: {**_camera(w), "which": "current"},
                                     get_checks_sign_in_only=True),
    "reports:index": Route("roles", roles=REPORT_READERS),
    "reports:scorecard": Route("roles", roles=REPORT_READERS),
    "reports:unit": Route("roles", roles=REPORT_READERS, scoped=True, kwargs=_facility),
    "reports:heads": Route("roles", roles=REPORT_READERS),
    "reports:coverage": Route("roles", roles=REPORT_READERS),
    "reports:cat": Route("roles", roles=REPORT_READERS),
    "reports:cat_export": Route("roles", roles=REPORT_READERS, kwargs=lambda w: {"fmt": "xlsx"}),
    "reports:open_data": Route("public"),
    "reports:open_data_download": Route("public", kwargs=lambda w: {"table": "complaints",
                                                                     "fmt": "csv"}),
    "reports:open_data_releases": Route("public"),
    # No release in this world (404 for everyone): tests/reports/test_open_data_release.py.
    "reports:open_data_release_file": Route("public", kwargs=lambda w: {"version": 1,
                                                                         "name": "x.csv"},
                                            absent_here=True),
    "visits:public_recommendations": Route("public"),
    # Issue 24 item 6: a registered NGO comments (POST only: tests/visits/test_ngo_comments.py
    # and the writes matrix); moderators (MODERATE_COMMENTS) read the queue and decide.
    "visits:recommendation_comment": Route("roles", roles=holders(
        Capability.COMMENT_ON_RECOMMENDATIONS), kwargs=lambda w: {"pk": 0},
        get_checks_sign_in_only=True),
    "visits:comment_moderation": Route("roles", roles=holders(Capability.MODERATE_COMMENTS)),
    "visits:comment_moderate": Route("roles", roles=holders(Capability.MODERATE_COMMENTS),
                                     kwargs=lambda w: {"pk": 0}, get_checks_sign_in_only=True),
    # Issue 24 item 4: the crisis centres' registry; item 5: the exclusions of evidence
    # (prosecutors record, case-file readers read) and the UN CAT follow-up report.
    "cases:crisis_centres": Route("roles", roles=holders(Capability.READ_CRISIS_CENTRES)),
    "cases:exclusions": Route("roles", roles=holders(Capability.RUN_CASES,
                                                      Capability.READ_CASE_FILES)),
    "reports:cat_follow_up": Route("roles", roles=REPORT_READERS),
    "reports:cat_follow_up_export": Route("roles", roles=REPORT_READERS,
                                          kwargs=lambda w: {"fmt": "json"},
                                          get_checks_sign_in_only=True),
    # A scraper's bearer token, not a person's session; off without CUSTODYWATCH_METRICS_TOKEN:
    # tests/test_metrics.py.
    "metrics": Route("public", absent_here=True),
    # Issue 24 (tests/accountability/ checks scope, the objects and every write): heads'
    # rates for those who read reports; proceedings for prosecutors and the Ombudsperson,
    # never the facility; the Fund for prosecutors and its compensation officers.
    "accountability:heads": Route("roles", roles=REPORT_READERS),
    "accountability:head_person": Route("roles", kwargs=lambda w: {"pk": 0},
                                        get_checks_sign_in_only=True),
    "accountability:head_figure": Route("roles", kwargs=lambda w: {"pk": 0,
                                                                   "figure": "unjustified"},
                                        get_checks_sign_in_only=True),
    "accountability:proceedings": Route("roles", roles=holders(Capability.READ_PROCEEDINGS)),
    "accountability:proceeding": Route("roles", kwargs=lambda w: {"pk": 0},
                                       get_checks_sign_in_only=True),
    "accountability:fund": Route("roles", roles=holders(Capability.READ_FUND)),
    "accountability:fund_claim": Route("roles", kwargs=lambda w: {"pk": 0},
                                       get_checks_sign_in_only=True),
    "accountability:register_create": Route("roles", get_checks_sign_in_only=True),
    "accountability:register_paid": Route("roles", kwargs=lambda w: {"pk": 0},
                                          get_checks_sign_in_only=True),
    "accountability:register_download": Route("roles", kwargs=lambda w: {"pk": 0,
                                                                         "fmt": "csv"},
                                              get_checks_sign_in_only=True),
    "accountability:recourse": Route("roles", kwargs=lambda w: {"pk": 0},
                                     get_checks_sign_in_only=True),
}

# Every API operation: "public" answers without credentials; "token" needs a bearer token
# or a signed-in session past the second factor (tests/registry/test_api.py and each
# app's API tests check scopes and denials in depth).
API_ROUTES: dict[str, str] = {
    "api:openapi-json": "public",
    "api:openapi-view": "public",
    "api:api-root": "public",
    "api:region_list": "token",
    "api:facility_list": "token",
    "api:facility_get": "token",
    "api:camera_put": "token",
    "api:camera_change_list": "token",
    "api:camera_change_decision": "token",
    "api:marker_sightings_post": "token",
    "api:heartbeats_post": "token",
    "api:checkpoint": "public",
    "api:proof_inclusion": "public",
    "api:proof_consistency": "public",
    "api:leaves": "token",
    "api:visits_findings_sync": "token",
    "api:records_batch": "token",
    "api:stays_batch": "token",
    "api:interrogations_batch": "token",
    "api:examinations_batch": "token",
    "api:record_get": "token",
    "api:complaint_status": "public",
    "api:complaint_status_reply": "public",
    "api:complaint_intake": "token",
    "api:complaint_list": "token",
    "api:complaint_get": "token",
    "api:preservation_orders": "token",
    "api:preservation_reports": "token",
    "api:escrow_plan": "token",
    "api:escrow_grants": "token",
    "api:escrow_acks": "token",
    "api:escrow_fingerprints": "token",
    "api:references_sync": "token",
    "api:visit_list": "token",
    "api:recommendation_list": "token",
    "api:state_spans_post": "token",
    "api:recordings_post": "token",
    "api:case_list": "token",
    "api:case_get": "token",
    "api:charges_batch": "token",
    # Live view: agents send frames with their token; a viewer's page fetches frames with
    # the cookie its link set (tests/liveview/test_access.py checks the refusals).
    "api:live_camera_wanted": "token",
    "api:live_frame_post": "token",
    "api:live_viewer_frame": "public",
    # Reports: readers of reports only, scoped like the pages (tests/reports/test_links_api.py);
    # the open-data tables are public like their page.
    "api:reports_dashboard": "token",
    "api:reports_regions": "token",
    "api:reports_scorecard": "token",
    "api:reports_unit": "token",
    "api:reports_heads": "token",
    "api:reports_coverage_burndown": "token",
    "api:reports_open_data": "public",
}


def _route_names() -> list[tuple[str, str]]:
    names = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
                walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                names.append((prefix + str(pattern.pattern), name))

    walk(get_resolver(), "", None)
    return names


def test_every_route_is_in_the_table():
    missing = [
        (path, name) for path, name in _route_names()
        if not path.startswith("admin/") and name not in ROUTES and name not in API_ROUTES
    ]
    assert missing == [], "add these routes to the authorization matrix"


def _sees(user: User, facility: Facility) -> bool:
    if Capability.READ_IN_SCOPE not in capabilities_of(user.role):
        return False  # reads no facility: a lawyer, an operator, a registered NGO
    if user.scope == Scope.COUNTRY:
        return True
    if user.scope == Scope.REGION:
        return user.region_id == facility.region_id
    return user.facility_id == facility.pk


def _expected(route: Route, username: str, user: User, world: World, label: str) -> str:
    if route.access in ("public", "account"):
        return "allow"
    if route.access == "signed_in":
        return "deny" if reads_public_only(user) else "allow"
    if route.access == "scoped":
        return "allow" if _sees(user, world.facility) else "deny"
    if username in route.assigned:
        return "allow" if label == "a" else "deny"
    allowed = username in route.roles and (not route.scoped or _sees(user, world.facility))
    return "allow" if allowed else "deny"


def _outcome(response) -> str:
    if response.status_code == 200:
        return "allow"
    if response.status_code == 302 and "/accounts/" not in response["Location"]:
        return "allow"
    if response.status_code in (403, 404):
        return "deny"
    if response.status_code == 409:  # the kiosk refuses a browser a person is signed in to
        return "deny"
    return f"status {response.status_code}"


def _completed_visit_with_recommendation(monitor: User, facility: Facility) -> World:
    day = dt.date(2026, 3, 10)
    visit = visits.visit_plan(
        acting_user=monitor, origin=SYSTEM_ORIGIN, facility=facility, kind=Visit.Kind.PLANNED,
        starts_on=day, ends_on=day,
        team=[visits.TeamMemberInput(full_name="Ким Сергей", user=monitor, is_leader=True,
                                     affiliation=TeamMember.Affiliation.NPM)])
    for status in (Visit.Status.IN_PROGRESS, Visit.Status.COMPLETED):
        visits.visit_status_set(acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
                                status=status)
    recommendation = visits.recommendation_issue(
        acting_user=monitor, origin=SYSTEM_ORIGIN, source=Source.VISIT,
        text="Install ventilation in cell R1.", category=Category.CONDITIONS,
        addressee_body=Agency.objects.get(code="MVD"), responsible_official="Head of the unit",
        issued_on=day, deadline=day + dt.timedelta(days=30), visit=visit)
    record = custody.custody_record_create(
        acting_user=User.objects.get(username="admin"), origin=SYSTEM_ORIGIN, facility=facility,
        values={"full_name": "Matrix Person", "detained_at": timezone.now(),
                "detained_place": "street", "detaining_officer": "officer", "grounds": "art. 188"})
    filed = complaints.complaint_file(
        acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB, facility=facility,
        text="В отделе меня избили дубинкой и требовали признание.")
    return World(facility, visit, recommendation, record, filed.complaint)


@pytest.fixture
def worlds(people, facility_a, facility_b, media_root) -> dict[str, World]:
    monitor = make_user("monitor", Role.NPM_MONITOR)
    examiners = {"a": make_user("doctor", Role.MEDICAL_EXAMINER, region=facility_a.region),
                 "b": make_user("matrix_doctor", Role.MEDICAL_EXAMINER)}
    built = {label: with_case(_completed_visit_with_recommendation(monitor, facility), people, n)
             for n, (label, facility) in enumerate((("a", facility_a), ("b", facility_b)))}
    return {label: dataclasses.replace(world, medical_examination=medical.examination_add(
        acting_user=examiners[label], origin=SYSTEM_ORIGIN, record=world.custody_record,
        values={"occasion": "intake", "examined_at": world.custody_record.detained_at,
                "in_private": True, "consent": "given", "no_injuries": True}))
        for label, world in built.items()}


@pytest.fixture
def staff(people, worlds) -> dict[str, User]:
    """`people` and the oversight roles, all country-wide: the Ombudsperson, the NPM monitor
    who led both visits, the examiner of case a (not of case b), and the compensation officer
    (case a has a claim, case b none)."""
    return {**people,
            "ombudsperson": make_user("ombudsperson", Role.OMBUDSPERSON),
            "monitor": User.objects.get(username="monitor"),
            "forensic": User.objects.get(username="matrix_forensic"),
            "compensation": make_user("compensation", Role.COMPENSATION_OFFICER),
            "doctor": User.objects.get(username="doctor"),
            # Issue 22, item 8: country-wide accounts that read no facility at all.
            "lawyer": make_user("lawyer", Role.LAWYER),
            "operator": make_user("operator", Role.HOTLINE_OPERATOR),
            "ngo": make_user("ngo", Role.NGO)}


def test_every_public_route_is_open_to_a_registered_ngo():
    """The public-only gate (accounts.middleware) lets a registered NGO reach every public
    page, and only those, its dashboard, its account and its comments."""
    from custodywatch.accounts.middleware import PUBLIC_ONLY_NAMES

    public = {name for name, route in ROUTES.items() if route.access == "public"}
    assert public - {n for n in public if n.startswith("accounts:")} <= PUBLIC_ONLY_NAMES
    assert set(ROUTES) >= PUBLIC_ONLY_NAMES


def test_the_matrix_signs_in_every_human_role(staff):
    """A role added to accounts.Role without a person in STAFF fails here (issue 12)."""
    machines = {Role.EDGE_AGENT, Role.STATE_SYSTEM}
    assert {staff[name].role for name in STAFF} == set(Role.values) - machines
    assert set(STAFF) <= set(staff)
    # The expectations are read from the capability table by these roles: they must be true.
    assert {name: staff[name].role for name in STAFF} == STAFF_ROLES


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_visitors_are_sent_to_sign_in(client, worlds, name):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(worlds["a"]) if route.kwargs else None)
    response = client.get(url)
    if route.access == "public":
        allowed = (200, 302, 405, 404) if route.absent_here else (200, 302, 405)
        assert response.status_code in allowed, (name, response.status_code)
    elif route.access == "terminal":
        assert response.status_code == 403, (name, response.status_code)
    else:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items()
                                        if r.access != "public" and not r.get_checks_sign_in_only))
def test_each_role_inside_and_outside_its_scope(client, staff, worlds, name):
    route = ROUTES[name]
    failures = []
    for username in STAFF:
        user = staff[username]
        client.logout()
        sign_in(client, user)
        for label, world in worlds.items():
            url = reverse(name, kwargs=route.kwargs(world) if route.kwargs else None)
            expected = _expected(route, username, user, world, label)
            outcome = _outcome(client.get(url))
            if (name, username, label) in KNOWN_GAPS:
                continue  # test_known_gaps_still_fail checks it, strictly
            if outcome != expected:
                failures.append(f"{username} on {label}: expected {expected}, got {outcome}")
    assert failures == [], name


# Expectations the product does not meet yet, in an app another change owns: each is checked
# on its own, strictly (it fails the suite the day it is fixed, so that its entry goes).
# (route, person, world) -> reason.
KNOWN_GAPS: dict[tuple[str, str, str], str] = {}


@pytest.mark.parametrize("gap", [pytest.param(gap, marks=pytest.mark.xfail(
    strict=True, reason=reason)) for gap, reason in sorted(KNOWN_GAPS.items())])
def test_known_gaps_still_fail(client, staff, worlds, gap):
    name, username, label = gap
    route, user, world = ROUTES[name], staff[username], worlds[label]
    sign_in(client, user)
    url = reverse(name, kwargs=route.kwargs(world) if route.kwargs else None)
    assert _outcome(client.get(url)) == _expected(route, username, user, world, label)


def test_every_api_operation_is_in_the_table_and_needs_a_token_unless_public(client):
    schema = api.get_openapi_schema()
    api_names = {name for path, name in _route_names() if name.startswith("api:")}
    assert api_names <= set(API_ROUTES), sorted(api_names - set(API_ROUTES))
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            concrete = path.replace("{", "").replace("}", "")
            response = getattr(client, method)(concrete, content_type="application/json")
            name = next((n for p, n in _route_names() if "/" + p.replace("<", "").replace(
                ">", "") == concrete), None)
            public = API_ROUTES.get(name or "", "token") == "public"
            if public:
                assert response.status_code != 401, (method, path)
            else:
                assert response.status_code == 401, (method, path, response.status_code)
            assert "security" in operation or public, (method, path)
