"""The frame-health kernel on rendered (not encoded) scenes and on its own span logic."""

from __future__ import annotations

import numpy as np
import pytest

from custodywatch.kernels import frames
from custodywatch.kernels.frames import Baseline, Span, StateTracker
from tests.agent.scenes import ClipSpec, Fault, render_frames


def _one_a_second(spec: ClipSpec) -> list[tuple[float, np.ndarray]]:
    return [(t, gray) for t, gray in render_frames(spec) if abs(t - round(t)) < 1e-9]


def _states(spec: ClipSpec) -> dict[float, str]:
    samples = _one_a_second(spec)
    grays = [gray for _t, gray in samples]
    reference = frames.learn_reference(grays[:8])
    baseline = frames.learn_baseline(grays[:8], reference)
    signature = frames.reference_signature(reference)
    states, previous = {}, None
    for t, gray in samples:
        features = frames.frame_features(gray, previous, signature, baseline.change_level)
        states[t], previous = frames.classify_frame(features, baseline), gray
    return states


@pytest.mark.parametrize("state", ["black", "frozen", "covered", "blurred", "moved"])
def test_every_frame_inside_a_fault_shows_it(state):
    spec = ClipSpec(f"k_{state}", seed=5, seconds=20, fps=2, faults=(Fault(state, 10, 16),),
                    lights_at=100)
    states = _states(spec)
    inside = [states[t] for t in range(11, 16)]  # the fault's first frame may repeat the last
    assert inside == [state] * 5
    assert set(states[t] for t in range(0, 10)) == {"ok"}


def test_lights_dimmed_by_half_and_people_walking_stay_ok():
    spec = ClipSpec("k_clean", seed=9, seconds=30, fps=2, people=2, lights_gain=0.5,
                    lights_at=12)
    assert set(_states(spec).values()) == {"ok"}


def test_view_agreement_ignores_brightness_and_sees_a_shift():
    spec = ClipSpec("k_view", seed=3, seconds=2, fps=1)
    gray = next(render_frames(spec))[1]
    reference = frames.reference_signature(gray)
    darker = (gray * 0.4).astype(np.uint8)
    shifted = np.roll(gray, 40, axis=1)
    assert frames.view_agreement(frames.view_signature(frames.coarse_view(darker)),
                                 reference) > 0.9
    assert frames.view_agreement(frames.view_signature(frames.coarse_view(shifted)),
                                 reference) < 0.3


def test_baseline_round_trips_through_a_dict():
    baseline = Baseline(100.0, 40.0, 10.0, 0.25, 0.5, 0.9, 1.0)
    assert Baseline.from_dict(baseline.to_dict()) == baseline


def test_a_baseline_stored_before_change_levels_keeps_the_old_level():
    stored = Baseline(100.0, 40.0, 10.0, 0.25, 0.5, 0.9).to_dict()
    del stored["change_level"]
    assert Baseline.from_dict(stored).change_level == frames.CHANGE_LEVEL


def _noisy_still_frames(sigma: float, count: int = 8) -> list[np.ndarray]:
    """A still textured picture with fresh Gaussian noise of ``sigma`` levels per frame."""
    rng = np.random.default_rng(4)
    picture = 40 + 20 * rng.random((180, 320))
    return [np.clip(picture + rng.normal(0, sigma, picture.shape), 0, 255).astype(np.uint8)
            for _ in range(count)]


@pytest.mark.parametrize(("sigma", "level"), [(3.0, 4), (1.0, 1)])
def test_the_change_level_follows_the_camera_s_own_noise(sigma, level):
    # 3 levels: a 320x180 sub-stream's noise; 1 level: a 720p main stream shrunk 4x.
    still = _noisy_still_frames(sigma)
    baseline = frames.learn_baseline(still, frames.learn_reference(still))
    assert baseline.change_level == level
    signature = frames.reference_signature(frames.learn_reference(still))
    live = frames.frame_features(still[-1], still[-2], signature, baseline.change_level)
    repeated = frames.frame_features(still[-1], still[-1], signature, baseline.change_level)
    assert frames.classify_frame(live, baseline) == "ok"
    assert frames.classify_frame(repeated, baseline) == "frozen"


def test_to_analysis_gray_scales_colour_frames():
    colour = np.zeros((720, 1280, 3), np.uint8)
    assert frames.to_analysis_gray(colour).shape == (180, 320)


def test_one_odd_sample_changes_nothing():
    tracker = StateTracker(start=0.0)
    closed = []
    for t, state in enumerate(["ok", "moved", "ok", "ok", "blurred", "blurred", "ok"]):
        closed += tracker.observe(float(t), state)
    assert closed == [] and tracker.state == "ok"


def test_a_confirmed_fault_is_dated_back_to_its_first_sample():
    tracker = StateTracker(start=0.0)
    closed = []
    for t, state in enumerate(["ok"] * 5 + ["covered"] * 4 + ["ok"] * 3):
        closed += tracker.observe(float(t), state)
    closed += tracker.cut(12.0)
    assert closed == [Span(0.0, 5.0, "ok"), Span(5.0, 9.0, "covered"), Span(9.0, 12.0, "ok")]


def test_no_signal_is_taken_at_once_and_cuts_keep_the_state():
    tracker = StateTracker(start=100.0)
    assert tracker.force(130.0, "no_signal") == [Span(100.0, 130.0, "ok")]
    assert tracker.cut(160.0) == [Span(130.0, 160.0, "no_signal")]
    assert tracker.cut(160.0) == []


def test_merge_spans_joins_touching_spans_of_one_state():
    spans = [Span(0, 1, "ok"), Span(1, 2, "ok"), Span(2, 2, "black"), Span(2, 3, "black")]
    assert frames.merge_spans(spans) == [Span(0, 2, "ok"), Span(2, 3, "black")]
