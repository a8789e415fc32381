"""The marker sheet of a facility: one A4 page per custody room, to print and fix on its wall.

Each page carries the room's name and code, its AprilTag 36h11 marker (drawn by
``cv2.aruco``, with the white quiet zone a detector needs), and a check code: a keyed hash of
(facility, room, marker) that only the centre can compute. An NPM monitor visiting the room
scans the page's QR code (or types the code) with a phone and the centre says whether this
marker is the one the registry gave this room, so a sheet printed for another room, or
made up, shows at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io

import cv2
import numpy as np
import segno
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from custodywatch.core.pdf import FAMILY, new_pdf
from custodywatch.registry.models import Facility, Room

MARKER_PIXELS = 800  # 36h11 is 10 x 10 cells with its border: 80 px a cell
QUIET_CELLS = 1  # white cells around the black border
MARKER_MM = 150


def check_code(*, facility_code: str, room_code: str, marker_id: int) -> str:
    """Eight characters (``ABCD-EFGH``) only the centre can compute for this room's marker."""
    message = f"room-marker:{facility_code}:{room_code}:{marker_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    text = base64.b32encode(digest)[:8].decode()
    return f"{text[:4]}-{text[4:]}"


def check_matches(*, room: Room, code: str) -> bool:
    if room.marker_id is None:
        return False
    wanted = check_code(facility_code=room.facility.code, room_code=room.code,
                        marker_id=room.marker_id)
    given = code.strip().upper().replace(" ", "")
    if len(given) == 8:
        given = f"{given[:4]}-{given[4:]}"
    return hmac.compare_digest(wanted, given)


def marker_png(marker_id: int) -> bytes:
    """The AprilTag 36h11 marker ``marker_id`` as a PNG with a white quiet zone."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h11)
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, MARKER_PIXELS)
    cell = MARKER_PIXELS // 10
    image = cv2.copyMakeBorder(image, QUIET_CELLS * cell, QUIET_CELLS * cell,
                               QUIET_CELLS * cell, QUIET_CELLS * cell, cv2.BORDER_CONSTANT,
                               value=255)
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(image))
    if not ok:  # pragma: no cover - OpenCV encodes a grey image or raises
        raise RuntimeError("PNG encoding failed")
    return encoded.tobytes()


def marker_sheet_pdf(*, facility: Facility, rooms: list[Room], check_url: str) -> bytes:
    """The sheet; ``check_url`` is the absolute address of the check page (without query)."""
    pdf = new_pdf()
    pdf.footer_text = _("Room markers of %(code)s, printed %(date)s") % {
        "code": facility.code, "date": timezone.localdate().isoformat()}
    pdf.alias_nb_pages()
    for room in rooms:
        if room.marker_id is None:
            continue
        code = check_code(facility_code=facility.code, room_code=room.code,
                          marker_id=room.marker_id)
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 18)
        pdf.multi_cell(0, 9, f"{room.local_name} ({room.code})", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 11)
        pdf.multi_cell(0, 6, f"{facility.code} {facility.local_name}", new_x="LMARGIN",
                       new_y="NEXT")
        x = (pdf.w - MARKER_MM) / 2
        pdf.image(io.BytesIO(marker_png(room.marker_id)), x=x, y=pdf.get_y() + 6,
                  w=MARKER_MM, h=MARKER_MM)
        pdf.set_y(pdf.get_y() + MARKER_MM + 12)
        pdf.set_font(FAMILY, "B", 14)
        pdf.cell(0, 8, _("Marker %(id)s · check code %(code)s") % {
            "id": room.marker_id, "code": code}, new_x="LMARGIN", new_y="NEXT", align="C")
        qr = segno.make(f"{check_url}?facility={facility.code}&room={room.code}&code={code}",
                        error="m")
        buffer = io.BytesIO()
        qr.save(buffer, kind="png", scale=6, border=2)
        pdf.image(io.BytesIO(buffer.getvalue()), x=pdf.l_margin, y=pdf.get_y() + 2, w=30, h=30)
        pdf.set_xy(pdf.l_margin + 34, pdf.get_y() + 4)
        pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(0, 5, _("Fix this sheet flat where the room's cameras see it, away from "
                               "glare. Do not move it to another room. An NPM monitor checks it "
                               "by scanning the square code: CustodyWatch says whether this "
                               "marker belongs to this room."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
