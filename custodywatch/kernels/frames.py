"""Frame-health classifier: is a camera's picture ok, black, frozen, covered, blurred or moved?

Pure compute on sparse, small grayscale frames (numpy and OpenCV; no Django, no I/O). Every
decision is relative to the camera's own baseline, learned from its first live frames (or
given with an approved reference image), never to absolute thresholds that fit one room and
fail the next: a dim cell at night and a bright corridor differ more than a healthy and a
defocused picture of the same room.

Per frame (``frame_features``) a handful of measures, each chosen to be blind to what a live
room does (people walking, lights dimmed) and sharp on what a fault does:

- brightness and contrast (mean, standard deviation): black is dark *and* flat;
- detail (mean absolute Laplacian of a coarse 80x45 copy) and sharpness (detail /
  contrast, so a dimmer room is not "less sharp"): defocus collapses sharpness against
  the baseline;
- change (share of pixels that moved by more than this camera's change level since the
  previous sampled frame): a live sensor always adds some temporal noise, a frozen encoder
  repeats the picture. The level is learned per camera from its temporal noise
  (``learn_change_level``): a 320x180 sub-stream keeps the sensor's noise (a few levels), a
  1280x720 main stream shrunk 4x averages it down to about one level, and a fixed level that
  fits the first would leave only motion to show that a quiet dim cell is live;
- agreement with the reference view (``view_agreement``): normalised correlation of signed
  gradients of a coarse (80x45) copy, per tile, median over tiles. Normalisation makes it
  blind to lighting; the median makes it blind to a person covering a few tiles; a turned
  or knocked camera moves every edge, so every tile disagrees.

Per span (``StateTracker``): a new state must hold for a few consecutive samples before it
is taken (hysteresis: one odd frame, a person brushing past, changes nothing), and then it
is dated back to its first sample, so spans keep their true boundaries. A frozen sample is
a comparison of two frames: it is dated back to the earlier one, and two of them (three
identical frames) are enough, so that every fault is taken within three samples of its
onset (within 3 s at one sample a second).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

OK = "ok"
BLACK = "black"
FROZEN = "frozen"
COVERED = "covered"
BLURRED = "blurred"
MOVED = "moved"
NO_SIGNAL = "no_signal"
STATES = (OK, BLACK, FROZEN, COVERED, BLURRED, MOVED, NO_SIGNAL)
FAULTS = STATES[1:]
# Not a fault and not ok: the camera's baseline is still being learned, so what its picture
# shows is not known yet (CONTRACTS.md: counted as blind, never as a fault).
UNKNOWN = "unknown"

ANALYSIS_SIZE = (320, 180)  # (width, height) frames are analysed at; decoders scale to it
DETAIL_SIZE = (160, 90)  # half size: sensor noise averages out, edges survive
VIEW_SIZE = (80, 45)  # coarse: moderate defocus and noise leave the view's edges in place
VIEW_TILES = (3, 4)  # rows, columns: a person covers one or two of twelve tiles
# A pixel "changed" between samples when it moved by more than the camera's change level (in
# 8-bit levels): as high as the camera's temporal noise allows, since an encoder re-quantising
# an identical picture drifts by a level or two, but low enough that live noise alone keeps
# about a quarter of the pixels above it. Learned per camera (``learn_change_level``); this is
# the level of baselines stored before it was learned (their noise_change was measured at it).
CHANGE_LEVEL = 4
# The level is the largest with (Gaussian) noise of the learned spread still above it in
# about a quarter of the pixels: level + 0.5 <= 1.2 sigma, sigma = median |residual| / 0.6745.
CHANGE_LEVEL_SIGMAS = 1.2
# Temporal noise is read on the frame-to-frame difference minus its own 5x5 local mean, so a
# lighting change (smooth over the picture) or the inside of a walking person does not pass
# for noise.
NOISE_WINDOW = (5, 5)


@dataclass(frozen=True)
class Thresholds:
    """Fractions of the camera's own baseline; one set fits every camera."""

    black_brightness: float = 0.30  # dark: mean below this share of the baseline mean
    black_contrast: float = 0.30  # ... and flat: contrast below this share
    covered_contrast: float = 0.40  # covered: contrast and detail collapsed ...
    covered_detail: float = 0.30
    covered_agreement: float = 0.50  # ... and the view is gone
    frozen_change: float = 0.35  # change below this share of the camera's noise floor
    blurred_sharpness: float = 0.60  # sharpness below this share of the baseline sharpness
    moved_agreement: float = 0.50  # view agreement below this share of the baseline's
    # Below any scene, whatever the baseline: 8-bit levels of a dead, flat black picture.
    flat_black_mean: float = 20.0
    flat_black_contrast: float = 4.0


