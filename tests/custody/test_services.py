"""Writes of the custody register: invariants, refusals, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.custody import services
from custodywatch.custody.models import (
    CustodyAlert,
    CustodyRecord,
    EndReason,
    MedicalCheck,
    RoomStay,
    iin_is_valid,
)
from tests.custody.conftest import make_record, record_values

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def test_create_derives_the_clock_from_the_actual_detention(record_a):
    assert record_a.is_minor is False
    assert record_a.detention_due_at == record_a.detained_at + 48 * H
    stay = record_a.stays.get()
    assert (stay.room.code, stay.started_at, stay.ended_at) == ("R1", record_a.arrived_at, None)
    assert AuditEvent.objects.filter(action="create", object_type="custody.custodyrecord",
                                     object_id=str(record_a.pk)).exists()


def test_minor_gets_24_hours(people, facility_a):
    now = timezone.now()
    record = make_record(facility_a, people["duty_a"],
                         date_of_birth=(now - dt.timedelta(days=16 * 365)).date())
    assert record.is_minor
    assert record.detention_due_at == record.detained_at + 24 * H


@pytest.mark.parametrize(("field", "overrides"), [
    ("detained_at", {"detained_at": timezone.now() + 2 * H, "arrived_at": None}),
    ("arrived_at", {"arrived_at": timezone.now() - 5 * H}),
    ("iin", {"iin": "900501300123"}),
    ("full_name", {"full_name": ""}),
])
def test_bad_record_is_refused_naming_the_field(people, facility_a, field, overrides):
    with pytest.raises(ValidationError) as error:
        make_record(facility_a, people["duty_a"], room_code=None, **overrides)
    assert field in error.value.message_dict
    assert CustodyRecord.objects.count() == 0


def test_iin_check_digit():
    assert iin_is_valid("900501300120")  # 9*1 + 5*4 + 1*6 + 3*7 + 1*10 + 2*11 = 88 = 8*11
    assert not iin_is_valid("900501300121")
    assert not iin_is_valid("12345")
    assert not iin_is_valid("９００５０１３００１２５")


def test_duty_officer_cannot_write_another_facility(people, facility_b):
    with pytest.raises(PermissionDenied):
        make_record(facility_b, people["duty_a"])
    assert CustodyRecord.objects.count() == 0
    # The refusal survives the rollback of the refused write.
    assert AuditEvent.objects.filter(action="denied", actor=people["duty_a"],
                                     object_id=str(facility_b.pk)).exists()


@pytest.mark.parametrize("role", ["prosecutor_a", "analyst", "agent_a", "gpo"])
def test_overseers_and_agents_do_not_write_the_register(people, facility_a, role):
    with pytest.raises(PermissionDenied):
        make_record(facility_a, people[role])


def test_move_closes_the_current_stay(record_a, people, facility_a):
    at = timezone.now() - 10 * dt.timedelta(minutes=1)
    services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record_a,
                            room=facility_a.rooms.get(code="R2"), at=at)
    stays = list(record_a.stays.order_by("started_at").values_list("room__code", "ended_at"))
    assert stays == [("R1", at), ("R2", None)]


def test_move_to_the_same_room_or_back_in_time_is_refused(record_a, people, facility_a):
    with pytest.raises(ValidationError) as same:
        services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=record_a, room=facility_a.rooms.get(code="R1"),
                                at=timezone.now())
    assert "room" in same.value.message_dict
    with pytest.raises(ValidationError) as early:
        services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=record_a, room=facility_a.rooms.get(code="R2"),
                                at=record_a.arrived_at - dt.timedelta(minutes=1))
    assert "at" in early.value.message_dict
    assert record_a.stays.get().ended_at is None


def test_room_without_custody_use_is_refused(record_a, people, facility_a):
    with pytest.raises(ValidationError) as error:
        services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=record_a, room=facility_a.rooms.get(code="X1"),
                                at=timezone.now())
    assert "no custody use" in error.value.message_dict["room"][0]
    assert record_a.stays.get().ended_at is None  # the current stay was not closed


def test_room_of_another_facility_is_refused(record_a, people, facility_b):
    with pytest.raises(ValidationError) as error:
        services.room_stay_move(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=record_a, room=facility_b.rooms.get(code="R2"),
                                at=timezone.now())
    assert "not a room of facility FA-1" in error.value.message_dict["room"][0]
    assert RoomStay.objects.count() == 1


def test_overlapping_stays_are_refused(people, facility_a):
    record = make_record(facility_a, people["duty_a"], room_code=None)
    start = record.detained_at
    services._stay_write(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record,
                         room=facility_a.rooms.get(code="R1"), started_at=start,
                         ended_at=start + H)
    for begin, end in [(start + 30 * dt.timedelta(minutes=1), start + 2 * H),
                       (start - dt.timedelta(minutes=0), start + H / 2),
                       (start + H / 2, None)]:
        with pytest.raises(ValidationError) as error:
            services._stay_write(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                 record=record, room=facility_a.rooms.get(code="R2"),
                                 started_at=begin, ended_at=end)
        assert "Overlaps the stay in room R1" in error.value.message_dict["started_at"][0]
    # Touching is not overlapping: intervals are half-open.
    services._stay_write(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record,
                         room=facility_a.rooms.get(code="R2"), started_at=start + H,
                         ended_at=None)
    assert record.stays.count() == 2


def test_interrogation_in_wrong_room_is_refused(record_a, people, facility_a):
    values = {"room": facility_a.rooms.get(code="X1"), "started_at": timezone.now() - H / 2,
              "investigator": "Capt. Seitkaziev", "lawyer_present": False}
    with pytest.raises(ValidationError) as error:
        services.interrogation_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                   record=record_a, values=values)
    assert "room" in error.value.message_dict
    values["room"] = facility_a.rooms.get(code="R2")
    interrogation = services.interrogation_add(acting_user=people["duty_a"],
                                               origin=SYSTEM_ORIGIN, record=record_a,
                                               values=values)
    assert interrogation.lawyer_present is False


def test_medical_check_needs_an_explicit_answer(record_a, people):
    values = {"examined_at": timezone.now() - H / 2, "examiner": "Dr Abenova",
              "no_injuries": None}
    with pytest.raises(ValidationError) as error:
        services.medical_check_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                   record=record_a, values=values, injuries=[])
    assert "no_injuries" in error.value.message_dict
    with pytest.raises(ValidationError) as bad_injury:
        services.medical_check_add(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                   record=record_a, values=values,
                                   injuries=[{"body_location": "", "kind": "bruise"}])
    assert "injuries[0].body_location" in bad_injury.value.message_dict
    assert MedicalCheck.objects.count() == 0
    check = services.medical_check_add(
        acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record_a, values=values,
        injuries=[{"body_location": "left forearm", "kind": "bruise",
                   "photo_refs": "IMG_0012"}])
    assert check.no_injuries is False and check.injuries.count() == 1
    record_a.refresh_from_db()
    assert record_a.medical_checked_at == values["examined_at"]


def test_notification_keeps_the_first_moment(record_a, people):
    first = timezone.now() - H
    for moment in (first + H / 2, first):
        services.relatives_notification_add(
            acting_user=people["duty_a"], origin=SYSTEM_ORIGIN, record=record_a,
            values={"notified_at": moment, "person_notified": "Mother", "method": "phone"})
    record_a.refresh_from_db()
    assert record_a.relatives_notified_at == first


def test_death_raises_the_prosecutor_alert_in_the_same_transaction(
    record_a, people, mailoutbox, django_capture_on_commit_callbacks
):
    people["prosecutor_a"].email = "prosecutor@example.kz"
    people["prosecutor_a"].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                    record=record_a, ended_at=timezone.now(),
                                    end_reason=EndReason.DIED, end_note="Found unresponsive")
    alert = CustodyAlert.objects.get()
    assert (alert.clock, alert.level) == ("death", "death")
    assert [m.to for m in mailoutbox] == [["prosecutor@example.kz"]]
    assert "Ахметов" not in mailoutbox[0].body  # no names in e-mail
    assert record_a.stays.get().ended_at is not None


def test_a_death_recorded_while_the_mail_server_is_down_queues_its_e_mail(
    record_a, people, settings, mailoutbox, task_queue, django_capture_on_commit_callbacks
):
    """The request that records the death never talks to the mail server: it queues the
    e-mail, which the worker sends once the server answers."""
    people["prosecutor_a"].email = "prosecutor@example.kz"
    people["prosecutor_a"].save()
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                    record=record_a, ended_at=timezone.now(),
                                    end_reason=EndReason.DIED, end_note="Found unresponsive")
    assert CustodyAlert.objects.get().mailed_at is not None  # its e-mail is queued
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert task_queue() == 1
    assert [m.to for m in mailoutbox] == [["prosecutor@example.kz"]]


def test_end_before_current_stay_is_refused(record_a, people):
    with pytest.raises(ValidationError) as error:
        services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                    record=record_a, ended_at=record_a.arrived_at,
                                    end_reason=EndReason.RELEASED)
    assert "ended_at" in error.value.message_dict
    record_a.refresh_from_db()
    assert record_a.ended_at is None


def test_values_outside_the_record_fields_are_refused(people, facility_a):
    with pytest.raises(ValidationError) as error:
        services.custody_record_create(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                       facility=facility_a,
                                       values=record_values(detention_due_at=timezone.now()))
    assert "detention_due_at" in error.value.message_dict


def test_moving_the_detention_after_a_stay_or_the_end_is_refused(record_a, people):
    later = {"detained_at": record_a.arrived_at + H / 2}
    with pytest.raises(ValidationError) as error:
        services.custody_record_update(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                       record=record_a, values=later)
    assert "A room stay starts before" in error.value.message_dict["detained_at"][0]
    services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=record_a, ended_at=timezone.now(),
                                end_reason=EndReason.RELEASED)
    record_a.refresh_from_db()
    with pytest.raises(ValidationError) as after_end:
        services.custody_record_update(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                       record=record_a,
                                       values={"detained_at": timezone.now() + H / 60})
    assert "detained_at" in after_end.value.message_dict
