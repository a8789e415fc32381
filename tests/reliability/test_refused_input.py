"""Input that gave a 500 or was silently accepted (issue 18, items 5 and 6): each is now a
clear 4xx naming the line or index and the field, and nothing is written."""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.cases import services as cases
from custodywatch.cases.models import Charge
from custodywatch.custody.models import CustodyRecord
from custodywatch.registry.models import Camera
from custodywatch.visits import services as visits
from custodywatch.visits.models import TeamMember
from tests.conftest import make_user, sign_in
from tests.reliability.test_bad_input import domain_counts

pytestmark = pytest.mark.django_db

ERDR = "261575031000005"


def png_claiming(width: int, height: int) -> bytes:
    """A small, well-formed PNG header that claims width x height pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture
def case(people, facility_a):
    return cases.case_open(acting_user=people["prosecutor_a"], origin=SYSTEM_ORIGIN,
                           register_number=ERDR, title="Beating", ex_officio=True,
                           facility=facility_a, registered_at=timezone.now())


# --- charges: API and CSV ------------------------------------------------------------------

def charge(**values) -> dict:  # type: ignore[no-untyped-def]
    return {"register_number": ERDR, "accused": "Officer A", "victim": "Victim B",
            "article": "146", "verdict": "convicted",
            "verdict_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(), **values}


@pytest.mark.parametrize("months", [10**20, 2**63, 2**31, 10**10, 1201, -1])
def test_absurd_imprisonment_through_the_api_is_a_422_naming_the_field(client, case, bearer,
                                                                        months):
    response = client.post("/api/cases/charges/batch",
                           {"charges": [charge(imprisonment_months=months)]},
                           content_type="application/json", **bearer("prosecutor_a"))
    assert response.status_code == 422, response.content
    assert "imprisonment_months" in response.content.decode()
    assert not Charge.objects.exists()
    good = client.post("/api/cases/charges/batch", {"charges": [charge(imprisonment_months=36)]},
                       content_type="application/json", **bearer("prosecutor_a"))
    assert good.status_code == 200 and Charge.objects.get().imprisonment_months == 36


CSV_HEADER = "register_number,accused,accused_personnel_number,victim,victim_iin,article," \
             "verdict,verdict_on,imprisonment_months\n"


def csv_line(**values) -> str:  # type: ignore[no-untyped-def]
    row = {"register_number": ERDR, "accused": "Officer A", "accused_personnel_number": "P-1",
           "victim": "Victim B", "victim_iin": "900101300123", "article": "146",
           "verdict": "convicted", "verdict_on": "2025-05-05", "imprisonment_months": "36",
           **values}
    return ",".join(row.values()) + "\n"


CHARGES_CSV = [
    # (label, content, what the error names)
    ("Infinity months", csv_line(imprisonment_months="Infinity"), "line 2: imprisonment_months"),
    ("1e30 months", csv_line(imprisonment_months="1e30"), "line 2: imprisonment_months"),
    ("1e10 months", csv_line(imprisonment_months="1e10"), "line 2: imprisonment_months"),
    ("10^10 months", csv_line(imprisonment_months="10000000000"),
     "line 2: imprisonment_months"),
    ("field over csv's limit", csv_line(accused="Я" * 140_000), "Line 2"),
    ("NUL byte", csv_line(accused="Officer\x00A"), "Line 2: the file contains a NUL"),
    ("long personnel number", csv_line(accused_personnel_number="P" * 41),
     "line 2: accused_personnel_number"),
    ("long IIN", csv_line(victim_iin="9" * 13), "line 2: victim_iin"),
    ("name over 200", csv_line(victim="Я" * 201), "line 2: victim"),
    ("values past the header", csv_line().rstrip("\n") + ",extra,more\n", "line 2: -"),
    ("verdict in year 1", csv_line(verdict_on="0001-01-01"), "line 2: verdict_on"),
    ("verdict in 9999", csv_line(verdict_on="9999-12-31"), "line 2: verdict_on"),
    ("contradictory repeat", csv_line() + csv_line(imprisonment_months="48"),
     "line 3: -: the same charge as line 2"),
]


@pytest.mark.parametrize("label, lines, where", CHARGES_CSV, ids=[c[0] for c in CHARGES_CSV])
def test_charges_csv_refuses_naming_line_and_field(client, people, case, label, lines, where):
    sign_in(client, people["prosecutor_a"])
    before = domain_counts()
    response = client.post(reverse("cases:import"), {"file": SimpleUploadedFile(
        "charges.csv", (CSV_HEADER + lines).encode(), content_type="text/csv")})
    assert response.status_code == 422, label
    errors = response.context["form"].errors["file"]
    assert any(where in error for error in errors), (label, errors)
    assert domain_counts() == before, label


def test_an_exact_repeat_in_a_charges_csv_is_harmless(client, people, case):
    sign_in(client, people["prosecutor_a"])
    response = client.post(reverse("cases:import"), {"file": SimpleUploadedFile(
        "charges.csv", (CSV_HEADER + csv_line() + csv_line()).encode())})
    assert response.status_code == 200, response.context["form"].errors
    assert Charge.objects.get().imprisonment_months == 36


# --- images that claim 100000 x 100000 pixels -------------------------------------------------

def test_a_reference_view_claiming_ten_billion_pixels_is_refused(client, facility_a, bearer):
    response = client.post("/api/references/sync", {"cameras": [{
        "camera": "CAM1", "reference_png": base64.b64encode(png_claiming(100_000, 100_000))
        .decode(), "reference_status": "learned"}]}, content_type="application/json",
        **bearer("agent_a"))
    assert response.status_code == 422, response.content
    assert "cameras[0].reference_png" in response.content.decode()


def test_a_huge_applied_id_is_refused_naming_the_field(client, facility_a, bearer):
    response = client.post("/api/references/sync", {"applied": [2**63]},
                           content_type="application/json", **bearer("agent_a"))
    assert response.status_code == 422 and "applied" in response.content.decode()


@pytest.fixture
def visit(people, facility_a):
    people["monitor"] = make_user("monitor", Role.NPM_MONITOR)
    return visits.visit_plan(
        acting_user=people["monitor"], origin=SYSTEM_ORIGIN, facility=facility_a,
        kind="unannounced", starts_on=timezone.localdate(), ends_on=timezone.localdate(),
        team=[visits.TeamMemberInput(full_name="Ким", user=people["monitor"], is_leader=True,
                                     affiliation=TeamMember.Affiliation.NPM)])


def finding(**values) -> dict:  # type: ignore[no-untyped-def]
    return {"findings": [{"uuid": "6f1c2d9e-8f0b-4d8e-9a51-7b0c1c1e2f3a",
                          "category": "conditions", "text": "Damp walls", **values}]}


@pytest.mark.parametrize("values, field", [
    ({"photos": [{"data": base64.b64encode(png_claiming(100_000, 100_000)).decode()}]},
     "findings[0].photos"),
    ({"recorded_at": "2026-03-10T10:00:00"}, "recorded_at"),  # no time zone
    ({"recorded_at": "2999-03-10T10:00:00+05:00"}, "recorded_at"),
])
def test_visit_findings_refuse_huge_photos_and_unplaceable_times(client, people, visit, bearer,
                                                                 values, field):
    response = client.post(f"/api/visits/{visit.pk}/findings/sync", finding(**values),
                           content_type="application/json", **bearer("monitor"))
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not visit.findings.exists()


# --- camera PUT, registry CSV ------------------------------------------------------------

@pytest.mark.parametrize("body", [{}, {"room": ["R1"]}, {"name": "Cell", "rooms": ["R1"],
                                                         "is_activ": False}])
def test_a_camera_put_without_its_rooms_or_with_an_unknown_key_wipes_nothing(
        client, facility_a, bearer, body):
    camera = Camera.objects.get(facility=facility_a, code="CAM1")
    rooms = list(camera.rooms.values_list("code", flat=True))
    response = client.put("/api/registry/facilities/FA-1/cameras/CAM1", json.dumps(body),
                          content_type="application/json", **bearer("agent_a"))
    assert response.status_code == 422, response.content
    named = "rooms" if "rooms" not in body else "is_activ"
    assert named in response.content.decode() or "room" in response.content.decode()
    assert list(camera.rooms.values_list("code", flat=True)) == rooms == ["R1"]


REGISTRY_CSV = [
    ("repeated column", "recorders", "facility,code,model,code\nFA-1,NVR9,X,NVR8\n",
     "line 1: code: "),
    ("storage_days too large", "recorders",
     "facility,code,model,storage_days\nFA-1,NVR9,X,99999999999\n",
     "line 2: storage_days: "),
    ("storage_days past the column", "recorders",
     "facility,code,model,storage_days\nFA-1,NVR9,X,3000000000\n",
     "line 2: storage_days: "),
    ("appointment in year 1", "heads",
     "facility,full_name,position,started_on\nFA-1,Head,Chief,0001-01-01\n",
     "line 2: started_on: "),
]


@pytest.mark.parametrize("label, kind, content, where", REGISTRY_CSV,
                         ids=[c[0] for c in REGISTRY_CSV])
def test_registry_csv_names_line_and_field(client, people, facility_a, label, kind, content,
                                           where):
    sign_in(client, people["admin"])
    before = domain_counts()
    response = client.post(reverse("registry:import"), {
        "kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", content.encode())})
    errors = [str(error) for error in response.context["errors"]]
    assert any(where in error for error in errors), (label, errors)
    assert domain_counts() == before


# --- custody batches ---------------------------------------------------------------------

def record_item(ref: str, **values) -> dict:  # type: ignore[no-untyped-def]
    return {"facility": "FA-1", "external_ref": ref, "full_name": f"Person {ref}",
            "detained_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(timespec="seconds"),
            "detained_place": "street", "detaining_officer": "officer", "grounds": "art. 188",
            **values}


@pytest.mark.parametrize("items, field", [
    ([record_item("A", end_reason="released")], "items[0].end_reason"),
    ([record_item("A", end_note="Released by the court")], "items[0].end_note"),
    ([record_item("A"), record_item("B"), record_item("A", full_name="Someone else")],
     "items[2].external_ref"),
])
def test_custody_batches_refuse_what_they_silently_dropped(client, people, bearer, items,
                                                           field):
    response = client.post("/api/custody/records/batch", {"items": items},
                           content_type="application/json", **bearer("duty_a"))
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"], response.content
    assert not CustodyRecord.objects.exists()


# --- bodies over the limit ---------------------------------------------------------------

def test_a_body_over_ten_megabytes_gets_json_not_an_html_page(client, people, bearer):
    body = json.dumps({"items": [record_item("A", grounds="x" * 11 * 1024 * 1024)]})
    response = client.post("/api/custody/records/batch", body, content_type="application/json",
                           **bearer("duty_a"))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "body" in response.json()["detail"]


def test_complaint_in_year_one_through_the_api_names_the_field(client, people, facility_a,
                                                               bearer):
    people["eappeals"] = make_user("eappeals", Role.STATE_SYSTEM)
    response = client.post("/api/complaints/intake", {
        "text": "Officers beat me.", "facility": "FA-1",
        "incident_started_at": "0001-01-01T00:00:00+05:00"},
        content_type="application/json", **bearer("eappeals"))
    assert response.status_code == 422 and "incident_started_at" in response.content.decode()
