"""Linking a custody record: only one in the handler's scope, and a complaint that named no
facility takes the record's facility and its region together."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.complaints import services
from custodywatch.complaints.models import LegalHold, TimelineEvent
from custodywatch.custody.models import CustodyRecord

pytestmark = pytest.mark.django_db


def _record(facility) -> CustodyRecord:
    detained = timezone.now() - dt.timedelta(hours=10)
    return CustodyRecord.objects.create(
        facility=facility, full_name="Омаров Данияр", detained_at=detained,
        detained_place="пр. Бухар-Жырау", detaining_officer="Петров", grounds="ст. 190",
        detention_due_at=detained + dt.timedelta(hours=48))


@pytest.fixture
def unplaced(file_complaint, facility_a):
    """A complaint that names the region (Almaty) but no facility."""
    return file_complaint(region=facility_a.region).complaint


@pytest.fixture
def record_b(facility_b):
    return _record(facility_b)


def _state(complaint):
    complaint.refresh_from_db()
    return (complaint.custody_record_id, complaint.facility_id, complaint.region_id,
            LegalHold.objects.filter(complaint=complaint).count(),
            complaint.timeline.filter(kind=TimelineEvent.Kind.LINKED).count())


def test_another_regions_record_is_refused_by_the_service_and_nothing_changes(
        unplaced, record_b, people):
    prosecutor = people["prosecutor_a"]
    before = _state(unplaced)
    with pytest.raises(PermissionDenied, match="outside your scope"):
        services.complaint_link_custody_record(acting_user=prosecutor, origin=SYSTEM_ORIGIN,
                                               complaint=unplaced, custody_record=record_b)
    assert _state(unplaced) == before
    assert before[0] is None and before[1] is None and before[3] == 0
    refusals = AuditEvent.objects.filter(actor=prosecutor, action=AuditEvent.Action.DENIED)
    assert [event.detail["reason"] for event in refusals] == [
        "This custody record is outside your scope."]


def test_another_regions_record_is_not_found_on_the_page(unplaced, record_b, people,
                                                         signed_in):
    prosecutor = people["prosecutor_a"]
    before = _state(unplaced)
    response = signed_in(prosecutor).post(
        reverse("complaints:action", args=[unplaced.pk, "link"]),
        {"custody_record": record_b.pk})
    assert response.status_code == 422
    assert "custody_record" in response.context["link_form"].errors
    assert "Омаров" not in response.content.decode()
    assert _state(unplaced) == before
    assert AuditEvent.objects.filter(actor=prosecutor, action=AuditEvent.Action.DENIED,
                                     object_type="custody.custodyrecord",
                                     object_id=str(record_b.pk)).count() == 1


def test_a_facility_complaint_refuses_another_regions_record_too(file_complaint, facility_a,
                                                                 record_b, people):
    complaint = file_complaint(facility=facility_a).complaint
    before = _state(complaint)
    with pytest.raises(PermissionDenied):
        services.complaint_link_custody_record(
            acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN, complaint=complaint,
            custody_record=record_b)
    assert _state(complaint) == before


def test_a_record_in_scope_sets_the_facility_and_its_region(unplaced, facility_a, people,
                                                            signed_in):
    record = _record(facility_a)
    response = signed_in(people["prosecutor_a"]).post(
        reverse("complaints:action", args=[unplaced.pk, "link"]), {"custody_record": record.pk})
    assert response.status_code == 302
    assert _state(unplaced) == (record.pk, facility_a.pk, facility_a.region_id, 1, 1)
    assert LegalHold.objects.get(complaint=unplaced).facility == facility_a


def test_the_region_follows_the_record_and_a_handler_of_the_old_region_lets_go(
        unplaced, record_b, facility_b, people):
    services.complaint_register(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                complaint=unplaced)
    assert unplaced.handler == people["prosecutor_a"]
    # The General Prosecutor's Office sees every region: the person was held in Karaganda.
    services.complaint_link_custody_record(acting_user=people["gpo"], origin=SYSTEM_ORIGIN,
                                           complaint=unplaced, custody_record=record_b)
    unplaced.refresh_from_db()
    assert unplaced.facility == facility_b
    assert unplaced.region == facility_b.region == unplaced.facility.region
    assert unplaced.handler is None  # prosecutor_a no longer sees it
    assert LegalHold.objects.get(complaint=unplaced).facility == facility_b
