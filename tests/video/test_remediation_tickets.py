"""Remediation tickets open for rooms blind and cameras broken too long, escalate when
overdue, and close only when footage proves the fix (no person can close one)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from custodywatch.registry.markers import assign_marker_ids
from custodywatch.registry.models import HeadAppointment, Room
from custodywatch.video.models import RemediationTicket
from custodywatch.video.tickets import remediation_sweep
from tests.video.conftest import iso

pytestmark = pytest.mark.django_db

HASH = "12" * 32
T = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)


def t(minutes: float) -> dt.datetime:
    return T + dt.timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def ticket_settings(settings):
    settings.CUSTODYWATCH_TICKET_AFTER_HOURS = 1
    settings.CUSTODYWATCH_TICKET_PROOF_MINUTES = 10
    settings.CUSTODYWATCH_TICKET_DUE_DAYS = 0  # due at once: escalated at the next pass


def beat(post, token, camera: str, minutes: float) -> None:
    assert post("heartbeats", {"items": [{"camera": camera, "at": iso(t(minutes))}]},
                token).status_code == 200


def recorded_ok(post, token, camera: str, start: float, end: float) -> None:
    span = {"camera": camera, "start": iso(t(start)), "end": iso(t(end))}
    assert post("state-spans", {"items": [{**span, "state": "ok"}]}, token).status_code == 200
    assert post("recordings", {"items": [{**span, "sha256": HASH}]}, token).status_code == 200


def open_tickets() -> list[str]:
    return sorted((ticket.room.code if ticket.room else ticket.camera.code)
                  for ticket in RemediationTicket.objects.filter(status="open",
                                                                 facility__code="FA-1"))


def test_tickets_open_escalate_and_close_only_on_proof(
        post, token_a, people, facility_a, django_capture_on_commit_callbacks):
    HeadAppointment.objects.create(facility=facility_a, full_name="Col. Serikbayev",
                                   position="Head", started_on=dt.date(2020, 1, 1))
    people["prosecutor_a"].email = "prosecutor@example.org"
    people["prosecutor_a"].save()
    beat(post, token_a, "CAM1", 0)
    recorded_ok(post, token_a, "CAM1", -120, 0)
    result = remediation_sweep(now=t(0))
    # CAM2 never reported (so R2 is blind too); R3 has no camera at all.
    assert open_tickets() == ["CAM2", "R2", "R3"]
    assert result.opened == 3 + 5  # and FB-1: two cameras never heard from, three rooms
    owners = dict(RemediationTicket.objects.values_list("facility__code", "owner_name"))
    # The appointed head; where none is recorded, the facility head's account.
    assert owners == {"FA-1": "Col. Serikbayev", "FB-1": "head_b"}
    with django_capture_on_commit_callbacks(execute=True):
        assert remediation_sweep(now=t(1)).opened == 0  # one open ticket each
    # Overdue (due at once here): escalated to the regional prosecutor.
    assert any("prosecutor@example.org" in m.to for m in mail.outbox)
    # CAM2 comes back but nothing is recorded yet: a heartbeat proves nothing.
    beat(post, token_a, "CAM2", 5)
    beat(post, token_a, "CAM1", 5)
    remediation_sweep(now=t(5))
    assert open_tickets() == ["CAM2", "R2", "R3"]
    # Forty minutes of working recording: CAM2 and its room R2 are proven fixed.
    recorded_ok(post, token_a, "CAM2", 10, 50)
    recorded_ok(post, token_a, "CAM1", 0, 50)
    beat(post, token_a, "CAM2", 50)
    beat(post, token_a, "CAM1", 50)
    remediation_sweep(now=t(50))
    assert open_tickets() == ["R3"]
    closed = RemediationTicket.objects.get(camera__code="CAM2", facility=facility_a)
    assert closed.status == "closed" and closed.proof["from"] == t(10).isoformat()
    # R3 is overdue and escalated to the regional prosecutor, once.
    r3 = RemediationTicket.objects.get(room__code="R3", facility=facility_a)
    assert r3.escalated_at == t(1)  # due at once (0 days), escalated on the next pass
    assert remediation_sweep(now=t(51)).escalated == 0


def test_under_the_proven_rule_the_marker_must_prove_the_room(post, token_a, facility_a,
                                                              settings):
    settings.CUSTODYWATCH_COVERAGE_RULE = "proven"
    assign_marker_ids([facility_a.pk])
    r1 = Room.objects.get(facility=facility_a, code="R1")
    beat(post, token_a, "CAM1", 0)
    recorded_ok(post, token_a, "CAM1", -120, 0)
    remediation_sweep(now=t(0))
    assert "R1" in open_tickets()  # a working camera that never showed R1's marker
    recorded_ok(post, token_a, "CAM1", 0, 50)
    beat(post, token_a, "CAM1", 50)
    remediation_sweep(now=t(50))
    assert "R1" in open_tickets()
    assert post("marker-sightings", {"items": [{"camera": "CAM1", "marker": r1.marker_id,
                                                "first": iso(t(20)), "last": iso(t(50)),
                                                "seen": 0.9}]}, token_a).status_code == 200
    remediation_sweep(now=t(50))
    assert "R1" not in open_tickets()
    ticket = RemediationTicket.objects.get(room=r1)
    assert (ticket.proof["from"], ticket.proof["rule"]) == (t(20).isoformat(), "proven")


def test_no_endpoint_lets_a_person_close_a_ticket(client, people, facility_a):
    from django.urls import get_resolver

    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    assert not any("ticket" in name and ("close" in name or "update" in name)
                   for name in names)
