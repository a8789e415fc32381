"""The authorization matrix, continued: the writes (POST-only routes) and the read API.

tests/test_authorization_matrix.py visits every page with a GET; a route that only takes a
POST is checked there for sign-in only. Here:
- POSTS: each such route, for every role and both worlds, with VALID form data, so that a
  form that validates before the permission check cannot hide a refusal behind its errors.
  Each request runs in a savepoint rolled back after it: every person meets the same world.
  200 or 302 is "allow", 403 or 404 "deny"; a 422 (or a form error) is a broken fixture and
  fails loudly. Who may is the route's entry in ROUTES (one table for GET and POST).
- API_READS: the read operations of the API with an object in the path or a list, with a
  bearer token (accounts.services.token_create) for every role, the machine roles included:
  allowed is 200 with the other world's object absent from a list; denied is 403 or 404 for
  an object, and 403 or an empty list for a list. Expected values follow the page table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.capabilities import Capability
from custodywatch.accounts.models import Role, User
from custodywatch.accounts.services import token_create
from custodywatch.complaints.models import IdentityAccess, Terminal
from custodywatch.custody import services as custody
from custodywatch.custody.models import CustodyAlert
from custodywatch.escrow.models import BodyCameraAssignment
from custodywatch.ledger.services import ledger_integrate_all
from custodywatch.liveview import services as liveview
from custodywatch.registry.models import Agency, Camera, Facility, Room
from custodywatch.visits.models import Recommendation, RecommendationComment, Source
from tests.conftest import make_user, sign_in
from tests.security.test_admin_and_exports_matrix import DOWNLOADS_CHECKED_ELSEWHERE
from tests.test_authorization_matrix import (
    API_ROUTES,
    BODY_CAMERA_ASSIGNERS,
    ROUTES,
    STAFF,
    Route,
    World,
    _expected,
    _outcome,
    _sees,
    holders,
)

pytestmark = pytest.mark.django_db

# The smallest PNG (1 x 1): a photograph as far as its first bytes go.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")

MOMENT = "%Y-%m-%dT%H:%M"


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime(MOMENT)


def _now() -> dt.datetime:
    return timezone.now()


def _room(world: World, code: str) -> int:
    return world.facility.rooms.get(code=code).pk


def _claim(world: World) -> str:
    claim = world.case.compensation_claims.first() if world.case is not None else None
    return str(claim.pk) if claim is not None else ""


def _terminal(world: World) -> Terminal:
    """The world's facility's complaint terminal (added once, enrolled)."""
    terminal = Terminal.objects.filter(facility=world.facility).first()
    return terminal or Terminal.objects.create(facility=world.facility, place="Corridor",
                                               created_at=_now(), enrolled_at=_now())


def _public_recommendation(world: World) -> Recommendation:
    """A UN CAT recommendation (public: the NGOs comment on it)."""
    return Recommendation.objects.get_or_create(
        source=Source.UN_CAT, cat_reference="CAT/C/KAZ/CO/4, para. 12", defaults={
            "addressee_body": Agency.objects.get(code="MVD"), "responsible_official": "Minister",
            "text": "Ensure independent medical examinations.", "category": "conditions",
            "issued_on": dt.date(2024, 11, 1), "deadline": dt.date(2025, 11, 1)})[0]


def _held_comment(world: World) -> RecommendationComment:
    author = User.objects.get(username="ngo")
    return RecommendationComment.objects.get_or_create(
        recommendation=_public_recommendation(world), author=author, defaults={
            "organisation": author.organisation, "text": "Ask Иванов Пётр.",
            "status": "held", "held_for": ["name"], "created_at": _now()})[0]


def _body_camera(world: World) -> Camera:
    """A camera of the world's facility fixed in no room (a body-worn one)."""
    camera, _created = Camera.objects.get_or_create(facility=world.facility,
                                                    code=f"BODY-{world.facility.code}")
    return camera


