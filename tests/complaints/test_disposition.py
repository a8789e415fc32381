"""Issue 23, item 6: every closed complaint carries a disposition, required at closing and
shown to the complainant in plain words; the funnel (complaints, investigations, cases,
verdicts) is on the dashboard and in the UN CAT tables."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.cases.models import Case, CaseStatus
from custodywatch.complaints import services
from custodywatch.complaints.models import Disposition, Status
from custodywatch.reports import cat, selectors
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _close(people, complaint, **kwargs):  # type: ignore[no-untyped-def]
    return services.complaint_close(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                    complaint=complaint, **kwargs)


def test_closing_needs_a_disposition_and_its_words(file_complaint, facility_a, people):
    complaint = file_complaint(facility=facility_a).complaint
    with pytest.raises(ValidationError) as refused:
        _close(people, complaint, disposition="")
    assert "disposition" in refused.value.message_dict
    with pytest.raises(ValidationError) as no_ground:
        _close(people, complaint, disposition=Disposition.REFUSED)
    assert "detail" in no_ground.value.message_dict
    complaint.refresh_from_db()
    assert complaint.status != Status.CLOSED and complaint.disposition == ""
    _close(people, complaint, disposition=Disposition.REFUSED,
           detail="art. 179 CPC: no elements of an offence")
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED
    assert complaint.disposition == Disposition.REFUSED
    assert complaint.timeline.get(kind="closed").described.startswith("Refused")


def test_the_close_form_refuses_without_a_disposition(client, file_complaint, facility_a,
                                                       people):
    complaint = file_complaint(facility=facility_a).complaint
    sign_in(client, people["prosecutor_a"])
    url = reverse("complaints:action", args=[complaint.pk, "close"])
    assert client.post(url, {}).status_code == 422
    assert client.post(url, {"disposition": "case_opened"}).status_code == 422
    complaint.refresh_from_db()
    assert complaint.status != Status.CLOSED
    assert client.post(url, {"disposition": "case_opened", "detail": "ERDR 262-0001"}
                       ).status_code == 302
    page = client.get(reverse("complaints:detail", args=[complaint.pk]))
    assert b'data-testid="disposition"' in page.content and b"ERDR 262-0001" in page.content


def test_the_complainant_reads_how_it_ended_in_plain_words(file_complaint, facility_a, people):
    filed = file_complaint(facility=facility_a)
    _close(people, filed.complaint, disposition=Disposition.REFERRED, detail="262-0042")
    page = Client().post(reverse("complaints:status"), {"code": filed.receipt_code})
    assert page.status_code == 200
    assert b'data-testid="outcome"' in page.content
    assert b"sent for a criminal investigation (register number 262-0042)" in page.content


def test_the_funnel_on_the_dashboard_and_in_the_cat_tables(file_complaint, facility_a,
                                                            facility_b, people, signed_in):
    a, b, c = (file_complaint(facility=facility_a).complaint for _n in range(3))
    file_complaint(facility=facility_b)
    _close(people, a, disposition=Disposition.CASE_OPENED, detail="262-0001")
    _close(people, b, disposition=Disposition.NOT_SUBSTANTIATED)
    now = timezone.now()
    case = Case.objects.create(register_number="262-0001", title="Art. 146", facility=facility_a,
                               region=facility_a.region, registered_at=now,
                               status_changed_at=now, status=CaseStatus.VERDICT)
    case.complaints.add(a)
    assert selectors.complaint_funnel(user=people["gpo"], since=now - dt.timedelta(days=1)) \
        == (4, 1, 1, 1)
    assert selectors.complaint_funnel(user=people["prosecutor_a"],
                                      since=now - dt.timedelta(days=1))[0] == 3
    table = {t.key: t for t in cat.cat_tables(user=people["gpo"], year=now.year)}["funnel"]
    total = table.rows[-1]
    header = table.header
    assert total[header.index("Complaints")] == 4 and total[header.index("Closed")] == 2
    assert total[header.index(str(Disposition.CASE_OPENED.label))] == 1
    assert total[header.index(str(Disposition.NOT_SUBSTANTIATED.label))] == 1
    client = signed_in(people["prosecutor_a"])
    tiles = {tile.key: tile for tile in client.get(reverse("home")).context["tiles"]}
    assert "funnel" in tiles
    assert c.disposition == ""

