"""Room markers in a camera's picture: which AprilTag 36h11 ids it shows, and since when.

Each custody room carries a printed AprilTag 36h11 tag (CONTRACTS.md, "Markers"); a camera
that shows its room's tag in a working picture proves it looks at that room. Pure compute
(numpy and OpenCV's ``cv2.aruco``; no Django, no I/O), on the gray frames the agent already
decodes: the luma plane of a sampled key frame at the stream's own resolution (the 320x180
health copy is too small for a tag across a cell), never an extra decode.

Detection (``MarkerDetector``) is OpenCV's ``ArucoDetector`` with parameters for recorder
footage rather than close-up calibration shots:

- adaptive thresholding at two window sizes (5 and 15 px) instead of the default three
  (3, 13, 23): a tag 24..120 px wide in 720p needs no more, and the thresholding passes
  (with the contours they make on a textured wall) are most of the cost; windows of 19 px
  and more cost three to five times as much on rendered rooms and found no more tags;
- no corner refinement: only the id matters, not sub-pixel corners;
- **at most one corrected bit** (``errorCorrectionRate``; the dictionary allows five, the
  default corrects three). 36h11 codes are at least 11 bits apart, so a random square of
  wall texture or a barred window would need to match one of 587 x 4 codes in 35 of 36
  bits (about 1 in 10^6 per candidate square, against 1 in 3 000 with three corrected
  bits): a camera must never "see" a room it does not see;
- ids outside the dictionary's 0..586 are impossible by construction, and a tag is
  accepted only with a clean black border (``maxErroneousBitsInBorderRate``);
- the picture is searched with a 16 px margin copied from its edge (``EDGE_PAD``): OpenCV
  misses a tag whose sheet lies a few px from the picture's top or left edge (the thin
  band of wall between them joins the tag's border to the picture's edge); a camera
  aimed so that the tag sits high in its view must still prove its room.

Two trackers turn per-frame ids into what the agent reports:

- ``MarkerLog`` (``agent analyze`` on a file): per id, the first and last time it was
  decoded and the share of examined frames between those times in which it was;
- ``SightingTracker`` (``agent run``): per id, an open sighting interval from its first
  decode, reported when it opens, again every report period while it stays (``last``
  moves on) and once more when the marker has not been decoded in ``gone_searches``
  searches in a row spanning more than ``gone_seconds`` (it is then closed at its last
  decode). A sighting is keyed by (camera, marker, first): a
  later report of the same interval repeats ``first`` with a later ``last``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np

DICTIONARY_ID = cv2.aruco.DICT_APRILTAG_36h11
MAX_MARKER_ID = 586  # AprilTag 36h11 has ids 0..586
MAX_WIDTH = 1280  # larger pictures are halved down to this before searching for tags
EDGE_PAD = 16  # px copied from the picture's edges around it (see the module's docstring)
# A sighting closes when its marker has not been decoded in GONE_SEARCHES searches in a row
# over more than GONE_SECONDS (a person standing in front of the tag for a while does not
# close it; a turned or covered camera does).
GONE_SECONDS = 30.0
GONE_SEARCHES = 3


def detector_parameters() -> cv2.aruco.DetectorParameters:
    """The tuned parameters (see the module's docstring)."""
    params = cv2.aruco.DetectorParameters()
    params.adaptiveThreshWinSizeMin = 5
    params.adaptiveThreshWinSizeMax = 15
    params.adaptiveThreshWinSizeStep = 10
    params.adaptiveThreshConstant = 7
    # Perimeter relative to the picture's larger side: 0.07 x 1280 = 90 px, a tag about
    # 22 px wide (under 3 px a cell is no longer readable anyway).
    params.minMarkerPerimeterRate = 0.07
    params.maxMarkerPerimeterRate = 4.0
    params.polygonalApproxAccuracyRate = 0.05
    params.minCornerDistanceRate = 0.05
    params.minDistanceToBorder = 2
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE
    params.perspectiveRemovePixelPerCell = 6
    params.perspectiveRemoveIgnoredMarginPerCell = 0.15
    params.maxErroneousBitsInBorderRate = 0.2
    params.errorCorrectionRate = 0.3  # int(5 x 0.3) = one corrected bit at most
    return params


def marker_view(luma: np.ndarray) -> np.ndarray:
    """The picture tags are searched in: ``luma`` itself, halved while wider than 1280."""
    while luma.shape[1] > MAX_WIDTH:
        luma = cv2.resize(luma, (luma.shape[1] // 2, luma.shape[0] // 2),
                          interpolation=cv2.INTER_AREA)
    return luma


class MarkerDetector:
    """Decodes AprilTag 36h11 ids in 8-bit gray pictures. Not thread-safe: one per camera."""

    def __init__(self) -> None:
        dictionary = cv2.aruco.getPredefinedDictionary(DICTIONARY_ID)
        self._detector = cv2.aruco.ArucoDetector(dictionary, detector_parameters())

    def detect(self, gray: np.ndarray) -> list[int]:
        """The ids decoded in ``gray`` (any size; uint8, one channel), sorted, each once."""
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise ValueError("markers are decoded from 8-bit gray pictures")
        padded = cv2.copyMakeBorder(marker_view(gray), EDGE_PAD, EDGE_PAD, EDGE_PAD, EDGE_PAD,
                                    cv2.BORDER_REPLICATE)
        _corners, ids, _rejected = self._detector.detectMarkers(padded)
        if ids is None:
            return []
        return sorted({int(marker) for marker in ids.ravel() if 0 <= marker <= MAX_MARKER_ID})


@dataclass(frozen=True)
class MarkerSeen:
    """One marker over a stretch of frames: seconds or epoch seconds, as fed."""

    marker: int
    first: float
    last: float
    seen: float  # share of examined frames from first to last (both included) that had it


@dataclass
class MarkerLog:
    """Every examined frame's ids, summarised per id at the end (``agent analyze``)."""

    examined: list[float] = field(default_factory=list)  # times, in feeding order
    _first: dict[int, float] = field(default_factory=dict)
    _last: dict[int, float] = field(default_factory=dict)
    _hits: dict[int, int] = field(default_factory=dict)

    def observe(self, at: float, markers: Iterable[int]) -> None:
        """One examined frame (in time order) and the ids decoded in it (maybe none)."""
        self.examined.append(at)
        for marker in set(markers):
            self._first.setdefault(marker, at)
            self._last[marker] = at
            self._hits[marker] = self._hits.get(marker, 0) + 1

    def summary(self) -> list[MarkerSeen]:
        """One entry per id decoded at least once, by id."""
        result = []
        for marker in sorted(self._first):
            first, last = self._first[marker], self._last[marker]
            frames = (bisect.bisect_right(self.examined, last)
                      - bisect.bisect_left(self.examined, first))
            result.append(MarkerSeen(marker, first, last, self._hits[marker] / max(frames, 1)))
        return result


@dataclass
class _Open:
    first: float
    last: float
    hits: int = 1
    examined: int = 1  # frames examined since first, up to the newest
    examined_to_last: int = 1  # of those, up to the last decode (the interval's frames)
    misses: int = 0  # searches in a row without it, since the last decode
    reported_last: float | None = None  # ``last`` as last reported


@dataclass
class SightingTracker:
    """A live camera's sighting intervals (``agent run``).

    ``observe`` returns the sightings to report now: a marker newly decoded (an interval
    opens: first == last) and markers gone (missed in ``gone_searches`` searches in a row
    over more than ``gone_seconds``; their interval closes at their last decode). ``cut``
    returns the open intervals decoded again since last reported (the periodic report),
    ``lost`` closes them all (the stream broke: the camera shows nothing).
    """

    gone_seconds: float = GONE_SECONDS
    gone_searches: int = GONE_SEARCHES
    open: dict[int, _Open] = field(default_factory=dict)

    def observe(self, at: float, markers: Iterable[int]) -> list[MarkerSeen]:
        decoded = set(markers)
        report: list[MarkerSeen] = []
        for marker, interval in list(self.open.items()):
            if marker in decoded:
                interval.examined += 1
                interval.hits += 1
                interval.last = at
                interval.examined_to_last = interval.examined
                interval.misses = 0
                continue
            interval.misses += 1
            if interval.misses >= self.gone_searches and at - interval.last > self.gone_seconds:
                report.append(self._seen(marker, interval))
                del self.open[marker]
            else:
                interval.examined += 1
        for marker in sorted(decoded - self.open.keys()):
            self.open[marker] = _Open(at, at)
            report.append(self._seen(marker, self.open[marker]))
        return report

    def cut(self) -> list[MarkerSeen]:
        """The open intervals decoded again since they were last reported."""
        return [self._seen(marker, interval) for marker, interval in sorted(self.open.items())
                if interval.reported_last != interval.last]

    def lost(self) -> list[MarkerSeen]:
        report = [self._seen(marker, interval)
                  for marker, interval in sorted(self.open.items())]
        self.open.clear()
        return report

    @staticmethod
    def _seen(marker: int, interval: _Open) -> MarkerSeen:
        interval.reported_last = interval.last
        # Frames examined after the last decode are not between first and last.
        return MarkerSeen(marker, interval.first, interval.last,
                          interval.hits / interval.examined_to_last)