def _body_assignment(world: World) -> BodyCameraAssignment:
    """A shift running now on the world's body-worn camera."""
    camera = _body_camera(world)
    return (BodyCameraAssignment.objects.filter(camera=camera, ended_at__isnull=True).first()
            or BodyCameraAssignment.objects.create(
                camera=camera, personnel_number="P-1", full_name="Сержант Ахметов",
                started_at=_now() - dt.timedelta(hours=1)))


@dataclass(frozen=True)
class Post:
    """Valid form data for one POST route (or one action of it)."""

    data: Callable[[World], dict]
    # An action of the route other than the one its ROUTES entry names, with its own writers.
    kwargs: Callable[[World], dict] | None = None
    access: Route | None = None

    def route_name(self, key: str) -> str:
        return key.split(" ")[0]


POSTS: dict[str, Post] = {
    "custody:record_move": Post(lambda w: {
        "move-room": _room(w, "R2"), "move-at": _local(_now() - dt.timedelta(hours=1))}),
    "custody:record_interrogation": Post(lambda w: {
        "interrogation-kind": "interrogation", "interrogation-room": _room(w, "R3"),
        "interrogation-started_at": _local(_now() - dt.timedelta(hours=2)),
        "interrogation-ended_at": _local(_now() - dt.timedelta(minutes=90)),
        "interrogation-investigator": "Cpt. Abenov", "interrogation-lawyer_present": "on"}),
    "custody:record_medical": Post(lambda w: {
        "medical-occasion": "intake", "medical-examiner": "Dr A", "medical-findings": "none",
        "medical-examined_at": _local(_now() - dt.timedelta(hours=2))}),
    "custody:record_notification": Post(lambda w: {
        "notification-notified_at": _local(_now() - dt.timedelta(hours=2)),
        "notification-person_notified": "Ержанова Айгуль", "notification-relationship": "mother",
        "notification-method": "phone", "notification-notified_by": "Sgt. Isaev"}),
    "custody:record_safeguards": Post(lambda w: {
        "safeguards-lawyer_name": "Adv. Kim",
        "safeguards-lawyer_first_access_at": _local(_now() - dt.timedelta(hours=1))}),
    "custody:record_regime": Post(lambda w: {
        "regime-regime": "remand", "regime-court_order_ref": "2-123/2026",
        "regime-court_order_at": _local(_now() - dt.timedelta(hours=1)),
        "regime-term_ends_at": _local(_now() + dt.timedelta(days=60))}),
    "custody:record_delay": Post(lambda w: {
        "delay-right": "relatives", "delay-authorised_by": "Prosecutor Omarov",
        "delay-reason": "Secrecy of the investigation",
        "delay-authorised_at": _local(_now() - dt.timedelta(hours=1)),
        "delay-until": _local(_now() + dt.timedelta(hours=12))}),
    # Issue 22, items 4-5.
    "custody:record_review": Post(lambda w: {
        "review-reviewed_at": _local(_now() - dt.timedelta(hours=1)),
        "review-reviewer": "Maj. Seitkali", "review-decision": "continue",
        "review-reasons": "Investigation continues"}),
    "custody:record_risk": Post(lambda w: {
        "risk-assessed_at": _local(_now() - dt.timedelta(hours=1)),
        "risk-assessed_by": "Sgt. Isaev", "risk-intoxication": "on"}),
    "custody:record_cell_check": Post(lambda w: {
        "cellcheck-checked_at": _local(_now() - dt.timedelta(minutes=30)),
        "cellcheck-checked_by": "Sgt. Isaev"}),
    "custody:record_end": Post(lambda w: {
        "end-ended_at": _local(_now()), "end-end_reason": "released"}),
    "custody:alert_acknowledge": Post(lambda w: {}),
    "complaints:action": Post(lambda w: {"body": "We have opened an inquiry.",
                                         "kind": "message"}),
    "complaints:identity_decide": Post(lambda w: {"decision": "approve"}),
    # Handing out a body-worn camera: its assigners, in their scope (another facility's
    # camera is not found); taking one back likewise.
    "escrow:body_cameras assign": Post(lambda w: {
        "camera": _body_camera(w).pk, "personnel_number": "P-2", "full_name": "Ким Сергей",
        "started_at": _local(_now() + dt.timedelta(hours=2)),
        "ended_at": _local(_now() + dt.timedelta(hours=10))}, kwargs=lambda w: {},
        access=Route("roles", roles=BODY_CAMERA_ASSIGNERS, scoped=True)),
    "escrow:body_camera_unassign": Post(lambda w: {}, kwargs=lambda w: {
        "pk": _body_assignment(w).pk}),
    "complaints:terminal_action": Post(lambda w: {}, kwargs=lambda w: {
        "pk": _terminal(w).pk, "action": "revoke"}),
    # Issue 24 item 6: a registered NGO comments on a public recommendation; a moderator
    # publishes a held comment.
    "visits:recommendation_comment": Post(lambda w: {"text": "We support this."},
                                          kwargs=lambda w: {"pk": _public_recommendation(w).pk}),
    "visits:comment_moderate": Post(lambda w: {"decision": "publish"},
                                    kwargs=lambda w: {"pk": _held_comment(w).pk}),
    "cases:case_action": Post(lambda w: {
        # A minute ahead: the step may not precede the case's registration a moment ago.
        "kind": "interview", "taken_at": _local(_now() + dt.timedelta(minutes=1)),
        "description": "Interview of the victim"}),
    # The Fund's decision on a claim: the compensation officer of case a's claim alone (case b
    # has no claim, so there everybody is refused with a 404).
    "cases:case_action decision": Post(
        lambda w: {"decision": "refused", "decided_at": timezone.localdate().isoformat(),
                   "claim": _claim(w)},
        kwargs=lambda w: {"pk": w.case.pk, "action": "decision"},
        access=Route("roles", assigned=holders(Capability.DECIDE_COMPENSATION))),
    "cases:examination_action": Post(lambda w: {
        "view": "front", "body_region": "chest", "description": "Bruise, 3 cm",
        "consistency": "consistent"}),
    "liveview:viewer_add": Post(lambda w: {
        "interrogation": w.interrogation.pk, "full_name": "Ержанова Айгуль",
        "relationship": "parent"}),
    "liveview:viewer_revoke": Post(lambda w: {}),
    # A photograph of world a's examination by its examiner ("doctor") alone.
    "medical:photo_add": Post(lambda w: {"photo": SimpleUploadedFile(
        "eye.png", PNG, "image/png")}),
}


