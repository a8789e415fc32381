"""A complainant moved to another facility: the handling official is told once, by e-mail."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent
from custodywatch.complaints.services import complaint_transfer_alerts_send
from custodywatch.custody.models import EndReason

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(file_complaint, facility_a, custody_record, people):
    people["prosecutor_a"].email = "prosecutor@example.kz"
    people["prosecutor_a"].save()
    return file_complaint(facility=facility_a, custody_record=custody_record).complaint


def transfer(record) -> None:
    record.ended_at, record.end_reason = timezone.now(), EndReason.TRANSFERRED
    record.save()


def test_a_transfer_alerts_the_regions_prosecutor_once(linked, custody_record, mailoutbox):
    assert complaint_transfer_alerts_send() == 0  # still held: nothing to say
    transfer(custody_record)
    assert complaint_transfer_alerts_send() == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["prosecutor@example.kz"]
    assert linked.reference in mail.subject
    assert custody_record.full_name not in mail.body  # the mail names no person
    assert complaint_transfer_alerts_send() == 0  # claimed: never twice
    call_command("complaints_sweep")
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(object_id=str(linked.pk),
                                     detail__transfer_alert=["prosecutor_a"]).exists()


def test_a_release_or_a_closed_complaint_raises_nothing(linked, custody_record, mailoutbox):
    custody_record.ended_at, custody_record.end_reason = timezone.now(), EndReason.RELEASED
    custody_record.save()
    assert complaint_transfer_alerts_send() == 0
    transfer(custody_record)
    linked.status = "closed"
    linked.save()
    assert complaint_transfer_alerts_send() == 0
    assert mailoutbox == []
