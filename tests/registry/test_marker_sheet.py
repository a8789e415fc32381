"""The marker sheet: markers OpenCV decodes as the room's id, check codes only the centre
computes, and a check page an NPM monitor uses from the room."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from custodywatch.accounts.models import Role
from custodywatch.registry.marker_sheet import check_code, marker_png
from custodywatch.registry.markers import assign_marker_ids
from custodywatch.registry.models import Room
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("marker_id", [0, 17, 586])
def test_the_printed_marker_decodes_as_its_id(marker_id):
    image = cv2.imdecode(np.frombuffer(marker_png(marker_id), np.uint8), cv2.IMREAD_GRAYSCALE)
    detector = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h11))
    _corners, ids, _rejected = detector.detectMarkers(image)
    assert ids is not None and ids.ravel().tolist() == [marker_id]


def test_check_codes_differ_by_room_and_marker(settings):
    codes = {check_code(facility_code="FA-1", room_code=room, marker_id=marker)
             for room in ("R1", "R2") for marker in (0, 1)}
    assert len(codes) == 4
    before = check_code(facility_code="FA-1", room_code="R1", marker_id=0)
    settings.SECRET_KEY = "another installation"
    assert check_code(facility_code="FA-1", room_code="R1", marker_id=0) != before


def test_the_sheet_is_a_pdf_for_people_in_scope_only(client, people, facility_a, signed_in):
    assign_marker_ids([facility_a.pk])
    response = signed_in(people["head_a"]).get("/registry/facilities/FA-1/markers.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # One page per custody room with a marker (three cells; the corridor has no custody use).
    assert len(re.findall(rb"/Type /Page\b(?!s)", response.content)) == 3
    assert signed_in(people["head_b"]).get(
        "/registry/facilities/FA-1/markers.pdf").status_code == 404


def test_a_monitor_checks_a_sheet_with_its_code(client, people, facility_a, signed_in):
    assign_marker_ids([facility_a.pk])
    room = Room.objects.get(facility=facility_a, code="R2")
    good = check_code(facility_code="FA-1", room_code="R2", marker_id=room.marker_id)
    monitor = signed_in(make_user("npm", Role.NPM_MONITOR))
    ok = monitor.get("/registry/markers/check/", {"facility": "FA-1", "room": "R2",
                                                  "code": good.replace("-", "").lower()})
    assert ok.status_code == 200 and "This is the marker" in ok.content.decode()
    other = check_code(facility_code="FA-1", room_code="R1", marker_id=room.marker_id)
    wrong = monitor.get("/registry/markers/check/", {"facility": "FA-1", "room": "R2",
                                                     "code": other})
    assert "does not belong" in wrong.content.decode()
    outside = signed_in(people["head_b"]).get("/registry/markers/check/", {
        "facility": "FA-1", "room": "R2", "code": good})
    assert "does not belong" in outside.content.decode()