def _transparent_room(facility: Facility) -> Room:
    room = Room.objects.create(facility=facility, code="T1", name="Transparent T1",
                               kind=Room.Kind.TRANSPARENT_INTERROGATION, custody_use=True)
    Camera.objects.create(facility=facility, code="CAMT1").rooms.add(room)
    return room


def _with_write_objects(world: World, requester: User) -> World:
    """A record of three hours in room R1 with an interrogation going on in a transparent
    room, a viewer named for it, an open alert, and a pending identity request."""
    admin = User.objects.get(username="admin")
    now = timezone.now()
    record = custody.custody_record_create(
        acting_user=admin, origin=SYSTEM_ORIGIN, facility=world.facility,
        room=world.facility.rooms.get(code="R1"),
        values={"full_name": "Matrix Writer", "detained_at": now - dt.timedelta(hours=3),
                "detained_place": "street", "detaining_officer": "officer",
                "grounds": "art. 188"})
    interrogation = custody.interrogation_add(
        acting_user=admin, origin=SYSTEM_ORIGIN, record=record,
        values={"room": _transparent_room(world.facility), "ended_at": None,
                "started_at": now - dt.timedelta(minutes=10), "investigator": "Cpt. Abenov",
                "lawyer_present": True})
    viewer = liveview.viewer_add(acting_user=admin, origin=SYSTEM_ORIGIN,
                                 interrogation=interrogation, full_name="Адвокат Ким",
                                 relationship="lawyer").viewer
    alert = CustodyAlert.objects.create(custody_record=record, clock=CustodyAlert.Clock.RELATIVES,
                                        level=CustodyAlert.Level.OVERDUE, raised_at=now,
                                        due_at=now - dt.timedelta(hours=1))
    access = IdentityAccess.objects.create(
        complaint=world.complaint, requested_by=requester, requested_at=now,
        kind=IdentityAccess.Kind.REQUEST, reason="Call the complainant for an interview")
    return dataclasses.replace(world, custody_record=record, interrogation=interrogation,
                               viewer=viewer, alert=alert, identity_access=access)


