"""The inbox puts what needs a prosecutor first: open before answered, high urgency first."""

from __future__ import annotations

from django.urls import reverse

from custodywatch.accounts.audit import Origin
from custodywatch.complaints import selectors
from custodywatch.complaints.models import Complaint, Status, Urgency
from tests.complaints.conftest import CONDITIONS_TEXT


def test_open_high_urgency_complaints_come_first(file_complaint, facility_a, people, signed_in):
    filed = [file_complaint(facility=facility_a, text=CONDITIONS_TEXT).complaint
             for _ in range(4)]
    answered_high, open_normal, open_high, answered_normal = filed
    Complaint.objects.filter(pk=answered_high.pk).update(urgency=Urgency.HIGH,
                                                         status=Status.ANSWERED)
    Complaint.objects.filter(pk=open_normal.pk).update(urgency=Urgency.NORMAL)
    Complaint.objects.filter(pk=open_high.pk).update(urgency=Urgency.HIGH)
    Complaint.objects.filter(pk=answered_normal.pk).update(urgency=Urgency.NORMAL,
                                                           status=Status.CLOSED)
    inbox = selectors.complaint_inbox(user=people["gpo"], origin=Origin(ip_address="127.0.0.1"),
                                      filters=selectors.InboxFilters())
    order = [c.pk for c in inbox]
    assert order.index(open_high.pk) < order.index(open_normal.pk)
    assert order.index(open_normal.pk) < order.index(answered_high.pk)
    assert order.index(answered_high.pk) < order.index(answered_normal.pk)
    page = signed_in(people["gpo"]).get(reverse("complaints:inbox")).content.decode()
    assert page.index(open_high.reference) < page.index(open_normal.reference)
