"""Who sees what: facility staff never see complaints about their facility, nor who filed,
in the UI, the API, the admin or an export; regional prosecutors see their region only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.accounts.services import token_create
from tests.complaints.conftest import CONDITIONS_TEXT

pytestmark = pytest.mark.django_db

NAME = "Сейткалиев Бахыт"


@pytest.fixture
def complaints(file_complaint, facility_a, facility_b):
    from custodywatch.complaints.services import Identity

    return {
        "a": file_complaint(facility=facility_a,
                            identity=Identity(full_name=NAME, contact="+7 777")).complaint,
        "b": file_complaint(facility=facility_b, text=CONDITIONS_TEXT).complaint,
    }


@pytest.mark.parametrize("who", ["head_a", "duty_a"])
def test_facility_staff_see_nothing_in_the_ui(people, signed_in, complaints, who):
    client = signed_in(people[who])
    complaint = complaints["a"]
    assert client.get(reverse("complaints:inbox")).status_code == 403
    detail = client.get(reverse("complaints:detail", args=[complaint.pk]))
    assert detail.status_code == 403
    body = detail.content.decode()
    assert NAME not in body and complaint.reference not in body
    for action in ("identity_open", "message", "triage"):
        response = client.post(reverse("complaints:action", args=[complaint.pk, action]))
        assert response.status_code == 403
    assert client.get(reverse("complaints:export")).status_code == 403
    assert client.get(reverse("complaints:statistics")).status_code == 403
    assert AuditEvent.objects.filter(actor=people[who], action=AuditEvent.Action.DENIED).exists()


@pytest.mark.parametrize("who", ["head_a", "duty_a", "agent_a"])
def test_facility_staff_see_nothing_in_the_api(client, people, complaints, who):
    token, _row = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people[who])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/complaints/", **auth).status_code == 403
    response = client.get(f"/api/complaints/{complaints['a'].reference}", **auth)
    assert response.status_code == 404
    assert NAME not in response.content.decode()


def test_facility_staff_see_nothing_in_the_admin_even_as_superusers(client, people, complaints):
    from tests.conftest import sign_in

    head = people["head_a"]
    head.is_staff = head.is_superuser = True  # a misconfiguration must not open complaints
    head.save()
    sign_in(client, head)
    changelist = client.get("/admin/complaints/complaint/")
    assert changelist.status_code == 200
    body = changelist.content.decode()
    assert complaints["a"].reference not in body and complaints["b"].reference not in body
    change = client.get(f"/admin/complaints/complaint/{complaints['a'].pk}/change/")
    assert change.status_code in (302, 404)
    assert NAME not in client.get("/admin/complaints/legalhold/").content.decode()


def test_admin_never_shows_identity_even_to_handlers(client, people, complaints):
    from tests.conftest import sign_in

    gpo = people["gpo"]
    gpo.is_staff = gpo.is_superuser = True
    gpo.save()
    sign_in(client, gpo)
    page = client.get(f"/admin/complaints/complaint/{complaints['a'].pk}/change/")
    assert page.status_code == 200
    assert complaints["a"].reference in page.content.decode()
    assert NAME not in page.content.decode() and "identity" not in page.content.decode()


def test_regional_prosecutor_sees_own_region_only(people, signed_in, complaints):
    client = signed_in(people["prosecutor_a"])
    inbox = client.get(reverse("complaints:inbox")).content.decode()
    assert complaints["a"].reference in inbox and complaints["b"].reference not in inbox
    assert client.get(reverse("complaints:detail", args=[complaints["b"].pk])).status_code == 404
    assert AuditEvent.objects.filter(actor=people["prosecutor_a"],
                                     action=AuditEvent.Action.DENIED,
                                     object_id=str(complaints["b"].pk)).exists()
    export = client.get(reverse("complaints:export")).content.decode()
    assert complaints["a"].reference in export and complaints["b"].reference not in export
    assert NAME not in export  # exports carry no identity and no text


def test_general_prosecutor_sees_all_and_reads_are_audited(people, signed_in, complaints):
    client = signed_in(people["gpo"])
    page = client.get(reverse("complaints:detail", args=[complaints["b"].pk]))
    assert page.status_code == 200
    assert NAME not in client.get(
        reverse("complaints:detail", args=[complaints["a"].pk])).content.decode()  # sealed
    assert AuditEvent.objects.filter(actor=people["gpo"], action=AuditEvent.Action.READ,
                                     object_type="complaints.complaint").count() == 2
    assert client.get(reverse("complaints:export")).status_code == 200
    assert AuditEvent.objects.filter(actor=people["gpo"], action=AuditEvent.Action.EXPORT).exists()


def test_analyst_sees_suppressed_statistics_only(people, signed_in, complaints):
    client = signed_in(people["analyst"])
    assert client.get(reverse("complaints:inbox")).status_code == 403
    assert client.get(reverse("complaints:detail", args=[complaints["a"].pk])).status_code == 403
    stats = client.get(reverse("complaints:statistics"))
    assert stats.status_code == 200
    body = stats.content.decode()
    # One complaint per facility is below the small-cell threshold; a hidden bar claims no
    # bound ("<5"), since a complementary one may be larger.
    assert "hidden" in body and "&lt;5" not in body
    assert complaints["a"].reference not in body


def test_handler_statistics_show_counts(people, signed_in, complaints):
    stats = signed_in(people["gpo"]).get(reverse("complaints:statistics"))
    assert stats.status_code == 200
    charts = dict(stats.context["charts"])
    assert sum(bar.count for bar in charts["By channel"]) == 2
