"""The live relay: a transparent interrogation room's camera, as JPEG frames, to the centre.

The agent asks the centre every ``probe_seconds`` whether the camera is wanted (an
interrogation in a room it covers is going on); only then does it open the stream, decode
it, and send a downscaled JPEG a few times a second (``POST /api/live/cameras/CODE/frame``
with its facility-bound token). When the centre answers that the camera is no longer
wanted, the stream is closed: no picture leaves the facility outside an interrogation.
Browsers never reach a camera; they fetch the latest frame from the centre.
Standard library, PyAV and OpenCV only: no Django.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import av
import av.error
import cv2

from custodywatch.agent.decode import OPEN_TIMEOUT_SECONDS, URL_SCHEMES
from custodywatch.agent.sender import USER_AGENT, Backoff

log = logging.getLogger("custodywatch.agent.relay")

API_PREFIX = "/api/live/cameras/"


class RelayError(Exception):
    """The centre could not be reached, or refused (the message says which)."""


@dataclass(frozen=True)
class RelaySettings:
    width: int = 640  # frames wider than this are scaled down (height follows)
    quality: int = 70  # JPEG quality, 1-100
    probe_seconds: float = 5.0  # how often to ask while nobody may watch
    timeout: float = 10.0


@dataclass(frozen=True)
class Answer:
    wanted: bool
    stored: bool
    next_seconds: float


@dataclass
class RelayClient:
    centre_url: str
    token: str
    timeout: float = 10.0

    def _url(self, camera: str, what: str) -> str:
        return (self.centre_url.rstrip("/") + API_PREFIX + urllib.parse.quote(camera, safe="")
                + "/" + what)

    def _call(self, request: urllib.request.Request) -> Answer:
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("User-Agent", USER_AGENT)
        try:
            # noqa below: the configured centre URL; agent/config.py accepts http(s) only
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:200]
            raise RelayError(f"{request.full_url}: HTTP {error.code}: {detail}") from error
        except (urllib.error.URLError, OSError, TimeoutError, ValueError) as error:
            raise RelayError(f"{request.full_url}: {error}") from error
        return Answer(bool(data.get("wanted")), bool(data.get("stored")),
                      float(data.get("next_seconds", 5.0)))

    def wanted(self, camera: str) -> Answer:
        # noqa below: the configured centre URL; agent/config.py accepts http(s) only
        return self._call(urllib.request.Request(self._url(camera, "wanted")))  # noqa: S310

    def send(self, camera: str, jpeg: bytes) -> Answer:
        request = urllib.request.Request(  # noqa: S310 - the configured centre, http(s) only
            self._url(camera, "frame"), data=jpeg, method="POST",
            headers={"Content-Type": "image/jpeg"})
        return self._call(request)


def encode_jpeg(frame: av.VideoFrame, width: int, quality: int) -> bytes:
    """The frame in colour, no wider than ``width``, as a JPEG."""
    scale = min(1.0, width / max(frame.width, 1))
    target_width = max(2, int(frame.width * scale) // 2 * 2)
    target_height = max(2, int(frame.height * scale) // 2 * 2)
    image = frame.to_ndarray(format="bgr24", width=target_width, height=target_height)
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RelayError("JPEG encoding failed")
    return buffer.tobytes()


@dataclass
class CameraRelay:
    """One camera: probe while unwanted, relay while wanted, reconnect with back-off."""

    camera: str
    url: str
    client: RelayClient
    stop: threading.Event
    settings: RelaySettings = RelaySettings()
    pace: bool = True  # a file stands in for a camera: read it at the speed of time
    sent: int = 0

    def is_live(self) -> bool:
        return self.url.startswith(URL_SCHEMES)

    def _open(self) -> av.container.InputContainer:
        options = {}
        if self.url.startswith(("rtsp://", "rtsps://")):
            options = {"rtsp_transport": "tcp", "timeout": str(int(OPEN_TIMEOUT_SECONDS * 1e6))}
        try:
            return av.open(self.url, options=options, timeout=OPEN_TIMEOUT_SECONDS)
        except (av.error.FFmpegError, OSError) as error:
            raise RelayError(f"{self.url}: cannot open: {error}") from error

    def relay_stream(self) -> bool:
        """Relay until unwanted, stopped or the stream ends; True when the centre said stop."""
        container = self._open()
        try:
            stream = container.streams.video[0]
            anchor: float | None = None
            next_send = 0.0
            for frame in container.decode(stream):
                if self.stop.is_set():
                    return False
                if frame.time is not None and self.pace and not self.is_live():
                    if anchor is None:
                        anchor = time.monotonic() - frame.time
                    delay = anchor + frame.time - time.monotonic()
                    if delay > 0 and self.stop.wait(delay):
                        return False
                if time.monotonic() < next_send:
                    continue
                answer = self.client.send(self.camera, encode_jpeg(
                    frame, self.settings.width, self.settings.quality))
                self.sent += answer.stored
                if not answer.wanted:
                    return True
                next_send = time.monotonic() + answer.next_seconds
        except av.error.FFmpegError as error:
            raise RelayError(f"{self.url}: {error}") from error
        finally:
            container.close()
        return False

    def run(self) -> None:
        backoff = Backoff(first=1.0, cap=60.0)
        while not self.stop.is_set():
            try:
                answer = self.client.wanted(self.camera)
                if not answer.wanted:
                    backoff.reset()
                    self.stop.wait(max(answer.next_seconds, self.settings.probe_seconds))
                    continue
                log.info("camera %s: live view wanted; relaying", self.camera)
                if self.relay_stream():
                    log.info("camera %s: live view no longer wanted", self.camera)
                    backoff.reset()
                    continue
                delay = backoff.next_delay()
                log.info("camera %s: stream ended; again in %.0f s", self.camera, delay)
            except RelayError as error:
                delay = backoff.next_delay()
                log.warning("camera %s: live relay: %s; again in %.0f s", self.camera, error,
                            delay)
            self.stop.wait(delay)
