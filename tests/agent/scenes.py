"""Real-looking synthetic custody-room clips with faults injected at known times.

A scene is a textured wall (plaster noise and tile joints), furniture-like blocks with hard
edges (a bunk, a door, a table, a window), a person-like blob that walks, stops and walks on,
slow and sudden lighting changes and per-frame sensor noise. Clips are encoded to H.264 by
the real ffmpeg (one key frame a second, as a recorder's sub-stream), so the classifier sees
what it sees in the field: compression, noise, motion.

Used by the agent tests and by ``bench/frames_accuracy.py``; numpy and OpenCV only.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

FAULTS = ("black", "frozen", "covered", "blurred", "moved")


@dataclass(frozen=True)
class Fault:
    state: str
    start: float
    end: float


@dataclass(frozen=True)
class ClipSpec:
    name: str
    seed: int
    seconds: float = 30.0
    fps: int = 10
    width: int = 320
    height: int = 180
    faults: tuple[Fault, ...] = ()
    # Lights dimmed to this gain at lights_at seconds (1.0: no step).
    lights_gain: float = 0.6
    lights_at: float = 14.0
    # Seconds without any frame (the recorder lost the camera): written as a gap in time.
    gap: tuple[float, float] | None = None
    people: int = 1
    # People walk only until this time, then stand still (None: over the whole clip). The
    # same random draws either way, so a clip without it is unchanged.
    walk_until: float | None = None
    extra: dict = field(default_factory=dict)


def _plaster(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Wall texture: noise at several scales, as paint on rough plaster."""
    wall = np.zeros((height, width), np.float32)
    for scale, weight in ((4, 10.0), (16, 14.0), (48, 10.0)):
        small = rng.normal(0, 1, (max(2, height // scale), max(2, width // scale)))
        wall += weight * cv2.resize(small.astype(np.float32), (width, height),
                                    interpolation=cv2.INTER_CUBIC)
    return wall


def make_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    base = float(rng.uniform(105, 145))
    room = base + _plaster(rng, height, width)
    # Vertical gradient: a ceiling lamp lights the top of the wall more.
    room += np.linspace(18, -18, height, dtype=np.float32)[:, None]
    floor_y = int(height * rng.uniform(0.62, 0.72))
    room[floor_y:] = room[floor_y:] * 0.65 + 10
    # Tile joints on the lower wall.
    tile = max(6, width // 22)
    joints = np.zeros((height, width), bool)
    joints[floor_y - 3 * tile: floor_y, ::tile] = True
    joints[floor_y - 3 * tile: floor_y: tile, :] = True
    room[joints] -= 25
    # Furniture: a bunk, a door, a table and a barred window, each with hard edges.
    def block(x0: float, y0: float, x1: float, y1: float, value: float) -> None:
        ys, xs = slice(int(y0 * height), int(y1 * height)), slice(int(x0 * width), int(x1 * width))
        room[ys, xs] = value + 0.3 * (room[ys, xs] - base)

    block(rng.uniform(0.02, 0.1), 0.52, rng.uniform(0.38, 0.45), 0.78, rng.uniform(50, 70))
    block(0.06, 0.47, 0.40, 0.52, rng.uniform(170, 190))  # the bunk's mattress edge
    door_x = rng.uniform(0.62, 0.72)
    block(door_x, 0.15, door_x + 0.16, 0.66, rng.uniform(70, 90))
    block(door_x + 0.13, 0.40, door_x + 0.145, 0.46, 200)  # the door handle
    window_x = rng.uniform(0.2, 0.4)
    block(window_x, 0.08, window_x + 0.14, 0.30, rng.uniform(200, 225))
    window_xs = slice(int(window_x * width), int((window_x + 0.14) * width))
    bars = room[int(0.08 * height): int(0.30 * height), window_xs]
    bars[:, ::5] = 60
    block(0.46, 0.70, 0.60, 0.90, rng.uniform(85, 105))  # a table
    return cv2.GaussianBlur(room, (0, 0), 0.6)


class Person:
    """A person-like blob (head, shoulders, body) that walks across the room and stops."""

    def __init__(self, rng: np.random.Generator, height: int, width: int, seconds: float) -> None:
        self.height, self.width = height, width
        self.points = rng.uniform([0.05, 0.55], [0.95, 0.75], (6, 2))
        self.times = np.sort(rng.uniform(0, seconds, 6))
        self.times[0] = 0.0
        self.shade = float(rng.uniform(35, 70))
        self.texture = rng.normal(0, 10, (height, width)).astype(np.float32)

    def where(self, t: float) -> tuple[float, float]:
        x = np.interp(t, self.times, self.points[:, 0])
        y = np.interp(t, self.times, self.points[:, 1])
        return float(x * self.width), float(y * self.height)

    def draw(self, frame: np.ndarray, t: float) -> None:
        cx, cy = self.where(t)
        h = self.height
        mask = np.zeros_like(frame, np.uint8)
        cv2.ellipse(mask, (int(cx), int(cy - 0.36 * h)), (int(0.035 * h), int(0.05 * h)), 0, 0,
                    360, 1, -1)
        cv2.ellipse(mask, (int(cx), int(cy - 0.12 * h)), (int(0.07 * h), int(0.2 * h)), 0, 0,
                    360, 1, -1)
        cv2.rectangle(mask, (int(cx - 0.05 * h), int(cy)), (int(cx + 0.05 * h), int(cy + 0.2 * h)),
                      1, -1)
        soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.2)
        frame *= 1 - soft
        frame += soft * (self.shade + self.texture)


def _lighting(spec: ClipSpec, t: float) -> float:
    """Slow drift (clouds, lamp warm-up) and one step (lights dimmed) fading over 1 s."""
    drift = 1.0 + 0.08 * np.sin(2 * np.pi * t / max(spec.seconds, 1.0))
    step = 1.0 + (spec.lights_gain - 1.0) * float(np.clip(t - spec.lights_at, 0.0, 1.0))
    return float(drift * step)


def _fault_at(spec: ClipSpec, t: float) -> Fault | None:
    for fault in spec.faults:
        if fault.start <= t < fault.end:
            return fault
    return None


def _moved_view(spec: ClipSpec) -> np.ndarray:
    """The camera knocked aside: turned and tilted a little."""
    angle = 6.0 + 4.0 * (spec.seed % 3)
    shift_x = spec.width * (0.12 + 0.04 * (spec.seed % 4)) * (1 if spec.seed % 2 else -1)
    matrix = cv2.getRotationMatrix2D((spec.width / 2, spec.height / 2), angle, 1.08)
    matrix[0, 2] += shift_x
    matrix[1, 2] += spec.height * 0.06
    return matrix


def render_frames(spec: ClipSpec) -> Iterator[tuple[float, np.ndarray]]:
    """(time, 8-bit gray frame) for every frame the camera sends (none inside the gap)."""
    rng = np.random.default_rng(spec.seed)
    background = make_background(rng, spec.height, spec.width)
    walk_seconds = spec.seconds if spec.walk_until is None else spec.walk_until
    walkers = [Person(rng, spec.height, spec.width, walk_seconds) for _ in range(spec.people)]
    moved = _moved_view(spec)
    frozen: np.ndarray | None = None
    for index in range(int(spec.seconds * spec.fps)):
        t = index / spec.fps
        if spec.gap is not None and spec.gap[0] <= t < spec.gap[1]:
            continue
        fault = _fault_at(spec, t)
        if fault is not None and fault.state == "frozen" and frozen is not None:
            yield t, frozen
            continue
        frame = background.copy()
        for person in walkers:
            person.draw(frame, t)
        frame *= _lighting(spec, t)
        if fault is not None and fault.state == "moved":
            frame = cv2.warpAffine(frame, moved, (spec.width, spec.height),
                                   borderMode=cv2.BORDER_REFLECT)
        if fault is not None and fault.state == "blurred":
            frame = cv2.GaussianBlur(frame, (0, 0), spec.width / 70)
        if fault is not None and fault.state == "covered":
            # A palm or tape on the lens: a dim, featureless glow through skin or cloth.
            frame = 55 + 0.08 * cv2.GaussianBlur(frame, (0, 0), spec.width / 8)
        if fault is not None and fault.state == "black":
            frame = np.full_like(frame, 2.0)
        noise_sigma = 3.0 if fault is None or fault.state != "black" else 0.7
        frame += rng.normal(0, noise_sigma, frame.shape).astype(np.float32)
        picture = np.clip(frame, 0, 255).astype(np.uint8)
        if fault is None or fault.state != "frozen":
            frozen = picture
        yield t, picture


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


def write_clip(spec: ClipSpec, directory: Path, preset: str = "ultrafast",
               key_seconds: float = 1.0) -> Path:
    """Encode the clip with ffmpeg/libx264, one key frame a second (or every ``key_seconds``);
    a gap stays a gap in time. ``ultrafast`` has neither B-frames nor the deblocking filter;
    ``veryfast`` has both, as most recorders' main streams."""
    path = directory / f"{spec.name}.mp4"
    key_interval = round(spec.fps * key_seconds)
    command = [
        ffmpeg_path() or "ffmpeg", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{spec.width}x{spec.height}",
        "-r", str(spec.fps), "-i", "-",
    ]
    if spec.gap is not None:
        # Frames carry their real times: the gap has no frames at all.
        start, end = spec.gap
        shift = end - start
        command += ["-vf", f"setpts='if(gte(T,{start}),PTS+{shift}/TB,PTS)'", "-fps_mode", "vfr"]
    command += [
        "-c:v", "libx264", "-preset", preset, "-crf", "26", "-g", str(key_interval),
        "-keyint_min", str(key_interval), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(path),
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE)  # noqa: S603 - fixed argv
    assert process.stdin is not None
    for _t, picture in render_frames(spec):
        process.stdin.write(picture.tobytes())
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError(f"ffmpeg failed for {spec.name}")
    return path


def standard_specs(seconds: float = 30.0, fps: int = 5) -> list[ClipSpec]:
    """The test set: two clean clips (people walking, lights dimmed) and one clip per fault."""
    specs = [
        ClipSpec("clean_a", seed=11, seconds=seconds, fps=fps, people=1),
        ClipSpec("clean_b", seed=12, seconds=seconds, fps=fps, people=2, lights_gain=1.5,
                 lights_at=9.0),
    ]
    for offset, state in enumerate(FAULTS):
        specs.append(ClipSpec(f"fault_{state}", seed=20 + offset, seconds=seconds, fps=fps,
                              faults=(Fault(state, 12.0, 21.0),)))
    specs.append(ClipSpec("gap", seed=30, seconds=seconds, fps=fps, gap=(12.0, 20.0)))
    return specs
