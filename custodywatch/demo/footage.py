"""Footage for the demo's real edge agent: H.264 clips of a custody room, one per camera.

A clip is a textured wall with hard-edged furniture, a person-like blob that walks and
stops, slow changes of light and per-frame sensor noise, encoded with PyAV's own libx264
(one key frame a second, as a recorder's sub-stream), so no ffmpeg program is needed. A
camera may be given a fault for the whole clip (its lens covered, or black), so the camera
wall shows what the agent finds, not what the demo says. The room's printed marker (its
AprilTag 36h11 ``marker_id``, CONTRACTS.md "Markers") hangs high on the wall, above the
person's head, where the agent decodes it; a covered or black lens shows none.
Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 320, 180, 5
FAULTS = ("", "covered", "black")


@dataclass(frozen=True)
class ClipPlan:
    camera: str
    seed: int
    fault: str = ""  # "" (a working camera), "covered" or "black"
    markers: tuple[int, ...] = ()  # the marker ids of the rooms it sees (at most three)


MARKER_CELL = 5  # px per cell of the tag: 8 cells and a white margin make a 50 px sheet
MARKER_PAPER, MARKER_INK = 200.0, 35.0


def _hang_markers(room: np.ndarray, plan: ClipPlan) -> None:
    """Each marker's printed sheet on the wall, in a row from a place the seed picks,
    above the person's head (who walks at y 49..150)."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h11)
    side = 10 * MARKER_CELL
    x = 12 + (plan.seed * 53) % (WIDTH - 3 * (side + 8) - 12)
    for marker in plan.markers[:3]:
        tag = cv2.aruco.generateImageMarker(dictionary, marker, 8 * MARKER_CELL, borderBits=1)
        tag = cv2.copyMakeBorder(tag, MARKER_CELL, MARKER_CELL, MARKER_CELL, MARKER_CELL,
                                 cv2.BORDER_CONSTANT, value=255)
        sheet = MARKER_INK + (MARKER_PAPER - MARKER_INK) * (tag.astype(np.float32) / 255.0)
        room[6:6 + side, x:x + side] = sheet
        x += side + 8


def _room(rng: np.random.Generator) -> np.ndarray:
    """The room as the camera sees it, float32 grey levels."""
    wall = np.full((HEIGHT, WIDTH), 120.0, np.float32)
    for scale, weight in ((4, 8.0), (16, 12.0), (48, 10.0)):
        small = rng.normal(0, 1, (HEIGHT // scale, WIDTH // scale)).astype(np.float32)
        wall += weight * cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    for _ in range(5):  # bunk, door, table, window, a pipe: hard edges the camera keeps
        x, y = int(rng.integers(0, WIDTH - 60)), int(rng.integers(20, HEIGHT - 40))
        w, h = int(rng.integers(30, 90)), int(rng.integers(15, 60))
        wall[y:y + h, x:x + w] = float(rng.integers(30, 220))
    return wall


def _frame(room: np.ndarray, plan: ClipPlan, t: float, seconds: float,
           rng: np.random.Generator) -> np.ndarray:
    if plan.fault == "black":
        picture = np.full_like(room, 6.0)
    elif plan.fault == "covered":
        picture = np.full_like(room, 70.0) + cv2.GaussianBlur(room, (0, 0), 25) * 0.05
    else:
        picture = room * (0.85 + 0.15 * np.cos(2 * np.pi * t / seconds))  # slow light
        # A person walks across the room and back, pausing in the middle.
        phase = (t % 40.0) / 40.0
        x = int(40 + (WIDTH - 80) * (min(phase, 0.4) / 0.4 if phase < 0.5
                                     else 1 - min(phase - 0.5, 0.4) / 0.4))
        cv2.ellipse(picture, (x, 110), (12, 40), 0, 0, 360, 60.0, -1)
        cv2.circle(picture, (x, 60), 11, 170.0, -1)
    noisy = picture + rng.normal(0, 2.5, picture.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def write_clip(plan: ClipPlan, path: Path, seconds: float = 300.0) -> Path:
    """Write one clip (atomically: a half-written file is never read as footage)."""
    rng = np.random.default_rng(plan.seed)
    room = _room(rng)
    _hang_markers(room, plan)
    partial = path.with_suffix(".partial.mp4")
    with av.open(str(partial), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "veryfast", "g": str(FPS), "keyint_min": str(FPS),
                          "sc_threshold": "0"}
        for n in range(int(seconds * FPS)):
            gray = _frame(room, plan, n / FPS, seconds, rng)
            frame = av.VideoFrame.from_ndarray(gray, format="gray")
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    partial.replace(path)
    return path


def write_footage(plans: list[ClipPlan], directory: Path, seconds: float = 300.0) -> list[Path]:
    """The clips of ``plans`` in ``directory``; an existing clip is reused (deterministic)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for plan in plans:
        markers = "".join(f"-m{marker}" for marker in plan.markers)
        path = directory / f"{plan.camera}-{plan.fault or 'ok'}-{plan.seed}{markers}.mp4"
        paths.append(path if path.exists() else write_clip(plan, path, seconds))
    return paths
