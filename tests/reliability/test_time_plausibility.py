"""Every time field of every API batch and of the forms, fed booleans, numbers, year 1, year
9999 and future times (issue 18, item 4): none is accepted, none is a 500, the field is named,
nothing is written. `"start": true` was read as 1970 and erased a camera's blind time.

Each target is first shown to accept a good value, so a refusal is the time's, not the body's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.cases import services as cases
from custodywatch.custody import services as custody
from custodywatch.visits import services as visits
from custodywatch.visits.models import TeamMember
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

FUTURE = "future"  # replaced by a moment two days ahead when sent


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _concrete(value: Any, date_only: bool) -> Any:
    if value == FUTURE:
        ahead = timezone.now() + dt.timedelta(days=2)
        return ahead.date().isoformat() if date_only else _iso(ahead)
    return value


ALWAYS_BAD = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z",
              "9999-12-31T23:59:59-05:00", "1970-01-01T00:00:00Z", FUTURE]
# Contract times may be epoch seconds (CONTRACTS.md): only numbers outside the window.
contract_times = st.one_of(
    st.booleans(),
    st.sampled_from(ALWAYS_BAD),
    st.integers(min_value=-10**15, max_value=1_500_000_000),
    st.integers(min_value=5_000_000_000, max_value=10**15),
    st.floats(min_value=-1e12, max_value=1.5e9, allow_nan=False),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(2019, 1, 1),
                 timezones=st.just(dt.UTC)).map(_iso),
)
# Times of complaints and visits (PAST kind: since 1991): also no epoch number before 1991.
iso_times = st.one_of(
    st.booleans(), st.sampled_from(ALWAYS_BAD),
    st.integers(max_value=600_000_000), st.integers(min_value=5_000_000_000),
    st.floats(max_value=6e8, allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(1990, 1, 1),
                 timezones=st.just(dt.UTC)).map(_iso))
iso_dates = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False),
                      st.sampled_from(["0001-01-01", "9999-12-31", "1800-05-05", FUTURE]))
# Forms: what a person (or a script) can type into a datetime-local or date input.
form_times = st.one_of(st.sampled_from(["true", "false", "1", "0", "0001-01-01T00:00",
                                        "9999-12-31T23:59", "1970-01-01T00:00", FUTURE]),
                       st.datetimes(min_value=dt.datetime(1, 1, 2),
                                    max_value=dt.datetime(1990, 1, 1)).map(
                           lambda d: d.strftime("%Y-%m-%dT%H:%M")))


# Tried for every field, whatever hypothesis draws besides.
API_EXAMPLES = [True, False, 0, 1, "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", FUTURE]
DATE_EXAMPLES = [True, False, 0, "0001-01-01", "9999-12-31", FUTURE]
FORM_EXAMPLES = ["true", "0001-01-01T00:00", "9999-12-31T23:59", FUTURE]
FORM_DATE_EXAMPLES = ["true", "0001-01-01", "9999-12-31", FUTURE]


def _always(values: list) -> Callable:  # type: ignore[type-arg]
    def decorate(test: Callable) -> Callable:  # type: ignore[type-arg]
        for value in values:
            test = example(value=value)(test)
        return test
    return decorate


@dataclass
class Target:
    name: str
    field: str
    send: Callable[[dict, Any], Any]  # (world, value) -> response
    good: Callable[[], Any]
    values: st.SearchStrategy
    date_only: bool = False


def _counts() -> dict[str, int]:
    skip = {"accounts.auditevent", "sessions.session", "ledger.pendingleaf",
            "axes.accessattempt", "axes.accesslog", "core.idempotencyrecord",
            "otp_totp.totpdevice"}
    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models()
            if m._meta.label_lower not in skip and not m._meta.proxy}


@pytest.fixture
def world(people, facility_a, bearer):
    """Tokens, a detention, a case and a visit for the targets below."""
    people["eappeals"] = make_user("eappeals", Role.STATE_SYSTEM)
    people["monitor"] = make_user("monitor", Role.NPM_MONITOR)
    record = custody.custody_record_create(
        acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, facility=facility_a, values={
            "full_name": "Person", "detained_at": timezone.now() - dt.timedelta(hours=3),
            "detained_place": "street", "detaining_officer": "officer", "grounds": "art. 188",
            "external_ref": "EXT-1"})
    case = cases.case_open(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                           register_number="261575031000007", title="Beating", ex_officio=True,
                           facility=facility_a, registered_at=timezone.now())
    visit = visits.visit_plan(
        acting_user=people["monitor"], origin=SYSTEM_ORIGIN, facility=facility_a,
        kind="unannounced", starts_on=timezone.localdate(), ends_on=timezone.localdate(),
        team=[visits.TeamMemberInput(full_name="Ким", user=people["monitor"], is_leader=True,
                                     affiliation=TeamMember.Affiliation.NPM)])
    return {"people": people, "facility": facility_a, "record": record, "case": case,
            "visit": visit, "duty": bearer("duty_a"), "agent": bearer("agent_a"),
            "eappeals": bearer("eappeals"), "prosecutor": bearer("prosecutor_a"),
            "monitor": bearer("monitor")}


def _api(path: str, auth: str, build: Callable[[dict, Any], dict]
         ) -> Callable[[dict, Any], Any]:
    def send(world: dict, value: Any) -> Any:
        return Client().post(path.format(**world), json.dumps(build(world, value)),
                             content_type="application/json", **world[auth])
    return send


def _now_iso() -> str:
    return _iso(timezone.now() - dt.timedelta(minutes=30))


def _record(field: str) -> Callable[[dict, Any], dict]:
    def build(world: dict, value: Any) -> dict:
        item = {"facility": "FA-1", "external_ref": "EXT-NEW", "full_name": "New person",
                "detained_at": _iso(timezone.now() - dt.timedelta(hours=2)),
                "detained_place": "street", "detaining_officer": "officer",
                "grounds": "art. 188", field: value}
        if field == "ended_at":
            item["end_reason"] = "released"
        return {"items": [item]}
    return build


def _stay(field: str) -> Callable[[dict, Any], dict]:
    def build(world: dict, value: Any) -> dict:
        item = {"facility": "FA-1", "external_ref": "EXT-1", "room": "R2",
                "started_at": _iso(timezone.now() - dt.timedelta(hours=2)), field: value}
        return {"items": [item]}
    return build


def _interrogation(field: str) -> Callable[[dict, Any], dict]:
    def build(world: dict, value: Any) -> dict:
        item = {"facility": "FA-1", "external_ref": "EXT-1", "room": "R1",
                "started_at": _iso(timezone.now() - dt.timedelta(hours=1)),
                "investigator": "Investigator", "lawyer_present": True, field: value}
        return {"items": [item]}
    return build


def _video(kind: str, field: str) -> Callable[[dict, Any], dict]:
    def build(world: dict, value: Any) -> dict:
        start = timezone.now() - dt.timedelta(minutes=20)
        item: dict[str, Any] = {"camera": "CAM1"}
        if kind == "heartbeats":
            item["at"] = _iso(start)
        elif kind == "marker-sightings":
            item.update(marker=0, seen=1.0, first=_iso(start),
                        last=_iso(start + dt.timedelta(minutes=1)))
        else:
            item.update(start=_iso(start), end=_iso(start + dt.timedelta(minutes=1)))
            item.update({"state": "ok"} if kind == "state-spans" else {"sha256": "a" * 64})
        item[field] = value
        return {"items": [item]}
    return build


def _complaint(field: str) -> Callable[[dict, Any], dict]:
    def build(world: dict, value: Any) -> dict:
        return {"text": "Officers beat me with a baton in the cell.", "facility": "FA-1",
                field: value}
    return build


def _charge(world: dict, value: Any) -> dict:
    return {"charges": [{"register_number": "261575031000007", "accused": "Officer A",
                         "victim": "Victim B", "article": "146", "verdict": "convicted",
                         "verdict_on": value}]}


def _finding(world: dict, value: Any) -> dict:
    return {"findings": [{"uuid": "6f1c2d9e-8f0b-4d8e-9a51-7b0c1c1e2f3a",
                          "category": "conditions", "text": "Damp walls", "recorded_at": value}]}


RECORD_FIELDS = ["detained_at", "arrived_at", "rights_explained_at", "lawyer_requested_at",
                 "lawyer_assigned_at", "lawyer_first_access_at", "ended_at"]

API_TARGETS = [
    *[Target(f"custody record {f}", f, _api("/api/custody/records/batch", "duty", _record(f)),
             _now_iso, contract_times) for f in RECORD_FIELDS],
    Target("custody record date_of_birth", "date_of_birth",
           _api("/api/custody/records/batch", "duty", _record("date_of_birth")),
           lambda: "1990-05-01", iso_dates, date_only=True),
    *[Target(f"custody stay {f}", f, _api("/api/custody/stays/batch", "duty", _stay(f)),
             _now_iso, contract_times) for f in ("started_at", "ended_at")],
    *[Target(f"interrogation {f}", f,
             _api("/api/custody/interrogations/batch", "duty", _interrogation(f)),
             _now_iso, contract_times) for f in ("started_at", "ended_at")],
    Target("heartbeat at", "at", _api("/api/video/heartbeats", "agent", _video(
        "heartbeats", "at")), _now_iso, contract_times),
    *[Target(f"{kind} {f}", f, _api(f"/api/video/{kind}", "agent", _video(kind, f)),
             (lambda f=f: _iso(timezone.now() - dt.timedelta(minutes=25 if f == "start"
                                                                else 10))),
             contract_times)
      for kind in ("state-spans", "recordings") for f in ("start", "end")],
    *[Target(f"marker sighting {f}", f, _api("/api/video/marker-sightings", "agent",
                                             _video("marker-sightings", f)),
             (lambda f=f: _iso(timezone.now() - dt.timedelta(minutes=25 if f == "first"
                                                                else 10))),
             contract_times) for f in ("first", "last")],
    *[Target(f"complaint {f}", f, _api("/api/complaints/intake", "eappeals", _complaint(f)),
             _now_iso, iso_times) for f in ("incident_started_at", "incident_ended_at")],
    Target("charge verdict_on", "verdict_on",
           _api("/api/cases/charges/batch", "prosecutor", _charge),
           lambda: (timezone.localdate() - dt.timedelta(days=3)).isoformat(), iso_dates,
           date_only=True),
    Target("visit finding recorded_at", "recorded_at",
           _api("/api/visits/{visit.pk}/findings/sync", "monitor", _finding),
           _now_iso, iso_times),
]


@pytest.mark.parametrize("target", API_TARGETS, ids=lambda t: t.name)
def test_api_time_fields_refuse_implausible_times(world, target):
    @EXAMPLES
    @given(value=target.values)
    @_always(DATE_EXAMPLES if target.date_only else API_EXAMPLES)
    def refused(value: Any) -> None:
        before = _counts()
        value = _concrete(value, target.date_only)
        response = target.send(world, value)
        assert 400 <= response.status_code < 500, (value, response.status_code,
                                                   response.content[:300])
        assert target.field in response.content.decode(), (value, response.content[:300])
        assert _counts() == before, value

    refused()
    good = target.send(world, target.good())
    assert good.status_code in (200, 201), good.content[:500]


@dataclass
class FormTarget:
    name: str
    field: str
    url: Callable[[dict], str]
    who: str
    data: Callable[[dict], dict]
    good: Callable[[], str]
    date_only: bool = False


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


FORM_TARGETS = [
    *[FormTarget(f"public complaint {f}", f, lambda w: reverse("complaints:intake"), "",
                 lambda w: {"text": "В отделе меня избили дубинкой.",
                            "facility": w["facility"].pk},
                 lambda: _local(timezone.now() - dt.timedelta(days=1)))
      for f in ("incident_started_at", "incident_ended_at")],
    FormTarget("detention detained_at", "detained_at",
               lambda w: reverse("custody:record_new", args=["FA-1"]), "duty_a",
               lambda w: {"full_name": "X", "detained_place": "Y", "detaining_officer": "Z",
                          "grounds": "G", "citizenship": "KZ"},
               lambda: _local(timezone.now() - dt.timedelta(hours=1))),
    FormTarget("detention date_of_birth", "date_of_birth",
               lambda w: reverse("custody:record_new", args=["FA-1"]), "duty_a",
               lambda w: {"full_name": "X", "detained_place": "Y", "detaining_officer": "Z",
                          "grounds": "G", "citizenship": "KZ",
                          "detained_at": _local(timezone.now() - dt.timedelta(hours=1))},
               lambda: "1990-05-01", date_only=True),
    FormTarget("evidence collected_at", "collected_at",
               lambda w: reverse("cases:case_action", args=[w["case"].pk, "evidence"]),
               "prosecutor_a",
               lambda w: {"label": "E1", "kind": "physical", "description": "Baton",
                          "found_at": "Office", "collected_by": "K.", "holder": "K.",
                          "location": "Safe"},
               lambda: _local(timezone.now() - dt.timedelta(hours=1))),
]


@pytest.mark.parametrize("target", FORM_TARGETS, ids=lambda t: t.name)
def test_form_time_fields_refuse_implausible_times(world, target):
    def send(value: str):  # type: ignore[no-untyped-def]
        client = Client()
        if target.who:
            sign_in(client, world["people"][target.who])
        return client.post(target.url(world), target.data(world) | {target.field: value})

    @EXAMPLES
    @given(value=form_times if not target.date_only else iso_dates.map(str))
    @_always(FORM_DATE_EXAMPLES if target.date_only else FORM_EXAMPLES)
    def refused(value: Any) -> None:
        before = _counts()
        value = _concrete(value, target.date_only)
        response = send(value)
        assert response.status_code < 500, value
        assert response.status_code != 302, value  # a redirect is an accepted form
        form_errors = [form.errors for form in _forms(response)]
        assert any(target.field in errors for errors in form_errors), (value, form_errors)
        assert _counts() == before, value

    refused()
    good = send(target.good())
    assert good.status_code in (200, 302) and not any(
        target.field in form.errors for form in _forms(good)), good.status_code
    assert good.status_code == 302 or "receipt" in good.templates[0].name


def _forms(response: Any) -> list:
    if response.context is None:
        return []
    found = []
    for context in response.context:
        for value in context.dicts if hasattr(context, "dicts") else [context]:
            for item in (value.values() if isinstance(value, dict) else []):
                if hasattr(item, "errors") and hasattr(item, "fields"):
                    found.append(item)
    return found
