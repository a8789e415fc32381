from __future__ import annotations

import pytest

from custodywatch.accounts.models import AuditEvent
from custodywatch.registry.models import Facility

pytestmark = pytest.mark.django_db


def test_admin_reads_and_changes_reach_the_audit_trail(signed_in, people, facility_a):
    client = signed_in(people["admin"])
    url = f"/admin/registry/facility/{facility_a.pk}/change/"
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(actor=people["admin"], action=AuditEvent.Action.READ,
                                     object_id=str(facility_a.pk), detail__via="admin").exists()
    form = {"code": "FA-1", "name": "Renamed", "kind": facility_a.kind,
            "region": facility_a.region_id, "agency": facility_a.agency_id, "address": "",
            "is_active": "on",
            "rooms-TOTAL_FORMS": 0, "rooms-INITIAL_FORMS": 0,
            "head_appointments-TOTAL_FORMS": 0, "head_appointments-INITIAL_FORMS": 0}
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    assert Facility.objects.get(pk=facility_a.pk).name == "Renamed"
    assert AuditEvent.objects.filter(actor=people["admin"], action=AuditEvent.Action.UPDATE,
                                     object_id=str(facility_a.pk), detail__via="admin").exists()


def test_the_admin_is_closed_to_other_roles(signed_in, people):
    response = signed_in(people["gpo"]).get("/admin/registry/facility/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
