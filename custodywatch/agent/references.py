"""Per-camera reference views on the agent's disk: learned, then approved by a person.

``<state_dir>/references/<camera>/reference.png`` (320x180 gray) and ``reference.json``
(status ``learned`` or ``approved``, who approved it and when, and the camera's baseline
measures when they were learned from its own stream). A person replaces a reference with
``replace`` (bytes of any image OpenCV reads: what an upload or an API call carries) or
``custodywatch agent reference``; a running agent reloads a changed reference within a
report interval. Files are replaced atomically (written aside, then renamed).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from custodywatch.kernels.frames import Baseline, to_analysis_gray

LEARNED = "learned"
APPROVED = "approved"
SAFE_CODE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


class ReferenceError(ValueError):
    """A bad camera code or image."""


@dataclass
class Reference:
    image: np.ndarray
    status: str
    baseline: Baseline | None
    meta: dict[str, Any]


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ReferenceStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _folder(self, camera: str) -> Path:
        if not SAFE_CODE.match(camera):
            raise ReferenceError(f"camera code {camera!r}: letters, digits, '.', '_', '-' only")
        return self.root / camera

    def stamp(self, camera: str) -> float | None:
        """When the reference last changed (to notice a replacement), None if there is none."""
        meta = self._folder(camera) / "reference.json"
        return meta.stat().st_mtime if meta.exists() else None

    def load(self, camera: str) -> Reference | None:
        folder = self._folder(camera)
        try:
            meta = json.loads((folder / "reference.json").read_text())
        except FileNotFoundError:
            return None
        image = cv2.imread(str(folder / "reference.png"), cv2.IMREAD_GRAYSCALE)
        if image is None:
            return None
        baseline = Baseline.from_dict(meta["baseline"]) if meta.get("baseline") else None
        return Reference(to_analysis_gray(image), meta["status"], baseline, meta)

    def _save(self, camera: str, image: np.ndarray, meta: dict[str, Any]) -> None:
        folder = self._folder(camera)
        folder.mkdir(parents=True, exist_ok=True)
        ok, png = cv2.imencode(".png", image)
        if not ok:
            raise ReferenceError(f"camera {camera}: cannot encode the reference image")
        # Image first, description last: the description's time is what readers watch.
        _write_atomically(folder / "reference.png", png.tobytes())
        _write_atomically(folder / "reference.json", json.dumps(meta, indent=2).encode())

    def save_learned(self, camera: str, image: np.ndarray, baseline: Baseline) -> None:
        self._save(camera, to_analysis_gray(image), {
            "status": LEARNED, "learned_at": time.time(), "baseline": baseline.to_dict()})

    def approve(self, camera: str, approved_by: str) -> Reference:
        """A person confirms the learned view is the right one."""
        current = self.load(camera)
        if current is None:
            raise ReferenceError(f"camera {camera}: no reference to approve")
        meta = {**current.meta, "status": APPROVED, "approved_by": approved_by,
                "approved_at": time.time()}
        self._save(camera, current.image, meta)
        return Reference(current.image, APPROVED, current.baseline, meta)

    def replace(self, camera: str, image_bytes: bytes, approved_by: str) -> Reference:
        """A person sets a new reference view (e.g. after a camera was re-aimed on purpose).

        The camera's detail and noise measures are relearned from its stream on the next
        start, against this view."""
        image = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise ReferenceError(f"camera {camera}: the image is not one OpenCV can read")
        gray = to_analysis_gray(image)
        meta = {"status": APPROVED, "approved_by": approved_by, "approved_at": time.time(),
                "baseline": None}
        self._save(camera, gray, meta)
        return Reference(gray, APPROVED, None, meta)

    def forget(self, camera: str, decided_by: str) -> None:
        """A person asked for the reference to be relearned from the stream: drop it (the
        description last, so a reader never sees a description without its image)."""
        folder = self._folder(camera)
        log_path = folder / "relearn.json"
        if folder.exists():
            _write_atomically(log_path, json.dumps({"decided_by": decided_by,
                                                    "at": time.time()}).encode())
        (folder / "reference.png").unlink(missing_ok=True)
        (folder / "reference.json").unlink(missing_ok=True)

    def save_current(self, camera: str, gray: np.ndarray) -> None:
        """The latest analysed view, for a person to compare with the reference."""
        folder = self._folder(camera)
        folder.mkdir(parents=True, exist_ok=True)
        ok, png = cv2.imencode(".png", to_analysis_gray(gray))
        if ok:
            _write_atomically(folder / "current.png", png.tobytes())

    def current_png(self, camera: str) -> bytes | None:
        path = self._folder(camera) / "current.png"
        return path.read_bytes() if path.exists() else None

    def png(self, camera: str) -> bytes | None:
        """The stored image as PNG bytes (for a person to look at)."""
        path = self._folder(camera) / "reference.png"
        return path.read_bytes() if path.exists() else None
