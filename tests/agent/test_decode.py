"""The sparse decoder on main-stream-like H.264 (B-frames, deblocking filter): the cheap paths
(no loop filter on key frames, luma shrunk by halvings) keep the picture the classifier
reads, the every-frame fallback decodes as a plain decoder does, and the decoder's
reordering delay does not hide a gap in the stream."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from custodywatch.agent.analyze import analyze_video
from custodywatch.agent.decode import LIMITED_TO_FULL, VideoSource, shrink_luma
from custodywatch.kernels.frames import ANALYSIS_SIZE, NO_SIGNAL
from tests.agent.scenes import ClipSpec, ffmpeg_path, write_clip
from tests.conftest import require_or_skip


@pytest.fixture(scope="module")
def clip_directory(tmp_path_factory):
    require_or_skip(ffmpeg_path() is not None, "ffmpeg is not installed")
    return tmp_path_factory.mktemp("decode_clips")


def _plain_decode(path) -> dict[float, np.ndarray]:
    """Every frame by a default decoder (loop filter on), shrunk by one area resize."""
    pictures = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            plane = frame.planes[0]
            luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
            small = cv2.resize(luma[:, : plane.width], ANALYSIS_SIZE,
                               interpolation=cv2.INTER_AREA)
            pictures[round(float(frame.pts * stream.time_base), 3)] = cv2.LUT(
                small, LIMITED_TO_FULL)
    return pictures


@pytest.mark.parametrize("size", [(1280, 720), (640, 360), (1920, 1080), (320, 180),
                                  (704, 576), (1281, 721)])
def test_shrinking_by_halvings_is_the_area_resize_within_a_level(size):
    rng = np.random.default_rng(size[0])
    width, height = size
    luma = rng.integers(0, 256, (height, width + 64), dtype=np.uint8)[:, :width]  # a stride
    ours = shrink_luma(luma)
    plain = cv2.resize(luma, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA)
    assert ours.shape == plain.shape == (ANALYSIS_SIZE[1], ANALYSIS_SIZE[0])
    assert ours.dtype == np.uint8 and ours.flags.c_contiguous
    assert int(np.abs(ours.astype(int) - plain).max()) <= 1


def test_the_shrunk_picture_is_not_a_view_of_the_decoders_buffer():
    luma = np.zeros((ANALYSIS_SIZE[1], ANALYSIS_SIZE[0]), np.uint8)
    ours = shrink_luma(luma)
    luma[:] = 200
    assert int(ours.max()) == 0


def test_key_frames_without_the_loop_filter_stay_close_to_the_filtered_picture(
        clip_directory):
    spec = ClipSpec("main_720p", seed=5, seconds=6, fps=5, width=1280, height=720, people=2)
    path = write_clip(spec, clip_directory, preset="veryfast")
    plain = _plain_decode(path)
    source = VideoSource(str(path))
    samples = list(source.samples())
    assert [round(s.at, 3) for s in samples] == [float(t) for t in range(6)]
    for sample in samples:
        difference = np.abs(sample.gray.astype(int) - plain[round(sample.at, 3)])
        assert difference.mean() < 1.5, "block edges left unfiltered, averaged away by 4x"
        assert cv2.Laplacian(sample.gray, cv2.CV_64F).var() == pytest.approx(
            cv2.Laplacian(plain[round(sample.at, 3)], cv2.CV_64F).var(), rel=0.25)


def test_rare_key_frames_fall_back_to_every_frame_decoded_as_a_plain_decoder_does(
        clip_directory):
    spec = ClipSpec("rare_keys", seed=6, seconds=24, fps=5, width=640, height=360)
    path = write_clip(spec, clip_directory, preset="veryfast", key_seconds=8.0)
    plain = _plain_decode(path)
    source = VideoSource(str(path))
    samples = list(source.samples())
    times = [round(s.at, 3) for s in samples]
    # Key frames at 0, 8 and 16 s: 5 s after the first, every frame from the next key on
    # (the first key frame, still held back for reordering, is not lost), one a second.
    assert times[0] == 0.0
    assert times[1:] == pytest.approx([8.0 + n for n in range(16)], abs=0.21)
    assert source.counters.decoded == 1 + 16 * spec.fps
    for sample in samples[1:]:
        difference = np.abs(sample.gray.astype(int) - plain[round(sample.at, 3)])
        assert int(difference.max()) <= 2, "predicted frames decoded with the loop filter"


def test_a_gap_in_a_stream_with_b_frames_is_no_signal(clip_directory):
    spec = ClipSpec("gap_b_frames", seed=30, seconds=30, fps=5, gap=(12.0, 20.0))
    path = write_clip(spec, clip_directory, preset="veryfast")
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.has_b_frames > 0  # reordering delay
    result = analyze_video(str(path))
    gaps = [span for span in result.spans if span.state == NO_SIGNAL]
    assert len(gaps) == 1
    assert gaps[0].start == pytest.approx(12.0, abs=1.0)
    assert gaps[0].end == pytest.approx(20.0, abs=1.0)
