from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import AuditEvent
from custodywatch.registry import services
from custodywatch.registry.csv_import import RegistryImportError
from custodywatch.registry.models import Camera, Facility, HeadAppointment, Room

pytestmark = pytest.mark.django_db

FACILITIES = (
    "code,name,kind,region,agency,address\n"
    "NEW-1,ИВС №1,temporary_detention,KZ-75,MVD,ул. Абая 1\n"
    "NEW-2,СИЗО №2,pretrial_detention,KZ-35,KUIS,\n"
)


def run(people, kind, text, user="admin"):
    return services.registry_import(acting_user=people[user], origin=SYSTEM_ORIGIN, kind=kind,
                                    content=text.encode(), file_name=f"{kind}.csv")


def snapshot():
    return (Facility.objects.count(), Room.objects.count(), Camera.objects.count(),
            list(Facility.objects.order_by("code").values_list("code", "name", "kind")))


def test_import_creates_then_is_idempotent(people):
    result = run(people, "facilities", FACILITIES)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert Facility.objects.get(code="NEW-2").region.code == "KZ-35"
    again = run(people, "facilities", FACILITIES)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = run(people, "facilities", FACILITIES.replace("ИВС №1", "ИВС №1 (новое здание)"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).count() == 3


def test_one_bad_line_names_line_and_field_and_changes_nothing(people):
    before = snapshot()
    bad = FACILITIES + "NEW-3,Отдел полиции,not_a_kind,KZ-75,MVD,\n"
    with pytest.raises(RegistryImportError) as error:
        run(people, "facilities", bad)
    assert [(e.line, e.field) for e in error.value.errors] == [(4, "kind")]
    assert "line 4: kind: " in str(error.value)
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


def test_reference_errors_are_found_after_parsing_and_change_nothing(people):
    before = snapshot()
    bad = FACILITIES + "NEW-3,Отдел,police_station,KZ-99,NOPE,\n"
    with pytest.raises(RegistryImportError) as error:
        run(people, "facilities", bad)
    assert {(e.line, e.field) for e in error.value.errors} == {(4, "region"), (4, "agency")}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("code,name\nA,B\n", 1, "kind"),
        ("code,name,kind,region,agency,colour\n", 1, "colour"),
        ("code,name,kind,region,agency\nlower case,N,police_station,KZ-75,MVD\n", 2, "code"),
        ("code,name,kind,region,agency\nA1,,police_station,KZ-75,MVD\n", 2, "name"),
        ("code,name,kind,region,agency\nA1,N,police_station,KZ-75,MVD,extra\n", 2, "-"),
        ("code,name,kind,region,agency\nA1,N,police_station,KZ-75,MVD\n"
         "A1,N,police_station,KZ-75,MVD\n", 3, "code"),
    ],
)
def test_malformed_files_are_refused(people, text, line, field):
    with pytest.raises(RegistryImportError) as error:
        run(people, "facilities", text)
    assert (error.value.errors[0].line, error.value.errors[0].field) == (line, field)
    assert not Facility.objects.filter(code="A1").exists()


def test_non_utf8_file_is_refused(people):
    with pytest.raises(RegistryImportError) as error:
        services.registry_import(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                 kind="facilities",
                                 content="code,name\nА,Б\n".encode("cp1251"))
    assert error.value.errors[0].line == 2
    assert "UTF-8" in error.value.errors[0].message


def test_rooms_cameras_and_heads(people, facility_a):
    run(people, "rooms", "facility,code,name,kind,custody_use\n"
                         "FA-1,R9,Допросная,transparent_interrogation,yes\n")
    assert Room.objects.get(facility=facility_a, code="R9").custody_use is True
    run(people, "cameras", "facility,code,name,recorder,rooms\nFA-1,CAM9,Камера,NVR1,R9;R1\n")
    camera = Camera.objects.get(facility=facility_a, code="CAM9")
    assert sorted(camera.rooms.values_list("code", flat=True)) == ["R1", "R9"]
    assert camera.recorder.code == "NVR1"
    again = run(people, "cameras", "facility,code,name,recorder,rooms\nFA-1,CAM9,Камера,NVR1,R9\n")
    assert again.updated == 1
    assert list(camera.rooms.values_list("code", flat=True)) == ["R9"]
    run(people, "heads", "facility,full_name,position,rank,started_on,ended_on\n"
                         "FA-1,Ахметов Ерлан,Начальник,полковник,2021-03-01,2024-02-01\n")
    assert HeadAppointment.objects.get(facility=facility_a).ended_on.year == 2024


def test_camera_cannot_cover_another_facilitys_room(people, facility_a, facility_b):
    with pytest.raises(RegistryImportError) as error:
        run(people, "cameras", "facility,code,rooms\nFA-1,CAM9,R1;X1\nFB-1,CAM9,NOPE\n")
    assert [(e.line, e.field) for e in error.value.errors] == [(3, "rooms")]
    assert not Camera.objects.filter(code="CAM9").exists()


def test_head_period_must_end_after_it_starts(people, facility_a):
    with pytest.raises(RegistryImportError) as error:
        run(people, "heads", "facility,full_name,position,started_on,ended_on\n"
                             "FA-1,Ахметов,Начальник,2024-01-01,2023-01-01\n")
    assert (error.value.errors[0].line, error.value.errors[0].field) == (2, "ended_on")


def test_only_administrators_import(people):
    with pytest.raises(PermissionDenied):
        run(people, "facilities", FACILITIES, user="gpo")
    assert not Facility.objects.filter(code="NEW-1").exists()


def test_overlapping_heads_of_one_unit_are_refused(people, facility_a):
    run(people, "heads", "facility,full_name,position,started_on,ended_on\n"
                         "FA-1,Ахметов,Начальник,2020-01-01,2022-01-01\n")
    with pytest.raises(RegistryImportError) as error:
        run(people, "heads", "facility,full_name,position,started_on,ended_on\n"
                             "FA-1,Омаров,Начальник,2021-06-01,\n")
    assert [(e.line, e.field) for e in error.value.errors] == [(2, "started_on")]
    assert HeadAppointment.objects.filter(facility=facility_a).count() == 1
    run(people, "heads", "facility,full_name,position,started_on,ended_on\n"
                         "FA-1,Омаров,Начальник,2022-01-01,\n")
    assert HeadAppointment.objects.filter(facility=facility_a).count() == 2
