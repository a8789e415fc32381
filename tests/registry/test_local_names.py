"""Facility and room names in the reader's language (issue 25, item 13): the registered name
(usually Russian) with its Kazakh and English forms where known, on pages and in files."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.registry import services
from custodywatch.registry.models import Facility, Room

pytestmark = pytest.mark.django_db

FACILITIES = (
    "code,name,name_kk,name_en,kind,region,agency\n"
    "NEW-1,ИВС №1,№1 уақытша ұстау изоляторы,Temporary detention isolator No. 1,"
    "temporary_detention,KZ-75,MVD\n"
)


def import_csv(people, kind: str, text: str):
    return services.registry_import(acting_user=people["admin"], origin=SYSTEM_ORIGIN,
                                    kind=kind, content=text.encode(), file_name=f"{kind}.csv")


def test_local_name_follows_the_language_and_falls_back_to_the_registered_name(facility_a):
    facility_a.name_kk, facility_a.name_en = "Бірінші бөлім", ""
    for language, expected in (("kk", "Бірінші бөлім"), ("ru", facility_a.name),
                               ("en", facility_a.name)):
        with translation.override(language):
            assert facility_a.local_name == expected
            assert str(facility_a) == f"{facility_a.code} {expected}"


def test_the_pages_show_the_name_in_the_reader_language(signed_in, people, facility_a):
    Facility.objects.filter(pk=facility_a.pk).update(
        name="Отдел полиции №1", name_kk="№1 полиция бөлімі", name_en="Police department No. 1")
    room = facility_a.rooms.order_by("code").first()
    Room.objects.filter(pk=room.pk).update(name="Камера 1", name_kk="Камера 1 (kk)",
                                           name_en="Cell 1")
    client = signed_in(people["gpo"])
    url = reverse("registry:facility_detail", args=[facility_a.code])
    seen = {}
    for language in ("kk", "ru", "en"):
        client.cookies["django_language"] = language
        seen[language] = client.get(url).content.decode()
    assert "№1 полиция бөлімі" in seen["kk"] and "Отдел полиции №1" not in seen["kk"]
    assert "Камера 1 (kk)" in seen["kk"]
    assert "Police department No. 1" in seen["en"] and "Отдел полиции №1" not in seen["en"]
    assert "Cell 1" in seen["en"]
    assert "Отдел полиции №1" in seen["ru"] and "Police department No. 1" not in seen["ru"]


def test_csv_names_in_three_languages_and_a_file_without_them_keeps_them(people):
    import_csv(people, "facilities", FACILITIES)
    facility = Facility.objects.get(code="NEW-1")
    assert (facility.name_kk, facility.name_en) == (
        "№1 уақытша ұстау изоляторы", "Temporary detention isolator No. 1")
    # The older format, without the two columns: the names already registered stay.
    result = import_csv(people, "facilities",
                        "code,name,kind,region,agency\n"
                        "NEW-1,ИВС №1,temporary_detention,KZ-75,MVD\n")
    assert result.unchanged == 1
    facility.refresh_from_db()
    assert facility.name_en == "Temporary detention isolator No. 1"
    import_csv(people, "rooms", "facility,code,name,name_en,kind,custody_use\n"
                                "NEW-1,C1,Камера 1,Cell 1,cell,yes\n")
    assert Room.objects.get(facility=facility, code="C1").name_en == "Cell 1"


def test_the_api_lists_the_three_names(signed_in, people, facility_a):
    Facility.objects.filter(pk=facility_a.pk).update(name_kk="Бөлім", name_en="Department")
    answer = signed_in(people["gpo"]).get(f"/api/registry/facilities/{facility_a.code}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["name_kk"], body["name_en"]) == ("Бөлім", "Department")


def test_the_demo_registry_carries_kk_and_en_names(people):
    import random

    from custodywatch.demo.generator import SCALES, build_registry

    facilities = build_registry(SCALES["small"], random.Random(1), lambda _n: None)
    assert all(f.name_kk and f.name_en for f in facilities)
    rooms = Room.objects.filter(facility__in=facilities)
    assert rooms.exists() and not rooms.filter(name_kk="").exists()
    assert not rooms.filter(name_en="").exists()
