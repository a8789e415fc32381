"""Issue 20 item 4 / this brief's item 2: a complaint naming a facility and a case opened
place escrow holds on the footage of the rooms and time concerned, in their own transaction,
and the facility reads exactly the same before and after (tests/security/facility_view.py).

The first tests need no store (the hold is a centre row; the store is extended after commit);
the last two run against the real SeaweedFS, with footage the facility's agent escrowed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.cases import services as cases
from custodywatch.complaints import services as complaints
from custodywatch.complaints.models import Channel, Complaint, LegalHold, Status
from custodywatch.custody.models import CustodyRecord, RoomStay
from custodywatch.escrow import s3, services
from custodywatch.escrow.models import EscrowHold, EscrowObject, HoldReason
from custodywatch.escrow.store import store
from tests.escrow import test_escrow_flow as flow
from tests.security.facility_view import assert_indistinguishable, facility_view_for

# The escrow flow's world: the facility's agent escrows its interrogation room's footage.
facility_world = flow.facility_world
empty_ledger_after = flow.empty_ledger_after  # autouse there, and so here
_run_agent = flow._run_agent

TEXT = "В изоляторе меня избили дубинкой и угрожали, требовали признание."


def _record(facility, room_code: str, detained: dt.datetime) -> CustodyRecord:
    record = CustodyRecord.objects.create(
        facility=facility, full_name="Нурланов Ерлан", detained_at=detained,
        detained_place="ул. Абая", detaining_officer="Иванов", grounds="ст. 188",
        detention_due_at=detained + dt.timedelta(hours=48))
    RoomStay.objects.create(custody_record=record, room=facility.rooms.get(code=room_code),
                            started_at=detained)
    return record


@pytest.fixture
def keys(sealing_key, media_root):
    """Complaints seal identities and store files: a key and a folder of the test's own."""


@pytest.mark.django_db
def test_a_complaint_holds_the_footage_of_the_persons_rooms_with_its_legal_hold(
        keys, people, facility_a):
    record = _record(facility_a, "R1", timezone.now() - dt.timedelta(hours=30))
    filed = complaints.complaint_file(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                      channel=Channel.HOTLINE, text=TEXT, facility=facility_a,
                                      custody_record=record)
    legal = LegalHold.objects.get(complaint=filed.complaint)
    hold = EscrowHold.objects.get()
    assert (hold.facility, hold.reason) == (facility_a, HoldReason.COMPLAINT)
    assert (hold.started_at, hold.ended_at) == (legal.starts_at, legal.ends_at)
    assert [room.code for room in hold.rooms.all()] == ["R1"]
    assert hold.reference == f"legal-hold:{legal.pk}"
    assert hold.until > timezone.now() + dt.timedelta(days=4 * 365)
    # A complaint naming only a region holds nothing yet (no facility, no footage).
    complaints.complaint_file(acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB,
                              text=TEXT, region=facility_a.region)
    assert EscrowHold.objects.count() == 1


