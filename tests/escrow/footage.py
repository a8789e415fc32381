"""Real rendered footage for the fingerprint tests: a room drawn with OpenCV (walls, furniture,
people walking), encoded to H.264 by ffmpeg. A frame is a function of the scene's seed and the
absolute second, so consecutive recorder segments of one camera join up exactly."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import numpy as np


def _frame(seed: int, t: float, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    rng = np.random.default_rng(seed)
    wall = rng.integers(60, 200, size=3)
    image = np.empty((height, width, 3), np.uint8)
    ramp = np.linspace(0.6, 1.1, width)[None, :, None]
    image[:] = np.clip(wall[None, None, :] * ramp, 0, 255).astype(np.uint8)
    for _ in range(4):  # furniture
        x, y = rng.uniform(0, 0.8) * width, rng.uniform(0.3, 0.8) * height
        w, h = rng.uniform(0.1, 0.3) * width, rng.uniform(0.1, 0.25) * height
        colour = tuple(int(c) for c in rng.integers(0, 255, size=3))
        cv2.rectangle(image, (int(x), int(y)), (int(x + w), int(y + h)), colour, -1)
    for person in range(3):  # people: incommensurate walks, never the same picture twice
        fx, fy = rng.uniform(0.006, 0.02, size=2) * (1 + person * math.sqrt(2))
        px, py = rng.uniform(0, 2 * math.pi, size=2)
        cx = width * (0.5 + 0.4 * math.sin(fx * 2 * math.pi * t + px))
        cy = height * (0.5 + 0.3 * math.sin(fy * 2 * math.pi * t + py))
        colour = tuple(int(c) for c in rng.integers(0, 255, size=3))
        cv2.ellipse(image, (int(cx), int(cy)), (width // 14, height // 4), 0, 0, 360, colour, -1)
        cv2.circle(image, (int(cx), int(cy - height // 4)), width // 30, (40, 40, 40), -1)
    return image


def render(path: Path, *, seed: int, start: float, seconds: float, fps: int = 8,
           size: tuple[int, int] = (640, 360), crf: int = 23, gop: int | None = None) -> Path:
    """Encode ``seconds`` of the scene from absolute second ``start`` as an H.264 MP4 (a key
    frame every ``gop`` frames where given, as a recorder sets it; else x264's default)."""
    width, height = size
    command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
               "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-c:v", "libx264",
               "-preset", "ultrafast", "-crf", str(crf), "-pix_fmt", "yuv420p",
               *(["-g", str(gop)] if gop else []), str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as process:  # noqa: S603
        assert process.stdin is not None  # noqa: S101
        for index in range(int(seconds * fps)):
            process.stdin.write(_frame(seed, start + index / fps, size).tobytes())
        process.stdin.close()
        if process.wait() != 0:
            raise RuntimeError(f"ffmpeg failed on {path}")
    return path


def transcode(source: Path, target: Path, *, width: int, bitrate: str, crop: float = 0.0,
              cut: tuple[float, float] | None = None, gop: int | None = None,
              trim: tuple[float, float] | None = None) -> Path:
    """Another copy of ``source``: another resolution and bitrate, a slight crop (share of
    each side), optionally the seconds ``cut`` removed or only the seconds ``trim`` kept, a
    key frame every ``gop`` frames of its 12 fps where given."""
    filters = []
    if crop:
        filters.append(f"crop=iw*{1 - 2 * crop:.3f}:ih*{1 - 2 * crop:.3f}")
    filters.append(f"scale={width}:-2")
    chain = ",".join(filters)
    if cut is not None:
        start, end = cut
        graph = (f"[0:v]trim=0:{start},setpts=PTS-STARTPTS[a];"
                 f"[0:v]trim=start={end},setpts=PTS-STARTPTS[b];"
                 f"[a][b]concat=n=2:v=1:a=0,{chain}[out]")
        video = ["-filter_complex", graph, "-map", "[out]"]
    elif trim is not None:
        start, end = trim
        video = ["-vf", f"trim={start}:{end},setpts=PTS-STARTPTS,{chain}"]
    else:
        video = ["-vf", chain]
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *video,  # noqa: S603, S607
                    "-c:v", "libx264", "-preset", "ultrafast", "-b:v", bitrate, "-r", "12",
                    "-pix_fmt", "yuv420p", *(["-g", str(gop)] if gop else []), str(target)],
                   check=True)
    return target
