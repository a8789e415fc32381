"""The body diagram of an Istanbul Protocol examination: regions as shapes, front and back.

One table feeds the SVG drawn on the page, the keyboard fallback (a select of regions), the
PDF's picture and the region of a click. Coordinates are in a 100 x 220 box per view; a
finding's x/y are fractions (0..1) of that box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

WIDTH, HEIGHT = 100.0, 220.0


class Marked(Protocol):
    """A mark on the diagram: a case's forensic finding or a medical examination's injury."""

    @property
    def view(self) -> str: ...
    @property
    def x(self) -> float: ...
    @property
    def y(self) -> float: ...


@dataclass(frozen=True)
class Region:
    code: str
    label: str | Promise
    views: tuple[str, ...]
    box: tuple[float, float, float, float]  # x, y, width, height in the view's box
    round: float = 4.0


BOTH = ("front", "back")
REGIONS = [
    Region("head", _("Head"), BOTH, (36, 3, 28, 34), 14),
    Region("neck", _("Neck"), BOTH, (44, 37, 12, 8), 2),
    Region("chest", _("Chest"), ("front",), (30, 45, 40, 35)),
    Region("abdomen", _("Abdomen"), ("front",), (30, 80, 40, 30)),
    Region("genitals", _("Groin and genitals"), ("front",), (30, 110, 40, 20)),
    Region("upper_back", _("Upper back"), ("back",), (30, 45, 40, 35)),
    Region("lower_back", _("Lower back"), ("back",), (30, 80, 40, 30)),
    Region("buttocks", _("Buttocks"), ("back",), (30, 110, 40, 20)),
    Region("right_arm", _("Right arm"), BOTH, (14, 47, 14, 75), 6),
    Region("left_arm", _("Left arm"), BOTH, (72, 47, 14, 75), 6),
    Region("right_hand", _("Right hand and wrist"), BOTH, (12, 122, 16, 16), 6),
    Region("left_hand", _("Left hand and wrist"), BOTH, (72, 122, 16, 16), 6),
    Region("right_leg", _("Right leg"), BOTH, (31, 130, 18, 70), 6),
    Region("left_leg", _("Left leg"), BOTH, (51, 130, 18, 70), 6),
    Region("right_foot", _("Right foot and sole"), BOTH, (29, 200, 20, 12), 5),
    Region("left_foot", _("Left foot and sole"), BOTH, (51, 200, 20, 12), 5),
]
BY_CODE = {region.code: region for region in REGIONS}


def mirrored(region: Region, view: str) -> tuple[float, float, float, float]:
    """Seen from the back, the person's right is on the viewer's right."""
    x, y, w, h = region.box
    return (WIDTH - x - w, y, w, h) if view == "back" else (x, y, w, h)


def shapes(view: str) -> list[dict]:
    """The regions of one view, ready for the SVG template."""
    out = []
    for region in REGIONS:
        if view not in region.views:
            continue
        x, y, w, h = mirrored(region, view)
        out.append({"code": region.code, "label": region.label, "x": x, "y": y, "w": w,
                    "h": h, "r": region.round})
    return out


def region_choices() -> list[tuple[str, str | Promise]]:
    return [(region.code, region.label) for region in REGIONS]


def region_at(view: str, x: float, y: float) -> str:
    """The region under a point (fractions of the view's box); "" when none is."""
    px, py = x * WIDTH, y * HEIGHT
    for region in REGIONS:
        if view in region.views:
            rx, ry, rw, rh = mirrored(region, view)
            if rx <= px <= rx + rw and ry <= py <= ry + rh:
                return region.code
    return ""


def centre_of(code: str, view: str) -> tuple[float, float]:
    x, y, w, h = mirrored(BY_CODE[code], view)
    return (x + w / 2) / WIDTH, (y + h / 2) / HEIGHT