@dataclass(frozen=True)
class FrameFeatures:
    brightness: float
    contrast: float
    detail: float
    sharpness: float
    change: float | None  # None for the first frame (nothing to compare with)
    agreement: float | None  # None until there is a reference view


@dataclass
class Baseline:
    """What this camera's healthy picture looks like; stored beside its reference image."""

    brightness: float
    contrast: float
    detail: float
    sharpness: float
    noise_change: float  # typical change between samples of a live still picture
    agreement: float  # typical agreement of a live picture with the reference view
    change_level: float = CHANGE_LEVEL  # levels a pixel must move by to count as changed

    def to_dict(self) -> dict[str, float]:
        return {key: round(float(value), 6) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> Baseline:
        """Fields stored before they existed take their defaults (a baseline learned at the
        fixed level of 4 keeps it)."""
        return cls(**{name: float(data[name]) for name in cls.__dataclass_fields__
                      if name in data})


def to_analysis_gray(image: np.ndarray) -> np.ndarray:
    """Any 8-bit image (gray or BGR, any size) as the 320x180 gray the classifier reads."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if (image.shape[1], image.shape[0]) != ANALYSIS_SIZE:
        image = cv2.resize(image, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image, dtype=np.uint8)


def coarse_view(gray: np.ndarray) -> np.ndarray:
    """The 80x45 float copy that detail and view agreement are measured on."""
    return cv2.resize(gray, VIEW_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)


def view_signature(coarse: np.ndarray) -> np.ndarray:
    """Per-tile normalised signed gradients of the coarse view, shape (tiles, 2 * pixels).

    Zero mean and unit norm per tile, so a dot product of two signatures is their normalised
    correlation, tile by tile: the reference's is computed once, a frame's per frame.
    """
    smooth = cv2.GaussianBlur(coarse, (3, 3), 0)
    gradient_x = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gradient_y = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    rows, columns = VIEW_TILES
    tile_h, tile_w = VIEW_SIZE[1] // rows, VIEW_SIZE[0] // columns

    def tiles(plane: np.ndarray) -> np.ndarray:
        plane = plane[: rows * tile_h, : columns * tile_w]
        return plane.reshape(rows, tile_h, columns, tile_w).swapaxes(1, 2).reshape(
            rows * columns, tile_h * tile_w)

    signature = np.concatenate([tiles(gradient_x), tiles(gradient_y)], axis=1)
    signature -= signature.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(signature, axis=1, keepdims=True)
    # A flat tile (bare wall) has no edges to agree or disagree with: weight zero.
    weighted: np.ndarray = signature / np.maximum(norms, 1e-3)
    return weighted


def reference_signature(reference: np.ndarray) -> np.ndarray:
    """The signature of a 320x180 reference image (computed once per camera)."""
    return view_signature(coarse_view(reference))


def view_agreement(signature: np.ndarray, reference: np.ndarray) -> float:
    """Median over tiles of the normalised gradient correlation with the reference view."""
    per_tile = np.einsum("ij,ij->i", signature, reference)
    return float(np.median(per_tile))


def frame_features(gray: np.ndarray, previous: np.ndarray | None,
                   reference: np.ndarray | None,
                   change_level: float = CHANGE_LEVEL) -> FrameFeatures:
    """The measures of one 320x180 8-bit gray frame (see the module's docstring);
    ``reference`` is the reference view's signature (``reference_signature``),
    ``change_level`` the camera's (``Baseline.change_level``)."""
    mean, std = cv2.meanStdDev(gray)
    brightness, contrast = float(mean[0, 0]), float(std[0, 0])
    coarse = coarse_view(gray)
    # Detail on the coarse copy: its 4x4 averaging quiets sensor noise, which would
    # otherwise pass for detail in a dim room, while a defocus still wipes it out.
    detail = float(cv2.mean(np.abs(cv2.Laplacian(coarse, cv2.CV_32F)))[0])
    change = None
    if previous is not None:
        moved_levels = cv2.threshold(cv2.absdiff(gray, previous), float(change_level), 1,
                                     cv2.THRESH_BINARY)[1]
        change = cv2.countNonZero(moved_levels) / moved_levels.size
    agreement = None
    if reference is not None:
        agreement = view_agreement(view_signature(coarse), reference)
    return FrameFeatures(brightness, contrast, detail, detail / (contrast + 1.0), change,
                         agreement)


def classify_frame(features: FrameFeatures, baseline: Baseline,
                   thresholds: Thresholds = Thresholds()) -> str:
    """The state one frame shows, most telling first: black, covered, frozen, blurred, moved."""
    t = thresholds
    flat_black = (features.brightness < t.flat_black_mean
                  and features.contrast < t.flat_black_contrast)
    dark_and_flat = (features.brightness < t.black_brightness * baseline.brightness
                     and features.contrast < t.black_contrast * baseline.contrast)
    if flat_black or dark_and_flat:
        return BLACK
    view_lost = (features.agreement is not None
                 and features.agreement < t.covered_agreement * baseline.agreement)
    if view_lost and (features.contrast < t.covered_contrast * baseline.contrast
                      or features.detail < t.covered_detail * baseline.detail):
        return COVERED
    if features.change is not None and features.change < t.frozen_change * baseline.noise_change:
        return FROZEN
    if features.sharpness < t.blurred_sharpness * baseline.sharpness:
        return BLURRED
    if features.agreement is not None and features.agreement < (
            t.moved_agreement * baseline.agreement):
        return MOVED
    return OK


def is_learnable(gray: np.ndarray) -> bool:
    """A frame fit to learn from: not a flat or black picture (a camera faulty at start)."""
    mean, std = cv2.meanStdDev(gray)
    return bool(std[0, 0] >= Thresholds.flat_black_contrast and mean[0, 0] >= 8)


def learn_reference(frames: Sequence[np.ndarray]) -> np.ndarray:
    """The reference view from a few live frames: the per-pixel median, so a person who
    walks through them leaves no trace."""
    reference: np.ndarray = np.median(np.stack(frames), axis=0).astype(np.uint8)
    return reference


def temporal_noise(gray: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The frame-to-frame difference less its local mean: what is left is the sensor's (and
    the encoder's) noise, not a lighting change or a person walking (float32, levels)."""
    difference = cv2.subtract(gray, previous, dtype=cv2.CV_32F)
    return difference - cv2.blur(difference, NOISE_WINDOW)


def learn_change_level(noises: Sequence[np.ndarray]) -> int:
    """The camera's change level from a few ``temporal_noise`` residuals: the largest whole
    level that live noise alone still exceeds in about a quarter of the pixels (0: any
    change; a camera with no temporal noise at all can then never show frozen)."""
    spread = float(np.median([np.median(np.abs(noise)) for noise in noises])) / 0.6745
    return max(0, int(np.floor(CHANGE_LEVEL_SIGMAS * spread - 0.5)))


def learn_baseline(frames: Sequence[np.ndarray], reference: np.ndarray) -> Baseline:
    """The camera's healthy measures from consecutive live samples (at least three)."""
    if len(frames) < 3:
        raise ValueError("a baseline needs at least three frames")
    signature = reference_signature(reference)
    noises = [temporal_noise(frame, previous)
              for previous, frame in zip(frames[:-1], frames[1:], strict=True)]
    level = learn_change_level(noises)
    measured = [frame_features(frame, previous, signature, level)
                for previous, frame in zip([None, *frames[:-1]], frames, strict=True)]
    # The noise floor: the share of pixels the noise alone moves past the level (a pixel of
    # integer levels moves past it when it moves by level + 0.5 or more), without what
    # lights and people add, since a quiet still room has neither.
    still_changes = [np.count_nonzero(np.abs(noise) > level + 0.5) / noise.size
                     for noise in noises]

    def median(values: Iterable[float]) -> float:
        return float(np.median(np.fromiter(values, np.float64)))

    return Baseline(
        brightness=median(m.brightness for m in measured),
        contrast=median(m.contrast for m in measured),
        detail=median(m.detail for m in measured),
        sharpness=median(m.sharpness for m in measured),
        # The quieter changes: what is left of people and lights inflates the rest.
        noise_change=float(np.percentile(still_changes, 25)),
        agreement=median(m.agreement or 0.0 for m in measured),
        change_level=float(level),
    )


def baseline_from_image(reference: np.ndarray, noise_change: float,
                        change_level: float = CHANGE_LEVEL) -> Baseline:
    """A baseline from an approved reference image alone (no stored baseline beside it).

    The image is its own perfect match (agreement 1.0 scaled down to what live frames with
    noise and people reach, ``REFERENCE_SELF_AGREEMENT``); the noise floor must come from
    the stream, since a still image has none.
    """
    features = frame_features(reference, None, None)
    return Baseline(features.brightness, features.contrast, features.detail,
                    features.sharpness, noise_change, REFERENCE_SELF_AGREEMENT, change_level)


# A live frame's typical agreement with a clean reference image of the same view (measured
# on generated scenes with noise and a person: 0.75 to 0.9).
REFERENCE_SELF_AGREEMENT = 0.8


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    state: str


@dataclass
class StateTracker:
    """Hysteresis from per-frame states to spans.

    A different state becomes the camera's state after ``confirm`` consecutive samples show
    it (``confirm_ok`` to return to ok, since a healthy picture is unambiguous), dated back to
    the first of them. Samples that disagree in between (a fault that flickers between two
    faults) restart the count. Times are in seconds, any origin.
    """

    start: float = 0.0
    confirm: int = 3
    confirm_ok: int = 2
    # Frozen samples each compare two frames: two of them are three identical frames.
    confirm_frozen: int = 2
    state: str = OK
    state_since: float = 0.0
    candidate: str | None = None
    candidate_since: float = 0.0
    candidate_count: int = 0
    closed: list[Span] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state_since = self.start

    def _needed(self, state: str) -> int:
        if state == OK:
            return self.confirm_ok
        return self.confirm_frozen if state == FROZEN else self.confirm

    def observe(self, at: float, state: str, since: float | None = None) -> list[Span]:
        """Feed one sample; returns the spans this sample closed (usually none). ``since``:
        when what the sample shows began, if earlier than ``at`` (a frozen picture: at the
        sample it is identical to)."""
        if state == self.state:
            self.candidate, self.candidate_count = None, 0
            return []
        if state != self.candidate:
            began = at if since is None else max(min(since, at), self.state_since)
            self.candidate, self.candidate_since, self.candidate_count = state, began, 0
        self.candidate_count += 1
        if self.candidate_count < self._needed(state):
            return []
        return self._switch(self.candidate_since, state)

    def force(self, at: float, state: str) -> list[Span]:
        """Take a state at once (no_signal is a fact of the connection, not a guess)."""
        self.candidate, self.candidate_count = None, 0
        if state == self.state:
            return []
        return self._switch(at, state)

    def _switch(self, at: float, state: str) -> list[Span]:
        self.candidate, self.candidate_count = None, 0
        closed = []
        if at > self.state_since:
            closed.append(Span(self.state_since, at, self.state))
            self.state_since = at
        self.state = state
        return closed

    def cut(self, at: float) -> list[Span]:
        """Close the running span at ``at`` and go on in the same state (periodic reports;
        the centre merges touching spans of one state)."""
        if at <= self.state_since:
            return []
        span = Span(self.state_since, at, self.state)
        self.state_since = at
        return [span]


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Join touching spans of one state and drop empty ones."""
    merged: list[Span] = []
    for span in spans:
        if span.end <= span.start:
            continue
        if merged and merged[-1].state == span.state and merged[-1].end >= span.start:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end), span.state)
        else:
            merged.append(span)
    return merged
