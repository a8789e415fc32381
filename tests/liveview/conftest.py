"""A transparent interrogation room with a camera in each facility, an interrogation going on
in facility A, and an agent token for each facility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from django.utils import timezone

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role
from custodywatch.accounts.services import token_create
from custodywatch.custody import services as custody
from custodywatch.custody.models import Interrogation
from custodywatch.registry.models import Camera, Facility, Room
from tests.conftest import make_user


def jpeg(shade: int, size: tuple[int, int] = (64, 48)) -> bytes:
    image = np.full((size[1], size[0], 3), shade, np.uint8)
    cv2.putText(image, str(shade), (2, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255))
    return cv2.imencode(".jpg", image)[1].tobytes()


def transparent_room(facility: Facility, code: str = "T1") -> tuple[Room, Camera]:
    room = Room.objects.create(facility=facility, code=code, name=f"Transparent {code}",
                               kind=Room.Kind.TRANSPARENT_INTERROGATION, custody_use=True)
    camera = Camera.objects.create(facility=facility, code=f"CAM{code}")
    camera.rooms.add(room)
    return room, camera


def interrogation_in(room: Room, actor, *, started: dt.timedelta = dt.timedelta(minutes=10),
                     ended: dt.datetime | None = None, name: str = "Ержанов Нурлан"
                     ) -> Interrogation:
    now = timezone.now()
    record = custody.custody_record_create(
        acting_user=actor, origin=SYSTEM_ORIGIN, facility=room.facility,
        values={"full_name": name, "detained_at": now - dt.timedelta(hours=2),
                "detained_place": "Almaty", "detaining_officer": "Lt. Omarov",
                "grounds": "Art. 128 CPC"})
    return custody.interrogation_add(
        acting_user=actor, origin=SYSTEM_ORIGIN, record=record,
        values={"room": room, "started_at": now - started, "ended_at": ended,
                "investigator": "Cpt. Abenov", "lawyer_present": True})


@dataclass
class Live:
    room: Room
    camera: Camera
    interrogation: Interrogation
    other_room: Room
    other_camera: Camera
    room_b: Room
    camera_b: Camera
    token_a: str
    token_b: str


@pytest.fixture(autouse=True)
def frames_dir(settings, tmp_path):
    settings.LIVEVIEW_FRAMES_DIR = tmp_path / "live"
    return settings.LIVEVIEW_FRAMES_DIR


@pytest.fixture
def live(people, facility_a, facility_b) -> Live:
    room, camera = transparent_room(facility_a)
    other_room, other_camera = transparent_room(facility_a, "T2")
    room_b, camera_b = transparent_room(facility_b)
    agent_b = make_user("agent_b", Role.EDGE_AGENT, facility=facility_b)
    token_a, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=people["agent_a"])
    token_b, _ = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=agent_b)
    interrogation = interrogation_in(room, people["duty_a"])
    return Live(room, camera, interrogation, other_room, other_camera, room_b, camera_b,
                token_a, token_b)
