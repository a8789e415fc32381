from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from custodywatch.accounts.models import Role, Scope, User
from custodywatch.custody.demo_mass import whereabouts_example
from custodywatch.custody.models import CustodyAlert
from custodywatch.demo import generator
from custodywatch.registry.models import Camera, Facility, HeadAppointment, Room
from custodywatch.registry.selectors import custody_rooms_without_camera
from custodywatch.reports.models import CoverageSnapshot
from custodywatch.video.demo import demo_tick
from custodywatch.video.models import (
    CoverageIncident,
    MarkerSighting,
    RemediationTicket,
)
from custodywatch.video.selectors import Place, video_totals

pytestmark = pytest.mark.django_db


def fingerprint() -> str:
    rows = [
        *Facility.objects.order_by("code").values_list("code", "name", "kind", "region__code"),
        *Room.objects.order_by("facility__code", "code").values_list("facility__code", "code",
                                                                     "kind"),
        *Camera.rooms.through.objects.order_by("camera__facility__code", "camera__code",
                                               "room__code")
        .values_list("camera__facility__code", "camera__code", "room__code"),
        *HeadAppointment.objects.order_by("facility__code", "started_on")
        .values_list("facility__code", "full_name", "started_on"),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_small_demo_has_its_size_and_one_login_per_role():
    logins, loaded = generator.load(scale_name="small", seed=0)
    scale = generator.SCALES["small"]
    assert loaded
    # Beside them, the temporary places of the mass detention demo (custody/demo_mass.py).
    temporary = Facility.Kind.TEMPORARY_PLACE
    assert Facility.objects.exclude(kind=temporary).count() == scale.facilities
    # The coverage demo adds an escort corridor and van (demo/coverage.py).
    assert Room.objects.filter(custody_use=True).exclude(facility__kind=temporary).count() == (
        scale.custody_rooms + 2)
    # Fixed in rooms; beside them the body-worn cameras of the staff's facility.
    assert Camera.objects.filter(rooms__isnull=False).distinct().count() == scale.cameras
    assert 0 < custody_rooms_without_camera().count() < scale.custody_rooms
    human_roles = {role for role in Role if role not in (Role.EDGE_AGENT, Role.STATE_SYSTEM)}
    assert {User.objects.get(username=login.username).role for login in logins} == human_roles
    head = User.objects.get(role=Role.FACILITY_HEAD)
    assert head.scope == Scope.FACILITY and head.check_password(generator.DEMO_PASSWORD)


def test_same_seed_same_data_other_seed_other_data():
    generator.load(scale_name="small", seed=7)
    first = fingerprint()
    generator.load(scale_name="small", seed=7, reset=True)
    assert fingerprint() == first
    generator.load(scale_name="small", seed=8)
    assert fingerprint() != first


def test_a_second_run_reuses_the_loaded_dataset():
    generator.load(scale_name="small", seed=0)
    facility_ids = list(Facility.objects.values_list("pk", flat=True))
    logins, loaded = generator.load(scale_name="small", seed=0)
    assert not loaded
    assert list(Facility.objects.values_list("pk", flat=True)) == facility_ids
    assert len(logins) == len(Role) - 2  # no login for the machine roles


def test_heads_never_overlap_within_a_facility():
    generator.load(scale_name="small", seed=3)
    for facility in Facility.objects.prefetch_related("head_appointments"):
        terms = sorted(facility.head_appointments.all(), key=lambda h: h.started_on)
        for earlier, later in zip(terms, terms[1:], strict=False):
            assert earlier.ended_on is not None and earlier.ended_on < later.started_on


def test_demo_command_prints_logins_without_serving():
    out = StringIO()
    call_command("demo", "--no-serve", "--scale", "small", stdout=out, stderr=StringIO(),
                 verbosity=0)
    text = out.getvalue()
    for username in ("admin", "gpo", "prosecutor", "ombudsperson", "monitor", "head", "duty",
                     "forensic", "compensation", "analyst"):
        assert f"user: {username} " in text
    assert generator.DEMO_PASSWORD in text
    # The lawyer's lookup needs a name and an IIN: the demo prints a person held now.
    example = whereabouts_example()
    assert example is not None and example.iin
    assert f"ask about {example.full_name}, IIN {example.iin}" in text


def test_demo_reproduces_the_audit_proportions_from_camera_data():
    """6,159 blind premises and 937 broken cameras of 20,000 (the seeds), scaled to small."""
    generator.load(scale_name="small", seed=0)
    gpo = User.objects.get(username="gpo")
    now = timezone.now()
    totals = video_totals(user=gpo, now=now)
    scale = generator.SCALES["small"]
    # Beside the audit's figures, the demo has one site blacked out now (all its cameras,
    # all working before, silent), an escort corridor and van without cameras, and the
    # holding areas of the temporary place of the mass detention on now (none has a camera).
    site = CoverageIncident.objects.get(kind="blackout", closed_at__isnull=True).facility
    blackout = video_totals(user=gpo, now=now, place=Place(facility_code=site.code))
    assert blackout.cameras >= 3 and blackout.working == 0
    assert totals.out_of_order - blackout.cameras == round(937 / 20_000 * scale.cameras)
    holding = Room.objects.filter(facility__kind=Facility.Kind.TEMPORARY_PLACE,
                                  custody_use=True).count()
    assert holding > 0
    assert (totals.blind_rooms - blackout.blind_rooms + blackout.never_covered - 2 - holding
            == round(6_159 / 30_000 * scale.custody_rooms))
    assert 0 < totals.never_covered < totals.blind_rooms


def test_demo_has_the_burn_down_tickets_incidents_and_blind_alerts():
    """Issue 19: the burn-down from the audit's figures, open, overdue and closed tickets,
    and the four blind custody alert kinds (the blackout as an incident)."""
    generator.load(scale_name="small", seed=0)
    now = timezone.now()
    scale = generator.SCALES["small"]
    baseline = CoverageSnapshot.objects.get(key="country", baseline=True)
    assert baseline.rooms_blind == round(6_159 / 30_000 * scale.custody_rooms)
    assert baseline.cameras_out_of_order == round(937 / 20_000 * scale.cameras)
    series = CoverageSnapshot.objects.filter(key="country", baseline=False).order_by("day")
    assert series.count() > 30 and series.last().day == timezone.localdate()
    tickets = RemediationTicket.objects
    assert tickets.filter(status="open", due_at__gte=now).exists()
    assert tickets.filter(status="open", due_at__lt=now, escalated_at__isnull=False).exists()
    assert tickets.filter(status="closed").exclude(proof={}).exists()
    clocks = set(CustodyAlert.objects.values_list("clock", flat=True))
    assert {"blind_placement", "blind_stay", "blind_move"} <= clocks
    kinds = set(CoverageIncident.objects.filter(closed_at__isnull=True)
                .values_list("kind", flat=True))
    assert kinds == {"blackout", "foreign_marker", "marker_lost"}
    # The played agents keep showing their rooms' markers (video/demo.py demo_tick).
    later = timezone.now() + dt.timedelta(minutes=1)
    assert demo_tick(now=later) > 0
    assert MarkerSighting.objects.filter(ended_at=later).count() > 100
