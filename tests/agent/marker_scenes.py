"""720p recorder clips of a room with printed AprilTag 36h11 markers on its walls.

Each marker is drawn by OpenCV (``cv2.aruco.generateImageMarker``) on a white sheet (ink
and paper at room-light levels), turned in 3D and projected in perspective onto the wall of
a rendered room (tests/agent/scenes.py), then the whole picture gets the lens's blur, the
lighting, per-frame sensor noise and x264 compression by the real ffmpeg (``veryfast``,
one key frame a second, as a recorder's main stream). The truth is exact: every placed
marker is in every frame. "Decoys" are sheets with a black border around random bits, the
shapes most likely to be misread as a tag.

Used by tests/agent/test_markers.py and bench/agent_e2e.py; numpy, OpenCV and ffmpeg only.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.agent.scenes import Person, ffmpeg_path, make_background

FOCAL = 1000.0  # px: the perspective of a wide lens a few metres from the wall
PAPER, INK = 205.0, 38.0  # a printed sheet's white and black under the room's light


@dataclass(frozen=True)
class Placement:
    marker: int  # the tag's id (or the seed of a decoy's random bits)
    x: float  # centre, as a fraction of the picture's width
    y: float  # and height
    size: float  # the tag's black square, px across in 1280x720, before turning
    yaw: float = 0.0  # degrees about the vertical axis (the camera looks from the side)
    pitch: float = 0.0  # degrees about the horizontal axis (a camera high on the wall)
    roll: float = 0.0  # degrees in the wall's plane (a sheet hung askew)
    decoy: bool = False  # random bits in a black border, not a tag


@dataclass(frozen=True)
class MarkerClipSpec:
    name: str
    seed: int
    placements: tuple[Placement, ...] = ()
    seconds: float = 5.0
    fps: int = 5
    width: int = 1280
    height: int = 720
    blur: float = 1.0  # the lens and sensor: Gaussian sigma in px
    noise: float = 3.0  # sensor noise, levels
    light: float = 1.0  # gain on the whole picture (0.5: a dim cell)
    people: int = 0
    crf: int = 26
    hide_from: float | None = None  # from this time on the sheets are gone (taken down)

    @property
    def markers(self) -> list[int]:
        return sorted({p.marker for p in self.placements if not p.decoy})


def sheet(placement: Placement, cell: int) -> np.ndarray:
    """The printed sheet: 8x8 cells of tag (its black border included) and a white margin
    of one cell, ``cell`` px each, float32 levels."""
    if placement.decoy:
        rng = np.random.default_rng(placement.marker)
        bits = np.zeros((8, 8), np.uint8)
        bits[1:7, 1:7] = rng.integers(0, 2, (6, 6)) * 255
        tag = cv2.resize(bits, (8 * cell, 8 * cell), interpolation=cv2.INTER_NEAREST)
    else:
        dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h11)
        tag = cv2.aruco.generateImageMarker(dictionary, placement.marker, 8 * cell, borderBits=1)
    tag = cv2.copyMakeBorder(tag, cell, cell, cell, cell, cv2.BORDER_CONSTANT, value=255)
    return INK + (PAPER - INK) * (tag.astype(np.float32) / 255.0)


def _corners(placement: Placement, width: int, height: int) -> np.ndarray:
    """The sheet's four corners in the picture: a square turned in 3D, seen in perspective."""
    half = placement.size * 10 / 8 / 2  # the sheet is 10 cells, the tag 8
    square = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]],
                      np.float64)
    yaw, pitch, roll = np.radians([placement.yaw, placement.pitch, placement.roll])
    rotation_y = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0],
                           [-np.sin(yaw), 0, np.cos(yaw)]])
    rotation_x = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)],
                           [0, np.sin(pitch), np.cos(pitch)]])
    rotation_z = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0],
                           [0, 0, 1]])
    turned = square @ (rotation_y @ rotation_x @ rotation_z).T
    depth = turned[:, 2] + FOCAL
    scale = width / 1280  # sizes are given for 1280x720
    xs = placement.x * width + scale * FOCAL * turned[:, 0] / depth
    ys = placement.y * height + scale * FOCAL * turned[:, 1] / depth
    return np.stack([xs, ys], axis=1).astype(np.float32)


