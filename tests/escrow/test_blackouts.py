"""Issue 20 item 5: a facility blackout locks at once everything the centre holds off-site for
the site (the real SeaweedFS), and the blackout page lists, camera by camera, what exists
off-site and what was only hashed and may be lost; only to readers whose scope holds the site."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from custodywatch.escrow import s3, services
from custodywatch.escrow.models import EscrowHold, EscrowObject, EscrowState, HoldReason
from custodywatch.escrow.store import store
from custodywatch.registry.models import Camera
from custodywatch.video.incidents import coverage_incidents_sweep
from custodywatch.video.models import CameraHealth, CameraState, CoverageIncident, RecordingSegment
from tests.conftest import sign_in
from tests.escrow import test_escrow_flow as flow

facility_world = flow.facility_world
empty_ledger_after = flow.empty_ledger_after
pytestmark = pytest.mark.django_db(transaction=True)

# The flow's footage is recorded from 10:00 UTC on this day.
SWEEP = dt.datetime(2026, 12, 6, 10, 30, tzinfo=dt.UTC)


def _silent(facility) -> None:
    long_ago = SWEEP - dt.timedelta(hours=2)
    for camera in Camera.objects.filter(facility=facility):
        CameraHealth.objects.update_or_create(camera=camera, defaults={
            "last_heartbeat_at": long_ago, "reported_state": CameraState.OK,
            "state_since": long_ago, "silent_after": long_ago + dt.timedelta(minutes=2)})


def test_a_blackout_locks_the_sites_escrow_and_the_page_lists_what_may_be_lost(
        facility_world, people, client):
    flow._run_agent(facility_world)
    camera = facility_world["camera"]
    facility = camera.facility
    hashed_only = RecordingSegment.objects.create(
        camera=camera, started_at=SWEEP - dt.timedelta(minutes=20),
        ended_at=SWEEP - dt.timedelta(minutes=19), sha256="e" * 64)
    _silent(facility)
    assert coverage_incidents_sweep(now=SWEEP, mail=False).opened == 1
    incident = CoverageIncident.objects.get(kind=CoverageIncident.Kind.BLACKOUT)
    assert (incident.detail["escrowed"], incident.detail["local_only"]) == (5, 1)
    hold = EscrowHold.objects.get(reason=HoldReason.BLACKOUT)
    assert hold.reference == f"blackout:{incident.pk}"
    assert hold.started_at == SWEEP - dt.timedelta(hours=1)
    bucket = store()
    for obj in EscrowObject.objects.filter(state=EscrowState.STORED):
        until = s3.retention(bucket.client, bucket.bucket, services.object_key(obj.sha256),
                             obj.version_id)[1]
        assert until >= SWEEP + dt.timedelta(days=5 * 365 - 1)

    page = sign_in(client, people["prosecutor_a"]).get(reverse("escrow:blackouts"))
    assert page.status_code == 200
    rows = {row.camera: row for row in page.context["rows"][0].cameras}
    assert (rows["CAMI"].escrowed, rows["CAMI"].local_only) == (4, 1)
    assert rows["CAM1"].escrowed == 1
    html = page.content.decode()
    assert f'data-testid="blackout-{incident.pk}"' in html and facility.code in html
    assert hashed_only.sha256 not in html  # counts, not hashes
    client.logout()
    # Another region's facility head sees no blackout of this site.
    other = sign_in(client, people["head_b"]).get(reverse("escrow:blackouts"))
    assert other.status_code == 200 and other.context["rows"] == []


def test_a_closed_blackout_stops_holding_later_footage(facility_world):
    facility = facility_world["camera"].facility
    _silent(facility)
    coverage_incidents_sweep(now=SWEEP, mail=False)
    incident = CoverageIncident.objects.get(kind=CoverageIncident.Kind.BLACKOUT)
    back = SWEEP + dt.timedelta(minutes=30)
    CameraHealth.objects.filter(camera__facility=facility).update(
        last_heartbeat_at=back, silent_after=back + dt.timedelta(minutes=2))
    coverage_incidents_sweep(now=back, mail=False)
    incident.refresh_from_db()
    assert incident.closed_at == back
    hold = EscrowHold.objects.get(reference=f"blackout:{incident.pk}")
    assert hold.ended_at == back + dt.timedelta(hours=1)