@pytest.fixture
def post_worlds(worlds, staff, facility_b, settings, tmp_path) -> dict[str, World]:
    settings.LIVEVIEW_FRAMES_DIR = tmp_path / "live"
    # The handling prosecutors who ask to see the identity: neither is a custodian.
    requesters = {"a": staff["prosecutor_a"],
                  "b": make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                                 region=facility_b.region)}
    return {label: _with_write_objects(world, requesters[label])
            for label, world in worlds.items()}


def _form_errors(response) -> str:
    if response.context is None:
        return ""
    found = {}
    for context in response.context:
        for key, value in context.flatten().items():
            if isinstance(value, forms.BaseForm) and value.errors:
                found[key] = value.errors.get_json_data()
    return str(found) if found else ""


def _post_and_roll_back(client, url: str, data: dict):
    savepoint = transaction.savepoint()
    try:
        return client.post(url, data)
    finally:
        transaction.savepoint_rollback(savepoint)


def _post_outcome(client, key: str, world: World) -> str:
    post = POSTS[key]
    name = post.route_name(key)
    kwargs = (post.kwargs or ROUTES[name].kwargs)(world)
    response = _post_and_roll_back(client, reverse(name, kwargs=kwargs or None),
                                   post.data(world))
    if response.status_code == 422 or _form_errors(response) != "":
        return f"broken fixture: {response.status_code} {_form_errors(response)}"
    return _outcome(response)


def _post_expected(key: str, username: str, user: User, world: World, label: str) -> str:
    post = POSTS[key]
    return _expected(post.access or ROUTES[post.route_name(key)], username, user, world, label)


# Expectations the product does not meet yet, in an app another change owns; each is checked
# on its own, strictly. (POSTS key, person, world) -> reason.
POST_KNOWN_GAPS: dict[tuple[str, str, str], str] = {}


def test_every_post_only_route_is_posted_or_checked_elsewhere():
    post_only = {name for name, route in ROUTES.items()
                 if route.get_checks_sign_in_only and route.access != "public"}
    posted = {post.route_name(key) for key, post in POSTS.items()}
    assert posted <= set(ROUTES), sorted(posted - set(ROUTES))
    assert post_only - posted - set(DOWNLOADS_CHECKED_ELSEWHERE) == set()


@pytest.mark.parametrize("key", sorted(POSTS))
def test_each_role_posts_inside_and_outside_its_scope(client, staff, post_worlds, key):
    failures = []
    for username in STAFF:
        user = staff[username]
        client.logout()
        sign_in(client, user)
        for label, world in post_worlds.items():
            if (key, username, label) in POST_KNOWN_GAPS:
                continue  # test_post_known_gaps_still_fail checks it, strictly
            expected = _post_expected(key, username, user, world, label)
            outcome = _post_outcome(client, key, world)
            if outcome != expected:
                failures.append(f"{username} on {label}: expected {expected}, got {outcome}")
    assert failures == [], key


