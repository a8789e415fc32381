"""Monitors, a visit and a recommendation, on top of the shared two facilities and people."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.registry.models import Agency
from custodywatch.visits import services
from custodywatch.visits.models import Category, Source, TeamMember, Visit
from tests.conftest import make_user

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def monitor(people):
    return make_user("monitor", Role.NPM_MONITOR)


@pytest.fixture
def ombudsperson(people):
    return make_user("ombudsperson", Role.OMBUDSPERSON)


@pytest.fixture
def police(db):
    return Agency.objects.get(code="MVD")


def plan_visit(monitor, facility, *, kind=Visit.Kind.UNANNOUNCED, starts_on=TODAY,
               ends_on=TODAY) -> Visit:
    return services.visit_plan(
        acting_user=monitor, origin=SYSTEM_ORIGIN, facility=facility, kind=kind,
        starts_on=starts_on, ends_on=ends_on,
        team=[services.TeamMemberInput(full_name="Ким Сергей", user=monitor, is_leader=True,
                                       affiliation=TeamMember.Affiliation.NPM),
              services.TeamMemberInput(full_name="Әлия Нұрғалиқызы",
                                       affiliation=TeamMember.Affiliation.CIVIL_SOCIETY)])


@pytest.fixture
def visit(monitor, facility_a) -> Visit:
    return plan_visit(monitor, facility_a)


def add_finding(monitor, visit, text="Cell R1 has no ventilation.", **extra):
    return services.finding_record(
        acting_user=monitor, origin=SYSTEM_ORIGIN, visit=visit,
        item=services.FindingInput(uuid=uuid.uuid4(), category=Category.CONDITIONS, text=text,
                                   **extra))


def issue(monitor, visit, police, *, deadline=TODAY + dt.timedelta(days=30), finding=None,
          text="Install ventilation in cell R1."):
    return services.recommendation_issue(
        acting_user=monitor, origin=SYSTEM_ORIGIN, source=Source.VISIT, text=text,
        category=Category.CONDITIONS, addressee_body=police,
        responsible_official="Head of the unit", issued_on=TODAY, deadline=deadline,
        visit=visit, finding=finding)


@pytest.fixture
def recommendation(monitor, visit, police):
    return issue(monitor, visit, police)
