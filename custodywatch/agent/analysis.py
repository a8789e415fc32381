"""One camera's health over time: sampled frames in, state spans out.

Glue between the decoder and the pure kernel (``custodywatch.kernels.frames``): learns the
camera's baseline from its first live samples (unless an approved reference and baseline
are given), classifies each sample, turns gaps between packets into ``no_signal`` and runs
the hysteresis tracker. No I/O: the same object serves ``agent analyze`` on a file and
``agent run`` on a live stream.

Until its baseline is learned a camera is ``unknown`` (not ok: nothing has been judged),
except for a flat picture, which needs no baseline to be called black or covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from custodywatch.kernels import frames
from custodywatch.kernels.frames import Baseline, Span, StateTracker

LEARN_SAMPLES = 8  # live samples to learn a camera from (8 s at one sample a second)
SIGNAL_TIMEOUT = 3.0  # seconds without a single packet that make a stretch no_signal


@dataclass
class PendingSample:
    at: float
    gray: np.ndarray


@dataclass
class CameraAnalyser:
    """Feed samples in time order; collect the spans that ``feed`` and ``finish`` return."""

    reference: np.ndarray | None = None  # approved reference view (320x180 gray)
    baseline: Baseline | None = None  # stored with an approved reference
    start: float = 0.0
    learn_samples: int = LEARN_SAMPLES
    signal_timeout: float = SIGNAL_TIMEOUT
    thresholds: frames.Thresholds = field(default_factory=frames.Thresholds)
    tracker: StateTracker = field(init=False)
    pending: list[PendingSample] = field(default_factory=list)  # learnable samples so far
    previous: np.ndarray | None = None
    previous_at: float | None = None
    last_at: float | None = None
    _signature: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.tracker = StateTracker(start=self.start, state=frames.UNKNOWN)
        if self.reference is not None:
            self._signature = frames.reference_signature(self.reference)

    @property
    def learned(self) -> bool:
        return self.baseline is not None and self._signature is not None

    def feed(self, at: float, gray: np.ndarray, previous_packet_at: float | None = None
             ) -> list[Span]:
        """One sample; returns the spans it closed."""
        spans: list[Span] = []
        silent_since = previous_packet_at if previous_packet_at is not None else self.last_at
        after_gap = silent_since is not None and at - silent_since > self.signal_timeout
        if after_gap:
            assert silent_since is not None  # noqa: S101 - narrows the type; checked above
            spans += self.tracker.force(silent_since, frames.NO_SIGNAL)
            self.previous = self.previous_at = None  # nothing to compare with across a gap
        self.last_at = at
        if not self.learned and frames.is_learnable(gray):
            self.pending.append(PendingSample(at, gray))
            self._try_learn()
        state = self._classify(gray) if self.learned else self._baseline_free(gray)
        # A frozen picture was already frozen at the sample it is identical to.
        since = self.previous_at if state == frames.FROZEN else None
        self.previous_at = at
        if after_gap:
            return spans + self.tracker.force(at, state)
        return spans + self.tracker.observe(at, state, since)

    def signal_lost(self, at: float) -> list[Span]:
        """The stream broke or stayed silent: no_signal from ``at`` (the last sign of life)."""
        self.previous = self.previous_at = None
        return self.tracker.force(max(at, self.tracker.state_since), frames.NO_SIGNAL)

    def finish(self, end: float) -> list[Span]:
        """Close the last span at ``end`` (the video's duration, or now)."""
        spans: list[Span] = []
        if self.last_at is not None and end - self.last_at > self.signal_timeout:
            spans += self.tracker.force(self.last_at, frames.NO_SIGNAL)
        return spans + self.tracker.cut(end)

    def cut(self, at: float) -> list[Span]:
        """Report the running span up to ``at`` (live use: the centre hears every minute);
        while learning, that span is ``unknown``."""
        return self.tracker.cut(at)

    # ------------------------------------------------------------------ internals

    def _try_learn(self) -> None:
        live = [p.gray for p in self.pending if frames.is_learnable(p.gray)]
        if len(live) < self.learn_samples:
            return
        live = live[: self.learn_samples]
        given_reference = self.reference is not None
        if not given_reference:
            self.reference = frames.learn_reference(live)
            self._signature = frames.reference_signature(self.reference)
        assert self.reference is not None  # noqa: S101 - narrows the type; set just above
        baseline = frames.learn_baseline(live, self.reference)
        if given_reference:
            # An approved image is the view as it must be; a stream that starts already
            # turned away must not lower the bar to its own wrong view.
            baseline.agreement = frames.REFERENCE_SELF_AGREEMENT
        self.baseline = baseline
        self.pending = []

    def _baseline_free(self, gray: np.ndarray) -> str:
        """What a picture shows without a baseline: a flat dark picture is black, a flat
        bright one covered; anything else is not known yet."""
        self.previous = gray
        mean, contrast = float(gray.mean()), float(gray.std())
        if contrast < self.thresholds.flat_black_contrast:
            return frames.BLACK if mean < self.thresholds.flat_black_mean else frames.COVERED
        return frames.UNKNOWN

    def _classify(self, gray: np.ndarray) -> str:
        previous, self.previous = self.previous, gray
        assert self.baseline is not None  # noqa: S101 - narrows the type; only once learned
        features = frames.frame_features(gray, previous, self._signature,
                                         self.baseline.change_level)
        return frames.classify_frame(features, self.baseline, self.thresholds)
