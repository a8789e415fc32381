"""The demo shows what the product does: mass detention (issue 22 item 7), "where is he held?"
(item 8) and body-worn cameras (issue 20) have content for the demo's sign-ins, written
through the services (their audit events are there)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from custodywatch.accounts.models import AuditEvent, User
from custodywatch.custody.demo_mass import MASS_SCALES, whereabouts_example
from custodywatch.custody.models import CustodyRecord, EndReason
from custodywatch.custody.models_mass import (
    BulkIntake,
    IdentityCheck,
    MassDetention,
    MeasureReview,
    TemporaryPlace,
    WhereaboutsQuery,
)
from custodywatch.demo import generator
from custodywatch.escrow.models import BodyCameraAssignment, BodyCameraGap
from custodywatch.registry.models import Facility

pytestmark = pytest.mark.django_db


def test_demo_has_a_past_and_an_open_mass_detention_with_its_queue(signed_in):
    generator.load(scale_name="small", seed=0)
    scale = MASS_SCALES["small"]
    past = MassDetention.objects.get(ended_at__isnull=False)
    now_on = MassDetention.objects.get(ended_at__isnull=True)
    prosecutor = User.objects.get(username="prosecutor")
    for event in (past, now_on):
        assert event.region == prosecutor.region and event.declared_by == prosecutor
        place = TemporaryPlace.objects.get(mass_detention=event)
        assert place.facility.kind == Facility.Kind.TEMPORARY_PLACE
        assert BulkIntake.objects.filter(facility=place.facility).count() == 1
    # The past event is over: declared, its people taken in, reviewed and out, switched off.
    assert past.started_at < past.declared_at < past.ended_at < now_on.started_at
    people = CustodyRecord.objects.filter(facility__temporary_place__mass_detention=past)
    assert people.count() == scale.past_people and not people.filter(ended_at__isnull=True)
    decided = MeasureReview.objects.filter(mass_detention=past).exclude(decision="")
    assert decided.filter(decision="upheld").exists()
    release = decided.exclude(decision="upheld")
    assert release.exists()
    assert not release.exclude(custody_record__end_reason=EndReason.RELEASED).exists()
    # Written by the services: every record, decision and the declaration is audited.
    assert AuditEvent.objects.filter(object_type="custody.custodyrecord",
                                     action=AuditEvent.Action.CREATE,
                                     actor__username="admin").count() >= people.count()
    assert AuditEvent.objects.filter(object_type="custody.measurereview",
                                     actor=prosecutor).count() == (
        MeasureReview.objects.exclude(decision="").count())
    # Held under the criminal procedure, as their lists say, and out within its 48 hours (a
    # temporary place's proposed regime, delivery, would make every one of them overdue).
    now = timezone.now()
    for record in CustodyRecord.objects.filter(facility__kind=Facility.Kind.TEMPORARY_PLACE):
        assert record.regime == "criminal_detention"
        assert (record.ended_at or now) < record.detention_due_at
    # The open one: a few people held now, one release decided and not carried out yet.
    held = CustodyRecord.objects.filter(facility__temporary_place__mass_detention=now_on,
                                        ended_at__isnull=True)
    assert 0 < held.count() < scale.open_people

    client = signed_in(prosecutor)
    index = client.get("/custody/mass/")
    assert index.status_code == 200
    assert past.name.encode() in index.content and now_on.name.encode() in index.content
    detail = client.get(f"/custody/mass/{now_on.pk}/")
    assert detail.status_code == 200
    assert detail.context["progress"].release_pending == 1
    assert detail.context["progress"].reviewed == 3
    assert detail.context["queue"]  # pending reviews to decide
    assert now_on.places.get().facility.name.encode() in detail.content
    past_detail = client.get(f"/custody/mass/{past.pk}/")
    progress = past_detail.context["progress"]
    assert past_detail.status_code == 200
    # (The region's other detainees of those days are in its queue too, some released.)
    assert progress.released >= release.count() > 0
    assert progress.reviewed == decided.count()
    # Not the head's page: he reviews nothing.
    assert signed_in(User.objects.get(username="head")).get("/custody/mass/").status_code == 403


def test_the_lawyer_finds_the_demo_person_and_the_operator_has_a_check_to_ask(client,
                                                                              signed_in):
    generator.load(scale_name="small", seed=0)
    example = whereabouts_example()
    assert example is not None
    lawyer = signed_in(User.objects.get(username="lawyer"))
    answer = lawyer.post("/custody/whereabouts/", {
        "iin": example.iin, "full_name": example.full_name,
        "reason": "Соглашение об оказании юридической помощи № 15 от матери задержанного"})
    assert answer.status_code == 200
    assert answer.context["answer"].kind == WhereaboutsQuery.Answer.HELD
    assert example.facility.encode() in answer.content or (
        answer.context["answer"].facility.code == example.facility)
    client.logout()
    operator_user = User.objects.get(username="operator")
    check = IdentityCheck.objects.get(checked_by=operator_user)
    operator = signed_in(operator_user)
    page = operator.get("/custody/whereabouts/operator/")
    assert page.status_code == 200 and check.asker_name.encode() in page.content
    asked = operator.post(f"/custody/whereabouts/checks/{check.pk}/ask/")
    assert asked.status_code == 200
    assert asked.context["answer"].kind == WhereaboutsQuery.Answer.HELD


def test_the_head_sees_body_cameras_and_the_prosecutor_their_gap(client, signed_in):
    generator.load(scale_name="small", seed=0)
    head = User.objects.get(username="head")
    shifts = BodyCameraAssignment.objects.filter(camera__facility=head.facility)
    assert shifts.count() >= 6 and shifts.filter(ended_at__isnull=True).count() == 2
    assert AuditEvent.objects.filter(object_type="escrow.bodycameraassignment",
                                     action=AuditEvent.Action.CREATE,
                                     actor=head).count() == shifts.count()
    gaps = BodyCameraGap.objects.filter(assignment__camera__facility=head.facility)
    assert gaps.exists()
    page = signed_in(head).get("/escrow/body-cameras/")
    assert page.status_code == 200
    for shift in shifts.filter(ended_at__isnull=True):
        assert f'data-testid="shift-{shift.pk}"'.encode() in page.content
    assert b"WB-01" in page.content and b"WB-03" in page.content
    assert page.context["gaps"] == []  # the facility is a party: never its gaps
    assert any(shift.files for row in page.context["rows"] for shift in row.shifts)
    client.logout()
    seen = signed_in(User.objects.get(username="prosecutor")).get("/escrow/body-cameras/")
    assert seen.status_code == 200
    assert {gap.pk for gap in seen.context["gaps"]} == set(gaps.values_list("pk", flat=True))
    assert timezone.now() > gaps.first().raised_at


def test_the_demo_load_schedules_one_lock_update_per_facility_not_per_hold(
        facility_a, facility_b, settings, django_capture_on_commit_callbacks, monkeypatch):
    """With an escrow store configured, each legal hold schedules its lock update after
    commit; the demo's load (thousands of holds in one transaction) gathers them per
    facility (escrow.services.lock_updates_batched); outside the block, one per hold."""
    from custodywatch.accounts.audit import SYSTEM_ORIGIN
    from custodywatch.escrow import services

    settings.ESCROW_S3_ENDPOINT, settings.ESCROW_S3_ACCESS_KEY = "http://127.0.0.1:9", "x"
    applied: list[int] = []
    monkeypatch.setattr(services, "apply_holds",
                        lambda *, facility=None, now=None: applied.append(facility.pk) or 0)
    now = timezone.now()

    def holds(count: int) -> None:
        for n in range(count):
            services.place_hold(acting_user=None, origin=SYSTEM_ORIGIN,
                                facility=facility_a if n % 3 else facility_b,
                                started_at=now - dt.timedelta(hours=n + 2),
                                ended_at=now - dt.timedelta(hours=n + 1),
                                reason=services.HoldReason.COMPLAINT, reference=f"C-{n}")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        holds(6)
    assert len(callbacks) == 6 and len(applied) == 6
    applied.clear()
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          services.lock_updates_batched()):
        holds(6)
    assert len(callbacks) == 2
    assert sorted(applied) == sorted([facility_a.pk, facility_b.pk])
    # Nothing is scheduled when the block fails (its transaction rolls back anyway).
    with (django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError),
          services.lock_updates_batched()):
        holds(2)
        raise RuntimeError
    assert not callbacks
