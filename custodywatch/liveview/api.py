"""Live frames: agents send a room camera's JPEG frames (their own facility's cameras only,
and only while an interrogation in a transparent room it covers is going on); a viewer's
page fetches the latest one with the cookie its link set (no token: the link is the key).

- ``GET  /api/live/cameras/{camera}/wanted``: should the agent send this camera now?
- ``POST /api/live/cameras/{camera}/frame``: body one JPEG (``Content-Type: image/jpeg``).
  Both answer ``{"wanted": bool, "stored": bool, "next_seconds": float}``.
- ``GET  /api/live/viewers/{viewer_id}/frame?watching=N``: the latest JPEG, 204 while
  there is none, 403 or 410 (ended) when the viewer may not watch.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Path, Router, Schema

from custodywatch.accounts.http import AuthedRequest, Request
from custodywatch.liveview import frames, services
from custodywatch.liveview.models import Watching
from custodywatch.liveview.services import LinkRefused, Refusal
from custodywatch.liveview.views import browser_secret

router = Router(tags=["liveview"])

CameraCode = Path(..., max_length=40, description="Camera code in the agent's facility")


class FrameOut(Schema):
    wanted: bool
    stored: bool
    next_seconds: float


def _camera(request: AuthedRequest, camera: str, facility: str):
    return services.camera_for_agent(acting_user=request.user,
                                     origin=request.origin,
                                     token=getattr(request, "machine_token", None),
                                     camera_code=camera, facility_code=facility)


@router.get("/cameras/{camera}/wanted", response=FrameOut)
def live_camera_wanted(request: AuthedRequest, camera: str = CameraCode,
                       facility: str = ""):
    return services.camera_wanted(camera=_camera(request, camera, facility))


@router.post("/cameras/{camera}/frame", response=FrameOut)
def live_frame_post(request: AuthedRequest, camera: str = CameraCode,
                    facility: str = ""):
    return services.frame_receive(camera=_camera(request, camera, facility), data=request.body)


@router.get("/viewers/{viewer_id}/frame", auth=None)
def live_viewer_frame(request: Request, viewer_id: int,
                      watching: int = 0):
    """The latest picture of the viewer's room, for the page its link opened."""
    try:
        viewer = services.viewer_for_browser(viewer_id=viewer_id,
                                             browser_secret=browser_secret(request, viewer_id))
    except LinkRefused as refusal:
        return JsonResponse({"detail": refusal.reason},
                            status=410 if refusal.reason == Refusal.ENDED else 403)
    current = Watching.objects.filter(pk=watching, viewer=viewer, ended_at__isnull=True).first()
    if current is None:  # the page was left or replaced: it must open a new watching
        return JsonResponse({"detail": "watching ended"}, status=403)
    room = viewer.session.interrogation.room
    frame = frames.frame_latest([camera.pk for camera in room.cameras.filter(is_active=True)])
    services.watching_frame(watching=current)
    if frame is None or (timezone.now() - frame.received_at).total_seconds() > (
            services.gap_seconds()):
        return HttpResponse(status=204, headers={"Cache-Control": "no-store"})
    headers = {"Cache-Control": "no-store", "ETag": frame.etag,
               "X-Frame-Time": frame.received_at.isoformat()}
    if request.headers.get("If-None-Match") == frame.etag:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(frame.data, content_type="image/jpeg", headers=headers)
