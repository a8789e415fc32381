"""Sealed identity with a custodian's approval or break-the-glass; triage, routing, deadlines,
reassignment, messages and the legal hold of footage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.complaints import selectors, services
from custodywatch.complaints.models import (
    Category,
    HandlingBody,
    IdentityAccess,
    LegalHold,
    Status,
    TimelineEvent,
    Urgency,
    identity_context,
)
from custodywatch.core.sealing import SealingError, unseal
from custodywatch.custody.models import EndReason
from custodywatch.kernels.deadlines import ClockState
from custodywatch.registry.models import Camera
from custodywatch.video.models import RecordingSegment
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
NAME = "Жумабаев Даурен"


@pytest.fixture
def filed(file_complaint, facility_a):
    return file_complaint(facility=facility_a, still_in_custody=True,
                          identity=services.Identity(full_name=NAME, contact="+7 700"))


def test_identity_is_sealed_at_rest_and_bound_to_its_row(filed):
    complaint = filed.complaint
    sealed = bytes(complaint.identity_sealed)
    assert NAME.encode() not in sealed
    assert NAME in unseal(sealed, context=identity_context(complaint.pk)).decode()
    with pytest.raises(SealingError):
        unseal(sealed, context=identity_context(complaint.pk + 1))


def test_unsealing_needs_a_custodians_approval_and_is_audited(filed, people):
    complaint = filed.complaint
    prosecutor, gpo = people["prosecutor_a"], people["gpo"]
    with pytest.raises(PermissionDenied):
        services.identity_unseal(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                 complaint=complaint)
    with pytest.raises(ValidationError) as error:
        services.identity_access_request(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                         complaint=complaint, reason=" ")
    assert "reason" in error.value.message_dict
    access = services.identity_access_request(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                              complaint=complaint,
                                              reason="Вызвать на опрос")
    with pytest.raises(PermissionDenied):  # a requester never approves their own request
        services.identity_access_decide(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                        access=access, approve=True)
    assert access in selectors.identity_accesses_to_decide(user=gpo)
    services.identity_access_decide(acting_user=gpo, origin=SYSTEM_ORIGIN, access=access,
                                    approve=True)
    identity = services.identity_unseal(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                        complaint=complaint)
    assert identity["full_name"] == NAME
    event = AuditEvent.objects.filter(actor=prosecutor, action=AuditEvent.Action.READ,
                                      detail__identity=True).get()
    assert event.detail["reason"] == "Вызвать на опрос"
    assert NAME not in event.object_label and NAME not in str(event.detail)
    assert complaint.timeline.filter(kind=TimelineEvent.Kind.IDENTITY).exists()


def test_facility_staff_and_the_other_body_may_not_ask(filed, people):
    ombudsperson = make_user("ombuds", Role.OMBUDSPERSON)
    for user in (people["head_a"], people["duty_a"], people["analyst"], ombudsperson):
        with pytest.raises(PermissionDenied):
            services.identity_access_request(acting_user=user, origin=SYSTEM_ORIGIN,
                                             complaint=filed.complaint, reason="curious")
    assert not IdentityAccess.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED,
                                     actor=people["head_a"]).exists()


def test_break_the_glass_opens_at_once_and_is_listed_for_review(filed, people, signed_in):
    prosecutor = people["prosecutor_a"]
    client = signed_in(prosecutor)
    url = reverse("complaints:action", args=[filed.complaint.pk, "identity_request"])
    client.post(url, {"reason": "Угроза жизни, нужен адрес", "break_glass": "on"})
    page = client.post(reverse("complaints:action", args=[filed.complaint.pk, "identity_open"]))
    assert page.status_code == 200 and NAME in page.content.decode()
    access = IdentityAccess.objects.get()
    assert access.kind == IdentityAccess.Kind.BREAK_GLASS
    assert access in selectors.identity_accesses_to_decide(user=people["gpo"])
    services.identity_access_review(acting_user=people["gpo"], origin=SYSTEM_ORIGIN,
                                    access=access)
    assert access not in selectors.identity_accesses_to_decide(user=people["gpo"])


def test_break_the_glass_only_when_urgent(file_complaint, facility_a, people):
    complaint = file_complaint(facility=facility_a,
                               identity=services.Identity(full_name=NAME)).complaint
    assert complaint.urgency == Urgency.NORMAL
    with pytest.raises(ValidationError):
        services.identity_access_request(acting_user=people["prosecutor_a"],
                                         origin=SYSTEM_ORIGIN, complaint=complaint,
                                         reason="x", break_glass=True)


def test_triage_correction_reroutes_and_is_kept(filed, people):
    complaint = services.complaint_triage_confirm(
        acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, complaint=filed.complaint,
        category=Category.CONDITIONS, urgency=Urgency.NORMAL)
    assert complaint.suggested_category == Category.TORTURE  # the machine's view is kept
    assert complaint.handling_body == HandlingBody.OMBUDSPERSON
    assert selectors.triage_decisions() == [(Category.TORTURE, Category.CONDITIONS)]
    # Now the Ombudsperson's: the regional prosecutor no longer may see the identity.
    assert not selectors.may_see_identity_of(user=people["prosecutor_a"], complaint=complaint)


def test_reassignment_is_audited_and_never_to_the_accused_facility(filed, people):
    other = make_user("prosecutor_a2", Role.REGIONAL_PROSECUTOR,
                      region=filed.complaint.region)
    for wrong in (people["head_a"], people["duty_a"], people["analyst"]):
        with pytest.raises(ValidationError):
            services.complaint_reassign(acting_user=people["prosecutor_a"],
                                        origin=SYSTEM_ORIGIN, complaint=filed.complaint,
                                        handler=wrong, reason="x")
    services.complaint_reassign(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                complaint=filed.complaint, handler=other, reason="отпуск")
    event = AuditEvent.objects.filter(detail__handler="prosecutor_a2").get()
    assert event.detail["reason"] == "отпуск"


def test_messages_answer_and_clocks(filed, people):
    complaint = filed.complaint
    registration, answer = selectors.complaint_clocks(complaint)
    assert registration.clock.state == ClockState.RUNNING
    late = selectors.complaint_clocks(complaint, now=timezone.now() + dt.timedelta(days=2))
    assert late[0].clock.state == ClockState.OVERDUE
    services.message_send_official(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                   complaint=complaint, body="Уточните дату", is_question=True)
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_COMPLAINANT and complaint.registered_at
    services.complainant_reply(complaint=complaint, origin=SYSTEM_ORIGIN, body="3 марта")
    complaint.refresh_from_db()
    assert complaint.status == Status.REGISTERED
    services.message_send_official(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                   complaint=complaint, body="Возбуждено дело", answer=True)
    complaint.refresh_from_db()
    assert complaint.status == Status.ANSWERED
    assert selectors.complaint_clocks(complaint)[1].clock.state == ClockState.MET


def test_hold_resolves_the_rooms_from_the_custody_stays(file_complaint, facility_a,
                                                         custody_record):
    complaint = file_complaint(facility=facility_a, custody_record=custody_record).complaint
    hold = LegalHold.objects.get(complaint=complaint)
    assert sorted(r.code for r in hold.rooms.all()) == ["R1", "R2"]
    assert hold.starts_at < custody_record.detained_at
    camera = Camera.objects.get(facility=facility_a, code="CAM1")  # covers R1
    assert selectors.footage_on_hold(camera=camera, started_at=custody_record.detained_at,
                                     ended_at=custody_record.detained_at
                                     + dt.timedelta(hours=1))
    outside = Camera.objects.create(facility=facility_a, code="CAM9")
    outside.rooms.add(facility_a.rooms.get(code="R3"))
    assert not selectors.footage_on_hold(camera=outside, started_at=custody_record.detained_at,
                                         ended_at=timezone.now())
    RecordingSegment.objects.create(camera=camera, started_at=custody_record.detained_at,
                                    ended_at=custody_record.detained_at
                                    + dt.timedelta(minutes=10), sha256="a" * 64)
    assert selectors.held_footage(complaint=complaint).count() == 1


def test_linking_a_record_later_adds_a_room_hold_and_transfer_raises_an_alert(
        file_complaint, facility_a, custody_record, people):
    complaint = file_complaint(facility=facility_a).complaint
    services.complaint_link_custody_record(acting_user=people["prosecutor_a"],
                                           origin=SYSTEM_ORIGIN, complaint=complaint,
                                           custody_record=custody_record)
    assert complaint.legal_holds.count() == 2
    # He is still held by the unit he complains about: the complaint becomes urgent.
    complaint.refresh_from_db()
    assert complaint.still_in_custody and complaint.urgency == "high"
    assert selectors.complaint_transfer_alert(complaint) is None
    custody_record.ended_at, custody_record.end_reason = timezone.now(), EndReason.TRANSFERRED
    custody_record.save()
    complaint.refresh_from_db()
    assert selectors.complaint_transfer_alert(complaint) == custody_record


def test_a_hold_is_released_only_by_a_prosecutor_after_closing(filed, people):
    hold = filed.complaint.legal_holds.get()
    with pytest.raises(ValidationError):
        services.legal_hold_release(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                    hold=hold, reason="done")
    services.complaint_close(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                             complaint=filed.complaint, disposition="not_substantiated")
    ombudsperson = make_user("ombuds", Role.OMBUDSPERSON)
    with pytest.raises(PermissionDenied):
        services.legal_hold_release(acting_user=ombudsperson, origin=SYSTEM_ORIGIN, hold=hold,
                                    reason="done")
    services.legal_hold_release(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                hold=hold, reason="Проверка завершена")
    hold.refresh_from_db()
    assert hold.status == LegalHold.Status.RELEASED


def test_complaint_page_for_the_handler(filed, people, signed_in):
    client = signed_in(people["prosecutor_a"])
    page = client.get(reverse("complaints:detail", args=[filed.complaint.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "избили" in body  # the triggering words are shown
    assert NAME not in body  # sealed until opened
    response = client.post(reverse("complaints:action", args=[filed.complaint.pk, "message"]),
                           {"body": "", "kind": "message"})
    assert response.status_code == 422 and "body" in response.context["message_form"].errors