def paste(wall: np.ndarray, placement: Placement) -> None:
    """Warp the sheet onto ``wall`` (float32, in place)."""
    height, width = wall.shape
    corners = _corners(placement, width, height)
    across = float(np.max(np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1)))
    cell = max(2, int(np.ceil(across / 10)))  # about the size it lands at: no aliasing
    paper = sheet(placement, cell)
    side = paper.shape[0]
    source = np.float32([[0, 0], [side, 0], [side, side], [0, side]])
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(paper, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones_like(paper), matrix, (width, height),
                               flags=cv2.INTER_LINEAR)
    wall *= 1 - mask
    wall += warped * mask


def render_frames(spec: MarkerClipSpec) -> Iterator[tuple[float, np.ndarray]]:
    rng = np.random.default_rng(spec.seed)
    bare = make_background(rng, spec.height, spec.width)
    wall = bare.copy()
    for placement in spec.placements:
        paste(wall, placement)
    walkers = [Person(rng, spec.height, spec.width, spec.seconds) for _ in range(spec.people)]
    for index in range(int(spec.seconds * spec.fps)):
        t = index / spec.fps
        hidden = spec.hide_from is not None and t >= spec.hide_from
        frame = (bare if hidden else wall).copy()
        for person in walkers:
            person.draw(frame, t)
        frame *= spec.light
        if spec.blur > 0:
            frame = cv2.GaussianBlur(frame, (0, 0), spec.blur)
        frame += rng.normal(0, spec.noise, frame.shape).astype(np.float32)
        yield t, np.clip(frame, 0, 255).astype(np.uint8)


def write_marker_clip(spec: MarkerClipSpec, directory: Path) -> Path:
    path = directory / f"{spec.name}.mp4"
    command = [ffmpeg_path() or "ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo",
               "-pix_fmt", "gray", "-s", f"{spec.width}x{spec.height}", "-r", str(spec.fps),
               "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(spec.crf),
               "-g", str(spec.fps), "-keyint_min", str(spec.fps), "-sc_threshold", "0",
               "-pix_fmt", "yuv420p", str(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE)  # noqa: S603 - fixed argv
    assert process.stdin is not None
    for _t, picture in render_frames(spec):
        process.stdin.write(picture.tobytes())
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError(f"ffmpeg failed for {spec.name}")
    return path


def marker_specs() -> list[MarkerClipSpec]:
    """The test set: 16 tags from 26 to 90 px across (an 18 cm tag from about 7 m to 2 m
    with a 90-degree lens), turned up to 55 degrees, in bright and dim rooms, sharp and
    soft; and two clips with no tag at all but decoys, bars, tiles and people."""
    return [
        MarkerClipSpec("frontal", seed=101, placements=(
            Placement(0, 0.15, 0.25, 90), Placement(17, 0.5, 0.2, 48),
            Placement(586, 0.85, 0.3, 32, roll=8))),
        MarkerClipSpec("angled", seed=102, blur=1.2, placements=(
            Placement(3, 0.2, 0.3, 64, yaw=50), Placement(44, 0.55, 0.25, 44, yaw=-45,
                                                          pitch=20),
            Placement(101, 0.85, 0.35, 40, pitch=40, roll=-20))),
        MarkerClipSpec("far", seed=103, blur=0.9, placements=(
            Placement(5, 0.2, 0.2, 26), Placement(250, 0.5, 0.35, 30, yaw=25),
            Placement(400, 0.8, 0.2, 34, roll=30))),
        MarkerClipSpec("dim_soft", seed=104, light=0.45, blur=1.6, noise=4.0, placements=(
            Placement(7, 0.25, 0.25, 56, yaw=30), Placement(123, 0.7, 0.3, 40, pitch=-25))),
        MarkerClipSpec("steep", seed=105, blur=1.1, placements=(
            Placement(9, 0.3, 0.3, 72, yaw=55, roll=15), Placement(333, 0.72, 0.25, 52,
                                                                   yaw=-55, pitch=25))),
        MarkerClipSpec("no_marker", seed=106, people=2, placements=(
            Placement(1, 0.2, 0.25, 48, decoy=True), Placement(2, 0.5, 0.2, 36, decoy=True,
                                                               yaw=30),
            Placement(3, 0.8, 0.3, 64, decoy=True))),
        MarkerClipSpec("no_marker_dim", seed=107, people=1, light=0.5, blur=1.4, noise=4.0),
    ]