@pytest.mark.django_db
def test_the_hold_commits_with_the_complaint_or_not_at_all(keys, people, facility_a,
                                                             monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the complaint's last write failed")

    # The complaint's own audit record is written after the holds: make it fail.
    monkeypatch.setattr(complaints.filing, "audit_record", fail)
    with pytest.raises(RuntimeError):
        complaints.complaint_file(acting_user=None, origin=SYSTEM_ORIGIN, channel=Channel.WEB,
                                  text=TEXT, facility=facility_a)
    assert not Complaint.objects.exists()
    assert not EscrowHold.objects.exists()


@pytest.mark.django_db
def test_a_case_holds_its_complaints_rooms_and_events_and_a_release_needs_the_prosecutor(
        keys, people, facility_a):
    record = _record(facility_a, "R2", timezone.now() - dt.timedelta(hours=30))
    filed = complaints.complaint_file(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                      channel=Channel.HOTLINE, text=TEXT, facility=facility_a,
                                      custody_record=record)
    registered = timezone.now() - dt.timedelta(hours=1)
    case = cases.case_open(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                           register_number="261575031000001", title="Beating in FA-1",
                           facility=facility_a, complaints=[filed.complaint],
                           registered_at=registered,
                           events_from=registered - dt.timedelta(days=2),
                           events_until=registered - dt.timedelta(days=1))
    hold = EscrowHold.objects.get(reason=HoldReason.CASE)
    assert hold.reference == f"case:{case.pk}"
    assert (hold.started_at, hold.ended_at) == (case.events_from, case.events_until)
    assert [room.code for room in hold.rooms.all()] == ["R2"]
    # An ex officio case with no period: the whole facility, the look-back before it.
    cases.case_open(acting_user=people["gpo"], origin=SYSTEM_ORIGIN,
                    register_number="261575031000002", title="Ex officio",
                    facility=facility_a, ex_officio=True)
    wide = EscrowHold.objects.filter(reason=HoldReason.CASE).latest("pk")
    assert list(wide.rooms.all()) == []
    assert wide.ended_at > wide.started_at

    # The complaint's legal hold released by the prosecutor releases its escrow hold with the
    # same written decision; the case's hold stays.
    complaint = filed.complaint
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.CLOSED)
    complaint.refresh_from_db()
    if complaint.handler_id is None:
        Complaint.objects.filter(pk=complaint.pk).update(handler=people["prosecutor_a"])
    legal = LegalHold.objects.get(complaint=complaint)
    complaints.legal_hold_release(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                  hold=legal, reason="Checked: no violation, decision 5")
    released = EscrowHold.objects.get(reason=HoldReason.COMPLAINT)
    assert released.released_by == people["prosecutor_a"]
    assert released.release_decision == "Checked: no violation, decision 5"
    assert EscrowHold.objects.get(pk=hold.pk).released_at is None


# --------------------------------------------------------------------------- the real store


def _until(obj: EscrowObject) -> dt.datetime:
    bucket = store()
    return s3.retention(bucket.client, bucket.bucket, services.object_key(obj.sha256),
                        obj.version_id)[1]


@pytest.mark.django_db(transaction=True)
def test_a_complaint_extends_the_lock_of_its_rooms_footage_only(facility_world, people,
                                                                 keys):
    _run_agent(facility_world)
    camera = facility_world["camera"]  # CAMI, interrogation room I1
    facility = camera.facility
    held = EscrowObject.objects.filter(camera=camera).first()
    elsewhere = EscrowObject.objects.exclude(camera=camera).first()  # CAM1, room R1
    assert held is not None and elsewhere is not None
    record = _record(facility, "I1", dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC))
    complaints.complaint_file(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                              channel=Channel.HOTLINE, text=TEXT, facility=facility,
                              custody_record=record,
                              incident_started_at=held.started_at,
                              incident_ended_at=held.ended_at)
    now = dt.datetime.now(dt.UTC)
    assert _until(held) >= now + dt.timedelta(days=5 * 365 - 1)
    assert _until(elsewhere) < now + dt.timedelta(days=2 * 365)


@pytest.mark.django_db(transaction=True)
def test_the_facility_reads_the_same_before_and_after_its_footage_is_held(
        facility_world, people, keys, client):
    _run_agent(facility_world)
    facility = facility_world["camera"].facility
    record = _record(facility, "I1", dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC))
    view = facility_view_for(facility)
    assert "agent_a" in view.tokens
    view.snapshot()
    before = view.snapshot()
    routine = view.snapshot()
    assert any(" GET /api/escrow/plan" in label for label in routine)
    filed = complaints.complaint_file(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                      channel=Channel.HOTLINE, text=TEXT, facility=facility,
                                      custody_record=record)
    cases.case_open(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                    register_number="261575031000003", title="Interrogation in FA-1",
                    facility=facility, complaints=[filed.complaint])
    assert EscrowHold.objects.filter(facility=facility).count() == 2
    held = EscrowObject.objects.filter(camera=facility_world["camera"]).first()
    assert _until(held) >= dt.datetime.now(dt.UTC) + dt.timedelta(days=5 * 365 - 1)
    after = view.snapshot()
    assert_indistinguishable(before, routine, after)
