"""Complaint fixtures: a private sealing key and media folder per test, and filing helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from custodywatch.accounts.audit import Origin
from custodywatch.complaints import services
from custodywatch.complaints.models import Channel
from custodywatch.custody.models import CustodyRecord, RoomStay

PUBLIC = Origin(ip_address="203.0.113.7", user_agent="pytest")
TORTURE_TEXT = "В отделе меня избили дубинкой и требовали признание."
CONDITIONS_TEXT = "В камере холодно, плесень на стенах, нет одеял."


@pytest.fixture(autouse=True)
def _private_keys_and_media(sealing_key, media_root):
    """Every test here seals with its own key and stores files in its own folder."""


@pytest.fixture
def file_complaint(db):
    def _file(*, facility=None, region=None, text=TORTURE_TEXT, channel=Channel.WEB,
              acting_user=None, **kwargs):
        return services.complaint_file(acting_user=acting_user, origin=PUBLIC, channel=channel,
                                       text=text, facility=facility, region=region, **kwargs)

    return _file


@pytest.fixture
def custody_record(facility_a):
    detained = timezone.now() - dt.timedelta(hours=30)
    record = CustodyRecord.objects.create(
        facility=facility_a, full_name="Нурланов Ерлан", detained_at=detained,
        detained_place="ул. Абая", detaining_officer="Иванов", grounds="ст. 188",
        detention_due_at=detained + dt.timedelta(hours=48))
    rooms = list(facility_a.rooms.order_by("code"))
    RoomStay.objects.create(custody_record=record, room=rooms[0], started_at=detained,
                            ended_at=detained + dt.timedelta(hours=2))
    RoomStay.objects.create(custody_record=record, room=rooms[1],
                            started_at=detained + dt.timedelta(hours=2))
    return record


def enrolment_code(facility, place: str = "Corridor, block 2"):  # type: ignore[no-untyped-def]
    """A new terminal of the facility, added by an NPM monitor: (terminal, one-time code)."""
    from custodywatch.accounts.models import Role, User
    from custodywatch.complaints import terminals
    from tests.conftest import make_user

    monitor = (User.objects.filter(username="terminal_monitor").first()
               or make_user("terminal_monitor", Role.NPM_MONITOR))
    return terminals.terminal_add(acting_user=monitor, origin=PUBLIC, facility=facility,
                                  place=place)


def enrol(client, facility, place: str = "Corridor, block 2"):  # type: ignore[no-untyped-def]
    """Make the test client an enrolled terminal of the facility (the device's own steps)."""
    from django.urls import reverse

    terminal, code = enrolment_code(facility, place)
    response = client.post(reverse("complaints:terminal_enrol"), {"code": code})
    assert response.status_code == 302, response.content[:300]
    terminal.refresh_from_db()
    return terminal


def enrolled_terminal(facility, place: str = "Corridor, block 2"):  # type: ignore[no-untyped-def]
    """An enrolled terminal of the facility, for filing through the service."""
    from custodywatch.complaints import terminals

    _terminal, code = enrolment_code(facility, place)
    return terminals.terminal_enrol(code=code, origin=PUBLIC)[0]
