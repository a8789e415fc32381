"""Colours and labels of camera states in the pictures (SVG fill values, legend)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from custodywatch.video.models import CameraState
from custodywatch.video.selectors import UNKNOWN

STATE_COLORS: dict[str, str] = {
    CameraState.OK: "#1e7b3a",
    "recorded": "#1e7b3a",
    CameraState.BLACK: "#1d2b3a",
    CameraState.FROZEN: "#3d7fc4",
    CameraState.COVERED: "#7a4fb3",
    CameraState.BLURRED: "#c77d12",
    CameraState.MOVED: "#d4a017",
    CameraState.NO_SIGNAL: "#b3261e",
    UNKNOWN: "#c9ced6",
}


def state_label(state: str) -> str | Promise:
    if state == UNKNOWN:
        return CameraState.UNKNOWN.label  # no report, or the view is still being learned
    if state == "recorded":
        return _("Recorded")
    return CameraState(state).label


def legend() -> list[tuple[str, str | Promise]]:
    return [(color, state_label(state)) for state, color in STATE_COLORS.items()
            if state != "recorded"]