def test_a_post_is_rolled_back_so_every_person_meets_the_same_world(client, staff,
                                                                     post_worlds):
    """The oracle for the savepoint: an allowed write leaves nothing behind."""
    world = post_worlds["a"]
    sign_in(client, staff["duty_a"])
    assert _post_outcome(client, "custody:record_end", world) == "allow"
    world.custody_record.refresh_from_db()
    assert world.custody_record.ended_at is None


@pytest.mark.parametrize("gap", [pytest.param(gap, marks=pytest.mark.xfail(
    strict=True, reason=reason)) for gap, reason in sorted(POST_KNOWN_GAPS.items())])
def test_post_known_gaps_still_fail(client, staff, post_worlds, gap):
    key, username, label = gap
    user, world = staff[username], post_worlds[label]
    sign_in(client, user)
    assert _post_outcome(client, key, world) == _post_expected(key, username, user, world,
                                                               label)


# ------------------------------------------------------------------ the read API, per role


@dataclass(frozen=True)
class ApiRead:
    """A read operation of the API: who may, as its page (a Route), and how to find a world's
    object in a list. With `shows`, the answer is a list: "allow" on a world means 200 with
    that world's object in it, "deny" a refusal or a list without it. Without, 200 is "allow"
    and 403 or 404 "deny"."""

    url: Callable[[World], str]
    access: Route
    shows: Callable[[str, World], bool] | None = None


def _api(path: str) -> Callable[[World], str]:
    return lambda w: "/api/" + path.format(w=w)


def _code_in(body: str, world: World) -> bool:
    return f'"{world.facility.code}"' in body


API_READS: dict[str, ApiRead] = {
    # Anyone signed in lists the registry, as on its page, and finds only his scope in it.
    "api:region_list": ApiRead(_api("registry/regions"), Route("scoped"),
                               shows=lambda body, w: f'"{w.facility.region.code}"' in body),
    "api:facility_list": ApiRead(_api("registry/facilities"), Route("scoped"), shows=_code_in),
    "api:facility_get": ApiRead(_api("registry/facilities/{w.facility.code}"),
                                ROUTES["registry:facility_detail"]),
    "api:record_get": ApiRead(_api("custody/records/{w.custody_record.pk}"),
                              ROUTES["custody:record"]),
    "api:complaint_list": ApiRead(_api("complaints/"), ROUTES["complaints:detail"],
                                  shows=lambda body, w: w.complaint.reference in body),
    "api:complaint_get": ApiRead(_api("complaints/{w.complaint.reference}"),
                                 ROUTES["complaints:detail"]),
    "api:visit_list": ApiRead(_api("visits/"), ROUTES["visits:visit_detail"], shows=_code_in),
    "api:recommendation_list": ApiRead(_api("visits/recommendations"),
                                       ROUTES["visits:recommendation_detail"], shows=_code_in),
    "api:case_list": ApiRead(_api("cases/"), ROUTES["cases:case_detail"],
                             shows=lambda body, w: w.case.register_number in body),
    "api:case_get": ApiRead(_api("cases/{w.case.register_number}"), ROUTES["cases:case_detail"]),
    "api:leaves": ApiRead(_api("ledger/leaves?start=0&end=1"), ROUTES["ledger:leaf_detail"]),
    "api:reports_dashboard": ApiRead(_api("reports/dashboard"), ROUTES["reports:index"]),
    "api:reports_regions": ApiRead(_api("reports/regions"), ROUTES["reports:index"]),
    "api:reports_scorecard": ApiRead(_api("reports/scorecard"),
                                     ROUTES["reports:unit"], shows=_code_in),
    "api:reports_unit": ApiRead(_api("reports/scorecard/{w.facility.code}"),
                                ROUTES["reports:unit"]),
    "api:reports_heads": ApiRead(_api("reports/heads"), ROUTES["reports:heads"]),
    "api:reports_coverage_burndown": ApiRead(_api("reports/coverage-burndown"),
                                             ROUTES["reports:coverage"]),
    "api:camera_change_list": ApiRead(_api("registry/facilities/{w.facility.code}/camera-changes"),
                                      ROUTES["registry:camera_changes"]),
}
# Machine accounts read only what their work needs, within their scope: the edge agent of
# facility A its facility's registry (it reports the cameras; its preservation orders and the
# cameras wanted live are checked in tests/complaints and tests/liveview), never a custody
# record, a visit, a complaint or a case; a state system (e-appeals) files complaints and
# reads nothing (accounts.scoping).
MACHINES = ("agent_a", "state_system")
MACHINE_READS: dict[str, frozenset[str]] = {
    "agent_a": frozenset({"api:region_list", "api:facility_list", "api:facility_get",
                          # the changes it proposed for its cameras, awaiting approval
                          "api:camera_change_list"}),
    "state_system": frozenset()}

