"""Perceptual fingerprints of footage and the matching of a clip against them (issue 20 item 6).

Pure compute (numpy, OpenCV); no Django, no I/O. A fingerprint is a 64-bit DCT hash (pHash) of
one grey frame: shrink to 32x32, 2-D DCT, keep the 8x8 lowest frequencies, one bit per
coefficient above their median. Low frequencies survive what a copy does to footage
(re-encoding at another bitrate, another resolution, a slight crop, a brightness shift); the
Hamming distance between two hashes of the same picture stays small, that of two pictures
of different scenes is near 32.

The agent hashes one frame per second of each recorded segment (``REFERENCE_STEP``); a clip
to check is sampled at its key frames where they are at most 2.5 s apart, else every
``CLIP_STEP`` (agent/fingerprints.py, ``clip_fingerprints``); ``match_clip`` is told the
samples' spacing. ``match_clip`` finds where the clip's
samples sit in the recorded footage: every sample votes for the (camera, time offset) of each
recorded second it resembles; the offsets most samples agree on are the clip's alignments,
consecutive samples on one alignment form a matched run, a jump of the offset between two runs
of one camera is a cut (recorded minutes missing from the clip), and samples on no alignment
are footage the recordings do not hold (corrupted, or another source).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

HASH_SIZE = 8  # 8x8 = 64 bits
DCT_SIZE = 32
REFERENCE_STEP = 1.0  # seconds between the hashed frames of a recorded segment
CLIP_STEP = 0.25  # seconds between the hashed frames of a clip being matched
MAX_DISTANCE = 12  # of 64 bits: the same picture after a copy; different scenes sit near 32
MIN_SAMPLES = 3  # a matched run holds at least this many clip samples
CUT_SECONDS = 3.0  # an offset jump above this between two runs of one camera is a cut
MAX_HOLE = 2.0  # seconds without a matching sample that still leave a run whole
HOLE_SAMPLES = 2.5  # ... or this many sample spacings, for a clip sampled at its key frames
MIN_UNMATCHED = 1.0  # clip seconds on no run, at least, to be reported


def phash(gray: np.ndarray) -> int:
    """The 64-bit DCT hash of a grey (2-D, any size and dtype) frame.

    The picture is first halved by 2x2 averages while it stays at least four times the DCT's
    size (OpenCV's fast path: a box of boxes is the same box), then area-resized: a 720p
    frame in 0.3 ms instead of 3.4 ms for one area resize straight to 32x32, the same hash
    to within a bit or two (bench/README.md, evidence_match)."""
    small = gray
    while (small.shape[0] >= 4 * DCT_SIZE and small.shape[1] >= 4 * DCT_SIZE
           and small.shape[0] % 2 == 0 and small.shape[1] % 2 == 0):
        small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2),
                           interpolation=cv2.INTER_AREA)
    small = cv2.resize(small, (DCT_SIZE, DCT_SIZE), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small.astype(np.float32))[:HASH_SIZE, :HASH_SIZE].flatten()
    bits = low > np.median(low[1:])  # the DC term (overall brightness) sets no threshold
    return int(np.packbits(bits).view(">u8")[0])


def hashes_to_hex(hashes: Sequence[int] | np.ndarray) -> str:
    """16 lowercase hex digits per hash, concatenated (the wire and ledger form)."""
    return "".join(f"{int(value):016x}" for value in hashes)


def hashes_from_hex(text: str) -> np.ndarray:
    """The inverse of ``hashes_to_hex``; ValueError on anything else."""
    if len(text) % 16 or not all(c in "0123456789abcdef" for c in text):
        raise ValueError("fingerprints are 16 lowercase hex digits per frame")
    return np.frombuffer(bytes.fromhex(text), dtype=">u8").astype(np.uint64)


def hashes_to_bytes(hashes: np.ndarray) -> bytes:
    return np.asarray(hashes, dtype=np.uint64).astype(">u8").tobytes()


def hashes_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=">u8").astype(np.uint64)


def hamming(a: int, b: int) -> int:
    return (int(a) ^ int(b)).bit_count()


@dataclass(frozen=True)
class Reference:
    """The fingerprints of one recorded segment: ``hashes[k]`` is of the frame at
    ``start + k * step`` (epoch seconds)."""

    camera: str
    segment: str  # the segment's SHA-256
    start: float
    end: float
    step: float
    hashes: np.ndarray


@dataclass(frozen=True)
class SegmentMatch:
    """Clip seconds ``[clip_start, clip_end)`` show recorded ``[recorded_start,
    recorded_end)`` (epoch seconds) of ``segment``."""

    camera: str
    segment: str
    clip_start: float
    clip_end: float
    recorded_start: float
    recorded_end: float
    similarity: float  # 1 - mean Hamming distance / 64 over the matched samples
    samples: int


@dataclass(frozen=True)
class Cut:
    """Between two matched runs of one camera the clip skips recorded time."""

    camera: str
    clip_at: float
    missing_start: float
    missing_end: float


@dataclass
class MatchResult:
    matches: list[SegmentMatch] = field(default_factory=list)
    cuts: list[Cut] = field(default_factory=list)
    unmatched: list[tuple[float, float]] = field(default_factory=list)  # clip seconds
    samples: int = 0
    matched_samples: int = 0


@dataclass
class _Run:
    alignment: int
    members: list[tuple[int, int, int]]  # (sample index, reference index, distance)


def match_clip(times: np.ndarray, hashes: np.ndarray, references: Sequence[Reference], *,
               clip_step: float = CLIP_STEP, max_distance: int = MAX_DISTANCE,
               min_samples: int = MIN_SAMPLES, chunk: int = 8) -> MatchResult:
    """Where the clip's samples (``times`` in clip seconds, ``hashes``) sit in ``references``.

    ``clip_step`` is the usual spacing of the samples: ``CLIP_STEP`` for a clip decoded
    whole, its key frames' spacing for one sampled at its key frames (a sample then stands
    for that long, and a run survives ``HOLE_SAMPLES`` spacings without a matching sample)."""
    max_hole = max(MAX_HOLE, HOLE_SAMPLES * clip_step)
    times = np.asarray(times, dtype=np.float64)
    hashes = np.asarray(hashes, dtype=np.uint64)
    result = MatchResult(samples=len(times))
    references = [ref for ref in references if len(ref.hashes)]
    if not len(times) or not references:
        if len(times):
            result.unmatched.append((float(times[0]), float(times[-1]) + clip_step))
        return result
    cameras = sorted({ref.camera for ref in references})
    camera_index = {code: i for i, code in enumerate(cameras)}
    ref_hash = np.concatenate([ref.hashes for ref in references])
    ref_time = np.concatenate([ref.start + ref.step * np.arange(len(ref.hashes))
                               for ref in references])
    ref_segment = np.concatenate([np.full(len(ref.hashes), i)
                                  for i, ref in enumerate(references)])
    ref_camera = np.concatenate([np.full(len(ref.hashes), camera_index[ref.camera])
                                 for ref in references])
    # Offsets are binned by the second; a bin id carries its camera.
    span = 1 << 40

    candidates: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per sample: j, d, bin
    votes: Counter[int] = Counter()
    # Hamming distances a few samples at a time into buffers made once: small enough to stay
    # in cache, never a fresh allocation per block (page faults cost more than the XOR).
    xor = np.empty((chunk, len(ref_hash)), np.uint64)
    counts = np.empty((chunk, len(ref_hash)), np.uint8)
    for low in range(0, len(times), chunk):
        block = hashes[low:low + chunk]
        np.bitwise_xor(block[:, None], ref_hash[None, :], out=xor[:len(block)])
        distance = np.bitwise_count(xor[:len(block)], out=counts[:len(block)])
        for row in range(len(block)):
            js = np.flatnonzero(distance[row] <= max_distance)
            offsets = np.rint(ref_time[js] - times[low + row]).astype(np.int64)
            bins = ref_camera[js] * span + offsets
            candidates.append((js, distance[row, js].astype(np.int64), bins))
            votes.update(np.unique(bins).tolist())

    # The alignments: bins most samples agree on; a neighbouring bin (the same alignment
    # sampled half a second off) is absorbed by the stronger one.
    alignments: dict[int, int] = {}  # bin -> alignment bin
    strength: dict[int, int] = {}
    for bin_id, count in sorted(votes.items(), key=lambda item: (-item[1], item[0])):
        if count < min_samples:
            break
        near = next((alignments[b] for b in (bin_id - 1, bin_id + 1) if b in alignments), None)
        if near is None:
            alignments[bin_id] = bin_id
            strength[bin_id] = count
        else:
            alignments[bin_id] = near

    # Each sample follows its predecessor's alignment where it can (a still picture resembles
    # many seconds), else the strongest alignment it supports.
    assigned: list[tuple[int, int, int] | None] = []  # (alignment, j, distance)
    previous: int | None = None
    for js, ds, bins in candidates:
        options: dict[int, tuple[int, int]] = {}
        for j, d, b in zip(js.tolist(), ds.tolist(), bins.tolist(), strict=True):
            alignment = alignments.get(b)
            if alignment is not None and (alignment not in options or d < options[alignment][1]):
                options[alignment] = (j, d)
        if not options:
            assigned.append(None)
            continue
        if previous in options:
            choice = previous
        else:
            choice = max(options, key=lambda a: (strength[a], -options[a][1]))
        assigned.append((choice, *options[choice]))
        previous = choice

    # Runs: consecutive samples of one alignment, broken by a stretch matching nothing.
    runs: list[_Run] = []
    last_index = -1
    for index, entry in enumerate(assigned):
        if entry is None:
            continue
        alignment, j, d = entry
        current = runs[-1] if runs else None
        if (current is None or current.alignment != alignment
                or times[index] - times[last_index] > max_hole):
            current = _Run(alignment, [])
            runs.append(current)
        current.members.append((index, j, d))
        last_index = index

    def placed(run: _Run) -> tuple[int, float]:
        js = np.array([m[1] for m in run.members])
        indexes = np.array([m[0] for m in run.members])
        return int(ref_camera[js[0]]), float(np.median(ref_time[js] - times[indexes]))

    # Neighbouring alignments of one camera (the same footage sampled a second off) join.
    joined: list[_Run] = []
    for run in runs:
        if joined:
            before = joined[-1]
            (camera_a, offset_a), (camera_b, offset_b) = placed(before), placed(run)
            hole = times[run.members[0][0]] - times[before.members[-1][0]]
            if camera_a == camera_b and abs(offset_b - offset_a) <= 1.5 and hole <= max_hole:
                before.members.extend(run.members)
                continue
        joined.append(run)
    runs = [run for run in joined if len(run.members) >= min_samples]

    covered: list[tuple[float, float]] = []
    previous_run: tuple[str, float, float] | None = None  # camera, offset, recorded end
    for run in runs:
        indexes = np.array([m[0] for m in run.members])
        js = np.array([m[1] for m in run.members])
        ds = np.array([m[2] for m in run.members])
        camera_number, offset = placed(run)
        camera = cameras[camera_number]
        clip_start, clip_end = float(times[indexes[0]]), float(times[indexes[-1]]) + clip_step
        covered.append((clip_start, clip_end))
        result.matched_samples += len(indexes)
        if previous_run is not None and previous_run[0] == camera and (
                offset - previous_run[1] > CUT_SECONDS):
            result.cuts.append(Cut(camera, clip_start, previous_run[2], clip_start + offset))
        # Segment by segment: split the run where its recorded time crosses a segment (each
        # sample belongs to the segment holding its recorded moment, not to the one whose
        # nearest hashed second it resembled).
        owner = ref_segment[js].copy()
        at = times[indexes] + offset
        for segment_index in np.unique(owner):
            ref = references[segment_index]
            owner[(at >= ref.start) & (at < ref.end) & (ref_camera[js] == camera_number)] = \
                segment_index
        for segment_index in dict.fromkeys(owner.tolist()):
            ref = references[segment_index]
            mine = owner == segment_index
            recorded_start = max(ref.start, float(times[indexes[mine][0]]) + offset)
            recorded_end = min(ref.end, float(times[indexes[mine][-1]]) + clip_step + offset)
            result.matches.append(SegmentMatch(
                camera=camera, segment=ref.segment, clip_start=recorded_start - offset,
                clip_end=recorded_end - offset, recorded_start=recorded_start,
                recorded_end=recorded_end,
                similarity=round(1.0 - float(ds[mine].mean()) / 64.0, 3),
                samples=int(mine.sum())))
        previous_run = (camera, offset, clip_end + offset)

    # Clip time on no run: footage the recordings do not hold.
    cursor = float(times[0])
    end = float(times[-1]) + clip_step
    for start, stop in sorted(covered):
        if start - cursor >= MIN_UNMATCHED:
            result.unmatched.append((cursor, start))
        cursor = max(cursor, stop)
    if end - cursor >= MIN_UNMATCHED:
        result.unmatched.append((cursor, end))
    return result
