"""Sparse decoding with PyAV: key frames only, from the smallest video stream, shrunk to the
classifier's 320x180 gray straight from the luma plane.

Skipping non-key packets before the decoder (and ``skip_frame="NONKEY"`` for decoders that
get them anyway) is about nine times cheaper than decoding every frame; recorders send a key
frame every one to four seconds, enough for health. Where key frames are rarer than
``max_keyframe_gap`` the reader falls back to decoding every frame and keeping one per
``sample_seconds``.

Per 1280x720 H.264 key frame (x264 veryfast, one core: ~4.9 ms before, ~3.8 ms after): the
decoder skips its in-loop deblocking filter (~0.7 ms; see ``KEY_FRAME_DECODER_OPTIONS``) and
the luma plane is shrunk by exact halvings (``shrink_luma``: 0.04 ms against 0.28 ms for one
area resize, the same picture to within a level). What is left is the decoder's own work on
the key frame (~3.5 ms); bench/README.md, "agent_e2e", has the measurements.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import av
import av.error
import cv2
import numpy as np
from av.video.codeccontext import VideoCodecContext

from custodywatch.kernels.frames import ANALYSIS_SIZE

# The in-loop deblocking filter smooths block edges so that later frames predicting from a
# picture see it as the encoder did. A sampled key frame is decoded for the classifier only,
# which reads it shrunk 4x (detail 16x, on its 80x45 view): no decoded frame predicts from
# it, and the filter costs ~15 % of a 720p key frame's decode. Frames that others predict
# from (the every-frame fallback) are decoded by a fresh decoder that filters.
KEY_FRAME_DECODER_OPTIONS = {"skip_loop_filter": "all"}
MAX_FRAMES_HELD = 64  # more than any decoder's reordering delay
URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
OPEN_TIMEOUT_SECONDS = 10.0


class SourceError(Exception):
    """The source could not be opened or read: for a camera, no signal."""


@dataclass
class DecodeCounters:
    decoded: int = 0  # frames the decoder produced
    analysed: int = 0  # frames handed on (after thinning to the sample interval)


@dataclass(frozen=True)
class Sample:
    at: float  # seconds from the start of the stream
    gray: np.ndarray  # 320x180 uint8
    # The packet before this frame's, key or not: the last sign of life before it, so a
    # gap in the stream is measured from real packets, not from sparse samples.
    previous_packet_at: float | None = None
    # The same frame's luma plane at the stream's own size (limited or full range, as sent),
    # for room markers (kernels/markers.py), which are too small to read at 320x180. A view
    # of the decoder's buffer: read it before asking for the next sample, never keep it.
    luma: np.ndarray | None = None


@dataclass
class VideoSource:
    """One file or stream URL opened for sparse reading."""

    url: str
    sample_seconds: float = 1.0
    max_keyframe_gap: float = 5.0
    counters: DecodeCounters = field(default_factory=DecodeCounters)
    duration: float | None = None  # seconds, when the container knows it (files)

    def is_live(self) -> bool:
        return self.url.startswith(URL_SCHEMES)

    def _open(self) -> av.container.InputContainer:
        if not self.is_live() and not os.path.exists(self.url):
            raise FileNotFoundError(self.url)
        options = {}
        if self.url.startswith(("rtsp://", "rtsps://")):
            # TCP: no smeared frames from lost UDP packets; timeout in microseconds.
            options = {"rtsp_transport": "tcp", "timeout": str(int(OPEN_TIMEOUT_SECONDS * 1e6))}
        try:
            return av.open(self.url, options=options, timeout=OPEN_TIMEOUT_SECONDS)
        except (av.error.FFmpegError, OSError) as error:
            raise SourceError(f"{self.url}: cannot open: {error}") from error

    def samples(self) -> Iterator[Sample]:
        """Sampled frames in time order until the stream ends; SourceError if it breaks."""
        container = self._open()
        try:
            if not container.streams.video:
                raise SourceError(f"{self.url}: no video stream")
            # The sub-stream: the smallest picture is the cheapest to decode.
            stream = min(container.streams.video,
                         key=lambda s: (s.codec_context.width or 0) * (s.codec_context.height or 0))
            stream.thread_type = "NONE"  # one core per camera: many cameras, not one fast one
            stream.codec_context.skip_frame = "NONKEY"
            stream.codec_context.options = dict(KEY_FRAME_DECODER_OPTIONS)
            if container.duration is not None:
                self.duration = container.duration / av.time_base
            yield from self._read(container, stream)
        except av.error.FFmpegError as error:
            raise SourceError(f"{self.url}: {error}") from error
        finally:
            container.close()

    def _read(self, container: av.container.InputContainer,
              stream: av.video.stream.VideoStream) -> Iterator[Sample]:
        time_base = stream.time_base or Fraction(1, 90000)
        # Seconds as float(stamp * time_base), without a Fraction per packet (25 a second):
        # an integer product then one correctly rounded division gives the same float.
        numerator, denominator = time_base.numerator, time_base.denominator

        def seconds(stamp: int) -> float:
            return stamp * numerator / denominator

        origin: float | None = None
        if stream.start_time is not None:
            origin = seconds(stream.start_time)
        keyframes_only = True
        all_frames_from_next_key = False
        last_key: float | None = None
        last_packet: float | None = None
        previous_packet: float | None = None
        next_sample = -np.inf
        decoder: VideoCodecContext = stream.codec_context
        # A decoder holds frames back to reorder them (B-frames: two key frames when fed
        # only those), so each frame's previous packet is looked up by its time stamp.
        previous_by_stamp: dict[int, float | None] = {}
        for packet in container.demux(stream):
            held_back: list[av.VideoFrame] = []
            stamp = packet.pts if packet.pts is not None else packet.dts
            if stamp is not None:  # else the demuxer's last packet: it flushes the decoder
                if origin is None:
                    origin = seconds(stamp)
                packet_at = seconds(stamp) - origin
                previous_packet, last_packet = last_packet, packet_at
                if packet.is_keyframe:
                    last_key = packet_at
                    if all_frames_from_next_key:
                        # Key frames too rare for health: decode all from here (a clean
                        # start), keep one per interval.
                        keyframes_only, all_frames_from_next_key = False, False
                        held_back = decoder.decode(None)  # key frames kept for reordering
                        decoder = every_frame_decoder(stream)
                elif keyframes_only:
                    if last_key is not None and packet_at - last_key > self.max_keyframe_gap:
                        all_frames_from_next_key = True
                    continue
                previous_by_stamp[stamp] = previous_packet
                if len(previous_by_stamp) > MAX_FRAMES_HELD:  # packets that made no frame
                    del previous_by_stamp[next(iter(previous_by_stamp))]
            for frame in [*held_back, *decoder.decode(packet)]:
                if frame.pts is None or origin is None:
                    continue
                at = seconds(frame.pts) - origin
                before = previous_by_stamp.pop(frame.pts, previous_packet)
                self.counters.decoded += 1
                if at < next_sample:
                    continue
                # A key frame a little early (variable frame rate) still counts as due.
                next_sample = at + 0.9 * self.sample_seconds
                self.counters.analysed += 1
                yield Sample(at, analysis_gray(frame), before, frame_luma(frame))


def every_frame_decoder(stream: av.video.stream.VideoStream) -> VideoCodecContext:
    """A new decoder for every frame from the next key frame on, with its loop filter: the
    stream's own decoder skipped it, and predicted frames built on unfiltered pictures drift
    from what the camera sent."""
    template = stream.codec_context
    decoder = av.CodecContext.create(template.name, "r")
    if not isinstance(decoder, VideoCodecContext):  # a video stream's codec decodes video
        raise TypeError(f"{template.name}: not a video codec")
    decoder.extradata = template.extradata
    decoder.thread_type = "NONE"
    return decoder


# 8-bit video luma is "limited range" (16 black, 235 white) unless marked full.
LIMITED_TO_FULL = np.clip((np.arange(256) - 16) * 255 / 219, 0, 255).round().astype(np.uint8)
PLANAR_LUMA = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
                         "nv12", "nv21", "gray"})
FULL_RANGE = 2  # AVCOL_RANGE_JPEG


def frame_luma(frame: av.VideoFrame) -> np.ndarray | None:
    """The luma plane at full size, without a copy (a view of the decoder's buffer); None
    where the format has no 8-bit luma plane of its own."""
    if frame.format.name not in PLANAR_LUMA:
        return None
    plane = frame.planes[0]
    luma = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return luma[:, : plane.width]


def analysis_gray(frame: av.VideoFrame) -> np.ndarray:
    """The frame as 320x180 full-range gray. For YUV the luma plane already is the gray
    picture: shrinking it with OpenCV's area filter costs a fraction of a colour conversion."""
    name = frame.format.name
    luma = frame_luma(frame)
    if luma is None:
        width, height = ANALYSIS_SIZE
        return frame.reformat(width=width, height=height, format="gray").to_ndarray()
    small = shrink_luma(luma)
    if name != "gray" and not name.startswith("yuvj") and frame.color_range != FULL_RANGE:
        small = cv2.LUT(small, LIMITED_TO_FULL)
    return small


def shrink_luma(luma: np.ndarray) -> np.ndarray:
    """``luma`` as ANALYSIS_SIZE by area averaging. While the picture is an even multiple of
    the target (1280x720: twice), it is first halved by 2x2 averages, which OpenCV runs on a
    fast path: a box of boxes is the same box, so the result is the single area resize's to
    within one level of rounding, at a sixth of its cost."""
    width, height = ANALYSIS_SIZE
    while luma.shape[1] % (2 * width) == 0 and luma.shape[0] % (2 * height) == 0:
        luma = cv2.resize(luma, (luma.shape[1] // 2, luma.shape[0] // 2),
                          interpolation=cv2.INTER_AREA)
    # Already the size (a 320x180 stream, or after the halvings): resize copies, so the
    # result is never a view of the decoder's buffer.
    return cv2.resize(luma, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA)
