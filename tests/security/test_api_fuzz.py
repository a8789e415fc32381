"""API fuzzing with schemathesis over the OpenAPI document, for every operation, as each
machine and human role (bearer tokens), with a bounded number of examples per operation
(CUSTODYWATCH_FUZZ_EXAMPLES, default 5; CI time about a minute per database).

Checks on every response: no 500, the body conforms to the documented schema and content
type, and a token scoped to facility FA-1 (or to its region) never sees facility FB-1, whose
objects carry a distinctive mark (LEAKMARK) in every name.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_create
from custodywatch.api import api
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel
from custodywatch.custody import services as custody
from custodywatch.registry.models import Facility
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("CUSTODYWATCH_FUZZ_EXAMPLES", "5"))
MARK = "LEAKMARK"
OUTSIDER_CODE = "FB-1"
# Who is fuzzed: every kind of scope, machine and human.
ROLES = ("admin", "gpo", "prosecutor_a", "head_a", "duty_a", "analyst", "agent_a", "monitor",
         "ombudsperson", "forensic", "compensation", "state_system")
# Tokens that must never see facility FB-1 (Karaganda) or anything in it.
CONFINED = frozenset({"prosecutor_a", "head_a", "duty_a", "agent_a"})

APP = get_wsgi_application()
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _seed(people: dict, facility_a: Facility, facility_b: Facility) -> None:
    """Objects in both facilities; every name in FB-1 carries the mark."""
    Facility.objects.filter(pk=facility_b.pk).update(name=f"{MARK} Karaganda IVS",
                                                     address=f"{MARK} street 1")
    for facility, name in ((facility_a, "Inside Person"), (facility_b, f"{MARK} Person")):
        custody.custody_record_create(
            acting_user=people["admin"], origin=SYSTEM_ORIGIN, facility=facility,
            values={"full_name": name, "detained_at": timezone.now() - dt.timedelta(hours=2),
                    "detained_place": f"{name} place", "detaining_officer": f"{name} officer",
                    "grounds": "art. 188"})
        complaints.complaint_file(acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB,
                                  facility=facility, accused_officers=f"{name} officer",
                                  text="В отделе меня избили дубинкой и требовали признание.")


@pytest.fixture
def tokens(people, facility_a, facility_b, settings, tmp_path, monkeypatch) -> dict[str, str]:
    from custodywatch.core import sealing

    key = tmp_path / "sealing.key"
    key.write_text(sealing.generate_key_line() + "\n")
    monkeypatch.setenv(sealing.KEY_FILE_ENV, str(key))
    settings.MEDIA_ROOT = tmp_path / "media"
    people = {**people, "monitor": make_user("monitor", Role.NPM_MONITOR),
              "ombudsperson": make_user("ombudsperson", Role.OMBUDSPERSON),
              "forensic": make_user("forensic", Role.FORENSIC_EXPERT),
              "compensation": make_user("compensation", Role.COMPENSATION_OFFICER),
              "state_system": make_user("state_system", Role.STATE_SYSTEM)}
    _seed(people, facility_a, facility_b)
    return {username: token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                   user=people[username])[0] for username in ROLES}


def _operations() -> list:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz_operation(operation, tokens: dict[str, str]) -> None:
    strategy = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        for username in ROLES:
            response = case.call(app=APP,
                                 headers={"Authorization": f"Bearer {tokens[username]}"})
            case.validate_response(response, checks=CHECKS)
            if username in CONFINED and response.status_code < 300:
                text = response.text
                assert MARK not in text and OUTSIDER_CODE not in text, (
                    f"{username} sees FB-1 through {case.method} {case.formatted_path}")

    run()


@pytest.mark.slow
def test_api_fuzz_every_operation_as_every_role(tokens):
    operations = _operations()
    assert len(operations) >= 25
    failures = {}
    for operation in operations:
        try:
            _fuzz_operation(operation, tokens)
        except (Exception, BaseExceptionGroup) as error:  # all reported together below
            failures[f"{operation.method.upper()} {operation.path}"] = str(error)[:600]
    assert failures == {}


PAGINATED = ["/api/registry/facilities", "/api/complaints/", "/api/visits/",
             "/api/visits/recommendations"]


@pytest.mark.parametrize("path", PAGINATED)
def test_a_huge_page_number_is_refused_not_a_500(client, tokens, path):
    """Found by the fuzzer: page=534006497845809088 overflowed the OFFSET."""
    response = client.get(path, {"page": 534006497845809088},
                          HTTP_AUTHORIZATION=f"Bearer {tokens['admin']}")
    assert response.status_code == 422
    assert "page" in str(response.json()["detail"])


def test_cases_list_refuses_a_huge_page_number(client, tokens):
    path = next(p for p in api.get_openapi_schema()["paths"]
                if p.startswith("/api/cases") and "{" not in p)
    response = client.get(path, {"page": 534006497845809088},
                          HTTP_AUTHORIZATION=f"Bearer {tokens['admin']}")
    assert response.status_code == 422