# (API_READS key, person, world) -> reason; each checked on its own, strictly.
API_KNOWN_GAPS: dict[tuple[str, str, str], str] = {}


@pytest.fixture
def token_holders(staff, people) -> dict[str, tuple[User, str]]:
    """Every role with a bearer token of its own: the people of STAFF and the machines."""
    holders = {**{name: staff[name] for name in STAFF}, "agent_a": people["agent_a"],
               "state_system": make_user("state_system", Role.STATE_SYSTEM)}
    return {name: (user, token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=user)[0])
            for name, user in holders.items()}


def _api_expected(key: str, username: str, user: User, world: World, label: str) -> str:
    if username in MACHINES:
        return "allow" if key in MACHINE_READS[username] and _sees(user, world.facility) \
            else "deny"
    return _expected(API_READS[key].access, username, user, world, label)


def _api_outcome(key: str, token: str, world: World) -> str:
    read = API_READS[key]
    response = Client().get(read.url(world), HTTP_AUTHORIZATION=f"Bearer {token}")
    if response.status_code in (403, 404):
        return "deny"
    if response.status_code != 200:
        return f"status {response.status_code}"
    if read.shows is None:
        return "allow"
    return "allow" if read.shows(response.content.decode(), world) else "deny"


def test_every_read_operation_with_an_object_or_a_list_is_in_the_table():
    token_reads = {name for name, access in API_ROUTES.items() if access == "token"
                   and name.endswith(("_list", "_get", "leaves"))}
    assert token_reads <= set(API_READS), sorted(token_reads - set(API_READS))


@pytest.mark.parametrize("key", sorted(API_READS))
def test_each_role_reads_the_api_inside_and_outside_its_scope(token_holders, post_worlds,
                                                              key):
    ledger_integrate_all()  # the fixtures' audit events are leaves of a signed tree
    failures = []
    for username, (user, token) in token_holders.items():
        for label, world in post_worlds.items():
            if (key, username, label) in API_KNOWN_GAPS:
                continue  # test_api_known_gaps_still_fail checks it, strictly
            expected = _api_expected(key, username, user, world, label)
            outcome = _api_outcome(key, token, world)
            if outcome != expected:
                failures.append(f"{username} on {label}: expected {expected}, got {outcome}")
    assert failures == [], key


def test_the_list_check_sees_both_worlds_for_a_country_wide_reader(token_holders, post_worlds):
    """The oracle for `shows`: the GPO's lists hold the objects of both facilities."""
    _user, token = token_holders["gpo"]
    for key in ("api:facility_list", "api:complaint_list", "api:case_list", "api:visit_list"):
        assert [_api_outcome(key, token, world) for world in post_worlds.values()] == [
            "allow", "allow"], key


@pytest.mark.parametrize("gap", [pytest.param(gap, marks=pytest.mark.xfail(
    strict=True, reason=reason)) for gap, reason in sorted(API_KNOWN_GAPS.items())])
def test_api_known_gaps_still_fail(token_holders, post_worlds, gap):
    key, username, label = gap
    ledger_integrate_all()
    user, token = token_holders[username]
    world = post_worlds[label]
    assert _api_outcome(key, token, world) == _api_expected(key, username, user, world, label)
