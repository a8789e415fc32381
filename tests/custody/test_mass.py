"""Mass detention (issue 22, item 7): the mode, temporary places (blind until a camera is
approved), bulk intake (named errors, atomic, idempotent) and the review queue's figures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent, Role
from custodywatch.custody import intake, mass, services
from custodywatch.custody.models import CustodyRecord, EndReason
from custodywatch.custody.models_mass import BulkIntake, MeasureReview
from custodywatch.registry import camera_changes
from custodywatch.registry.models import Agency, Facility, Region, Room
from custodywatch.registry.selectors import custody_rooms_without_camera
from tests.conftest import make_user
from tests.custody.conftest import make_record

pytestmark = pytest.mark.django_db

HEADER = ("external_ref,full_name,iin,date_of_birth,detained_at,detained_place,"
          "detaining_officer,grounds,room\n")


def _declare(user, region, hours_back: int = 24):
    return mass.mass_detention_declare(
        acting_user=user, origin=SYSTEM_ORIGIN, name="January events", region=region,
        reason="Mass riots; the GPO's order of review", started_at=timezone.now()
        - dt.timedelta(hours=hours_back))


def _place(user, event):
    return mass.temporary_place_register(
        acting_user=user, origin=SYSTEM_ORIGIN, event=event, region=event.region,
        agency=Agency.objects.get(code="MVD"), name="Sports hall", address="Abai 1",
        areas=["Hall A", "Hall B"])


def _csv_line(ref: str, name: str, hours_ago: int = 3, iin: str = "", room: str = "") -> str:
    moment = (timezone.localtime(timezone.now() - dt.timedelta(hours=hours_ago))
              .strftime("%Y-%m-%d %H:%M"))
    return f"{ref},{name},{iin},1990-01-02,{moment},Republic Square,Sgt. Bekov,Art. 272,{room}\n"


@pytest.fixture
def event(people, facility_a):
    return _declare(people["prosecutor_a"], facility_a.region)


@pytest.fixture
def place(people, event):
    return _place(people["prosecutor_a"], event)


@pytest.fixture
def place_staff(place):
    return make_user("hall_duty", Role.DUTY_OFFICER, facility=place.facility)


def test_declaring_queues_everyone_detained_in_the_region_since_the_start(people, record_a,
                                                                          record_b, facility_a):
    old = make_record(facility_a, people["duty_a"], full_name="Before", room_code="R2",
                      detained_at=timezone.now() - dt.timedelta(days=3), arrived_at=None)
    event = _declare(people["prosecutor_a"], facility_a.region)
    queued = set(event.reviews.values_list("custody_record_id", flat=True))
    # Almaty's record since the start; not Karaganda's (record_b), not the one before.
    assert queued == {record_a.pk}
    assert old.pk not in queued
    assert AuditEvent.objects.filter(action="create", object_type="custody.massdetention",
                                     detail__queued=1).exists()
    with pytest.raises(ValidationError) as caught:
        _declare(people["gpo"], facility_a.region)
    assert "region" in caught.value.message_dict


def test_who_may_declare(people, facility_a, facility_b):
    # Facility staff never; a regional prosecutor not for another region, nor the country.
    for user, region in ((people["head_a"], facility_a.region),
                         (people["prosecutor_a"], facility_b.region),
                         (people["prosecutor_a"], None), (people["admin"], facility_a.region)):
        with pytest.raises(PermissionDenied):
            _declare(user, region)
    assert AuditEvent.objects.filter(action="denied",
                                     object_type="custody.massdetention").count() == 4
    assert _declare(people["gpo"], None).region is None


def test_declaring_refuses_a_bad_start(people, facility_a):
    with pytest.raises(ValidationError) as caught:
        mass.mass_detention_declare(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                    name=" ", region=facility_a.region, reason="",
                                    started_at=timezone.now() + dt.timedelta(days=1))
    assert set(caught.value.message_dict) == {"name", "reason", "started_at"}


def test_a_temporary_place_is_blind_until_its_camera_is_approved(people, event, place,
                                                                 place_staff):
    facility = place.facility
    assert facility.kind == Facility.Kind.TEMPORARY_PLACE
    assert facility.code == "TMP-75-1"
    areas = list(facility.rooms.order_by("code"))
    assert [(room.code, room.kind) for room in areas] == [
        ("H1", Room.Kind.HOLDING_AREA), ("H2", Room.Kind.HOLDING_AREA)]
    assert all(room.marker_id is not None for room in areas)
    blind = set(custody_rooms_without_camera().filter(facility=facility))
    assert blind == set(areas)
    # The place's own staff propose a camera: still blind until an overseer approves it.
    camera, change = camera_changes.camera_change_propose(
        acting_user=place_staff, origin=SYSTEM_ORIGIN, token=None, facility=facility,
        code="CAM1", name="Hall A", room_codes=["H1"])
    assert set(custody_rooms_without_camera().filter(facility=facility)) == set(areas)
    camera_changes.camera_change_decide(acting_user=people["prosecutor_a"],
                                        origin=SYSTEM_ORIGIN, change=change, approve=True,
                                        reason="Seen on the visit")
    assert set(custody_rooms_without_camera().filter(facility=facility)) == {areas[1]}
    # A second place in the region gets the next code.
    assert _place(people["prosecutor_a"], event).facility.code == "TMP-75-2"


def test_who_may_register_a_temporary_place(people, event, facility_b):
    for user in (people["head_a"], people["duty_a"], people["analyst"]):
        with pytest.raises(PermissionDenied):
            _place(user, event)
    with pytest.raises(ValidationError) as caught:
        mass.temporary_place_register(
            acting_user=people["gpo"], origin=SYSTEM_ORIGIN, event=event,
            region=facility_b.region, agency=Agency.objects.get(code="MVD"), name="Hall",
            address="x", areas=["A", "A"])
    assert "region" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        mass.temporary_place_register(
            acting_user=people["gpo"], origin=SYSTEM_ORIGIN, event=event,
            region=event.region, agency=Agency.objects.get(code="MVD"), name="Hall",
            address="", areas=[])
    assert set(caught.value.message_dict) == {"address", "areas"}
    assert not Facility.objects.filter(kind=Facility.Kind.TEMPORARY_PLACE).exists()


def test_bulk_intake_registers_the_list_and_queues_it(event, place, place_staff):
    content = (HEADER + _csv_line("L-1", "Иванов Иван", room="H1")
               + _csv_line("L-2", "Серіков Серік", hours_ago=5)).encode()
    result = intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                                facility=place.facility, content=content, file_name="list.csv")
    assert not result.repeated
    assert (result.intake.rows, result.intake.registered) == (2, 2)
    records = CustodyRecord.objects.filter(facility=place.facility).order_by("external_ref")
    assert [r.full_name for r in records] == ["Иванов Иван", "Серіков Серік"]
    # The temporary place proposes delivery (3 h): its clock counts at once.
    assert records[0].regime == "delivery"
    assert records[0].stays.get().room.code == "H1"
    assert set(event.reviews.values_list("custody_record_id", flat=True)) >= {
        r.pk for r in records}
    assert AuditEvent.objects.filter(action="import", object_type="custody.bulkintake").count() \
        == 1
    assert AuditEvent.objects.filter(action="create", object_type="custody.custodyrecord",
                                     object_id__in=[str(r.pk) for r in records]).count() == 2


def test_bulk_intake_retried_writes_nothing_twice(place, place_staff):
    content = (HEADER + _csv_line("L-1", "Иванов Иван")).encode()
    first = intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                               facility=place.facility, content=content)
    again = intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                               facility=place.facility, content=content)
    assert again.repeated and again.intake.pk == first.intake.pk
    assert CustodyRecord.objects.filter(facility=place.facility).count() == 1
    # A longer list re-sent with the first line in it: the first counts as already there.
    record = CustodyRecord.objects.get(facility=place.facility)
    moment = timezone.localtime(record.detained_at).strftime("%Y-%m-%d %H:%M")
    longer = (HEADER + f"L-1,Иванов Иван,,1990-01-02,{moment},Republic Square,Sgt. Bekov,"
              "Art. 272,\n" + _csv_line("L-2", "Петров Пётр")).encode()
    result = intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                                facility=place.facility, content=longer)
    assert (result.intake.registered, result.intake.already_registered) == (1, 1)
    assert CustodyRecord.objects.filter(facility=place.facility).count() == 2
    assert BulkIntake.objects.filter(facility=place.facility).count() == 2


def test_bulk_intake_names_every_bad_line_and_field_and_writes_nothing(place, place_staff):
    content = (HEADER + _csv_line("L-1", "Good Person")
               + _csv_line("L-2", "Bad Iin", iin="123456789012")
               + "L-3,No Moment,,1990-01-02,,Square,Sgt.,Art. 272,\n"
               + _csv_line("L-1", "Repeated Ref")
               + _csv_line("L-5", "Wrong Room", room="R9")
               + "L-6,Future,,1990-01-02,2999-01-01 10:00,Square,Sgt.,Art. 272,\n").encode()
    with pytest.raises(intake.IntakeError) as caught:
        intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                           facility=place.facility, content=content)
    named = {(error.line, error.field) for error in caught.value.errors}
    assert {(3, "iin"), (4, "detained_at"), (5, "external_ref"), (7, "detained_at")} <= named
    assert not CustodyRecord.objects.filter(facility=place.facility).exists()
    assert not BulkIntake.objects.exists()
    # Lines that parse but break the register's rules, with a good line before them: all
    # named in one answer, and the good line is not kept either.
    early = (timezone.localtime(timezone.now() - dt.timedelta(hours=9))
             .strftime("%Y-%m-%d %H:%M"))
    fixed = ((HEADER.strip() + ",arrived_at\n") + _csv_line("L-1", "Good Person").strip()
             + ",\n" + _csv_line("L-2", "Arrived Early").strip() + f",{early}\n"
             + _csv_line("L-5", "Wrong Room", room="R9").strip() + ",\n").encode()
    with pytest.raises(intake.IntakeError) as caught:
        intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                           facility=place.facility, content=fixed)
    assert {(e.line, e.field) for e in caught.value.errors} == {(3, "arrived_at"),
                                                                (4, "room")}
    assert not CustodyRecord.objects.filter(facility=place.facility).exists()
    assert str(caught.value.errors[0]).startswith("line 3: arrived_at: ")


def test_bulk_intake_refuses_a_bad_header_and_another_facility(people, place, place_staff):
    with pytest.raises(intake.IntakeError) as caught:
        intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                           facility=place.facility, content=b"full_name,colour\nA,red\n")
    named = {(e.line, e.field) for e in caught.value.errors}
    assert (1, "colour") in named and (1, "external_ref") in named
    with pytest.raises(PermissionDenied):
        intake.bulk_intake(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                           facility=place.facility,
                           content=(HEADER + _csv_line("L-1", "X")).encode())


def test_bulk_intake_reads_xlsx_and_names_its_rows(place, place_staff):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["external_ref", "full_name", "detained_at", "detained_place",
                  "detaining_officer", "grounds"])
    moment = timezone.localtime(timezone.now() - dt.timedelta(hours=2)).replace(
        tzinfo=None, second=0, microsecond=0)
    sheet.append(["X-1", "Омаров Олжас", moment, "Square", "Sgt.", "Art. 272"])
    sheet.append(["X-2", "", moment, "Square", "Sgt.", "Art. 272"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(intake.IntakeError) as caught:
        intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                           facility=place.facility, content=buffer.getvalue())
    assert [(e.line, e.field) for e in caught.value.errors] == [(3, "full_name")]
    sheet.delete_rows(3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                       facility=place.facility, content=buffer.getvalue())
    record = CustodyRecord.objects.get(facility=place.facility)
    # A time without an offset is the uploader's local time.
    assert timezone.localtime(record.detained_at).replace(tzinfo=None) == moment


def test_intake_page_shows_errors_and_the_result(signed_in, place, place_staff):
    client = signed_in(place_staff)
    url = reverse("custody:intake", args=[place.facility.code])
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("bad.csv", (HEADER + _csv_line("", "No Ref")).encode())
    response = client.post(url, {"file": bad})
    assert response.status_code == 422
    assert "line 2: external_ref: " in response.content.decode()
    good = SimpleUploadedFile("good.csv", (HEADER + _csv_line("L-1", "Ok")).encode())
    response = client.post(url, {"file": good})
    assert response.status_code == 200
    assert 'data-testid="intake-result"' in response.content.decode()
    assert CustodyRecord.objects.filter(facility=place.facility).count() == 1


def _decide(user, review, decision, day=None, reasons="His own role: none shown"):
    return mass.measure_review_decide(acting_user=user, origin=SYSTEM_ORIGIN, review=review,
                                      decision=decision,
                                      decided_on=day or timezone.localdate(), reasons=reasons)


def test_review_queue_figures(people, facility_a, event):
    now = timezone.now()
    records = [make_record(facility_a, people["duty_a"], full_name=f"P{n}", room_code=None,
                           detained_at=now - dt.timedelta(hours=10 - n), arrived_at=None)
               for n in range(4)]
    assert mass.review_queue_fill(event=event) == 4
    assert mass.review_queue_fill(event=event) == 0  # idempotent
    reviews = {r.custody_record_id: r for r in event.reviews.all()}
    _decide(people["prosecutor_a"], reviews[records[0].pk], MeasureReview.Decision.UPHELD)
    _decide(people["gpo"], reviews[records[1].pk], MeasureReview.Decision.RELEASE)
    _decide(people["prosecutor_a"], reviews[records[2].pk], MeasureReview.Decision.CHANGED)
    services.custody_record_end(acting_user=people["duty_a"], origin=SYSTEM_ORIGIN,
                                record=records[1], ended_at=now - dt.timedelta(minutes=5),
                                end_reason=EndReason.RELEASED)
    progress = mass.review_progress(user=people["prosecutor_a"], event=event)
    assert (progress.total, progress.reviewed, progress.pending) == (4, 3, 1)
    assert (progress.upheld, progress.release_decided) == (1, 2)
    assert (progress.released, progress.release_pending) == (1, 1)
    assert progress.oldest_pending_detained_at == records[3].detained_at
    # The queue lists the pending, longest held first; the prosecutor of another region
    # sees none of it.
    queue = mass.review_queue(user=people["prosecutor_a"], event=event, origin=SYSTEM_ORIGIN)
    assert [r.custody_record_id for r in queue] == [records[3].pk]
    other = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR, region=Region.objects.get(
        code="KZ-35"))
    assert mass.review_progress(user=other, event=event).total == 0


def test_a_review_is_decided_once_by_a_prosecutor_in_scope(people, facility_a, event,
                                                          record_a):
    mass.review_queue_fill(event=event)
    review = event.reviews.get(custody_record=record_a)
    other = make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR, region=Region.objects.get(
        code="KZ-35"))
    for user in (people["head_a"], people["duty_a"], other):
        with pytest.raises(PermissionDenied):
            _decide(user, review, MeasureReview.Decision.RELEASE)
    with pytest.raises(ValidationError) as caught:
        mass.measure_review_decide(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                                   review=review, decision="acquit",
                                   decided_on=timezone.localdate() + dt.timedelta(days=2),
                                   reasons=" ")
    assert set(caught.value.message_dict) == {"decision", "decided_on", "reasons"}
    _decide(people["prosecutor_a"], review, MeasureReview.Decision.UPHELD)
    with pytest.raises(ValidationError):
        _decide(people["gpo"], review, MeasureReview.Decision.RELEASE)
    review.refresh_from_db()
    assert review.decision == MeasureReview.Decision.UPHELD
    assert AuditEvent.objects.filter(action="update", object_type="custody.measurereview",
                                     object_id=str(review.pk)).count() == 1


def test_someone_registered_later_joins_the_queue_by_the_periodic_job(people, facility_a,
                                                                      event):
    record = make_record(facility_a, people["duty_a"], full_name="Later", room_code=None)
    assert not event.reviews.filter(custody_record=record).exists()
    assert mass.review_queues_fill() == 1
    assert event.reviews.filter(custody_record=record).exists()
    mass.mass_detention_end(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                            event=event)
    make_record(facility_a, people["duty_a"], full_name="After", room_code=None)
    assert mass.review_queues_fill() == 0


def test_the_dashboard_and_the_pages_show_the_progress(signed_in, people, event, record_a):
    mass.review_queue_fill(event=event)
    review = event.reviews.get()
    client = signed_in(people["prosecutor_a"])
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="mass-card"' in home
    assert 'data-testid="mass-pending">1<' in home
    detail = client.get(reverse("custody:mass_detail", args=[event.pk]))
    assert record_a.full_name in detail.content.decode()
    response = client.post(reverse("custody:review_decide", args=[review.pk]), {
        "decision": "release", "decided_on": timezone.localdate().isoformat(),
        "reasons": "Not at the square"})
    assert response.status_code == 302
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="mass-reviewed">1<' in home
    assert 'data-testid="mass-release-pending">1<' in home
    # Facility staff do not open the queue.
    staff = signed_in(people["duty_a"])
    assert staff.get(reverse("custody:mass_detail", args=[event.pk])).status_code == 403
    assert staff.get(reverse("custody:review_decide", args=[review.pk])).status_code == 404


def test_every_role_on_the_pages_of_a_mass_detention(client, people, event, record_a,
                                                    facility_b):
    from tests.conftest import sign_in

    mass.review_queue_fill(event=event)
    review = event.reviews.get()
    others = {"ombudsperson": make_user("ombudsperson", Role.OMBUDSPERSON),
              "monitor": make_user("monitor", Role.NPM_MONITOR),
              "lawyer": make_user("lawyer", Role.LAWYER),
              "operator": make_user("operator", Role.HOTLINE_OPERATOR),
              "prosecutor_b": make_user("prosecutor_b", Role.REGIONAL_PROSECUTOR,
                                        region=facility_b.region)}
    users = {**{name: people[name] for name in ("admin", "gpo", "prosecutor_a", "head_a",
                                                 "head_b", "duty_a", "analyst")}, **others}
    outcomes = {}
    for name, user in users.items():
        client.logout()
        sign_in(client, user)
        outcomes[name] = (
            client.get(reverse("custody:mass_detail", args=[event.pk])).status_code,
            client.get(reverse("custody:review_decide", args=[review.pk])).status_code,
            client.post(reverse("custody:mass_place_new", args=[event.pk]), {}).status_code,
            client.post(reverse("custody:mass_end", args=[event.pk])).status_code)
    # The prosecutors of the event's region and of the country; another region's prosecutor
    # does not see it (it is Almaty's) nor its reviews; a bad place form is a 422.
    assert outcomes.pop("gpo") == (200, 200, 422, 302)
    assert outcomes.pop("prosecutor_a") == (200, 200, 422, 302)
    assert outcomes.pop("prosecutor_b") == (404, 404, 404, 404)
    for name, (detail, review_page, place_post, end_post) in outcomes.items():
        assert detail in (403, 404) and review_page in (403, 404), name
        assert place_post in (403, 404) and end_post in (403, 404), name


def test_bulk_intake_refuses_a_list_too_long(monkeypatch, place, place_staff):
    monkeypatch.setattr(intake, "MAX_ROWS", 2)
    content = (HEADER + "".join(_csv_line(f"L-{n}", f"P {n}") for n in range(3))).encode()
    with pytest.raises(intake.IntakeError) as caught:
        intake.bulk_intake(acting_user=place_staff, origin=SYSTEM_ORIGIN,
                           facility=place.facility, content=content)
    assert [(e.line, e.field) for e in caught.value.errors] == [(4, "-")]
    assert not CustodyRecord.objects.filter(facility=place.facility).exists()


def test_the_worker_runs_the_queue_job(capsys):
    from django.core.management import call_command

    call_command("worker", "--list")
    names = {line.split("\t")[0] for line in capsys.readouterr().out.splitlines()}
    assert "mass_review_queues" in names


def test_the_database_keeps_one_mode_on_a_region(people, event):
    from django.db import IntegrityError, transaction

    from custodywatch.custody.models_mass import MassDetention

    with pytest.raises(IntegrityError), transaction.atomic():
        MassDetention.objects.create(name="Twice", region=event.region, reason="r",
                                     started_at=event.started_at, declared_at=timezone.now(),
                                     declared_by=people["gpo"])
    mass.mass_detention_end(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                            event=event)
    assert _declare(people["prosecutor_a"], event.region).pk != event.pk
