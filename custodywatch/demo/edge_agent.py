"""A real edge agent beside the served demo, for cameras of the demo's home facility.

``custodywatch demo`` renders a clip for each of that facility's first cameras (custodywatch/demo/
footage.py: one camera's lens covered), writes an agent configuration with a fresh token of
the facility's agent account and runs ``custodywatch agent run`` on it as a child process.
The agent reads the clips at the speed of time, over and over, judges every picture and
reports heartbeats, state spans and the room markers it decodes (each clip shows the marker
of the rooms its camera covers, so the cameras prove their rooms) to the demo's own web
server, as in a facility. The
camera wall of that facility therefore shows what the agent found in real video for those
cameras; the other cameras keep the stand-in of video/demo.py. The recorder is still played
by the demo (recording runs), since the clips are not the recorder's files.

When the demo's escrow store runs (the embedded SeaweedFS), each clip is also laid down as a
finished recorder segment of its camera, and the agent escrows those of custody-area cameras:
sealed for the centre's key, uploaded, checked by the centre (docs/escrow.md).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import Role, User
from custodywatch.accounts.services import token_create
from custodywatch.core.processes import spawn_tied_to_this_process
from custodywatch.demo.footage import ClipPlan, write_footage
from custodywatch.escrow import keys as escrow_keys
from custodywatch.escrow import store as escrow_store
from custodywatch.registry.models import Camera, Facility

MAX_CAMERAS = 8  # a few cameras show the idea; each costs a little CPU while served
CLIP_SECONDS = 120.0


@dataclass(frozen=True)
class DemoAgent:
    facility: Facility
    config_path: Path
    log_path: Path
    cameras: list[tuple[str, str]]  # (camera code, fault rendered or "")
    camera_ids: list[int]


def agent_facility() -> Facility | None:
    """The facility of the demo's agent account (the home facility of the staff logins)."""
    agent = User.objects.filter(role=Role.EDGE_AGENT, facility__isnull=False,
                                username__startswith="agent-").order_by("pk").first()
    return agent.facility if agent else None


def prepare(*, centre_url: str, folder: Path | None = None,
            seconds: float = CLIP_SECONDS) -> DemoAgent | None:
    """Footage, token and configuration for the agent; None without an agent account."""
    facility = agent_facility()
    if facility is None:
        return None
    folder = folder or Path(settings.VAR_DIR) / "demo-agent"
    chosen = list(Camera.objects.filter(facility=facility, is_active=True)
                  .order_by("code").values_list("pk", "code")[:MAX_CAMERAS])
    cameras = [code for _pk, code in chosen]
    markers = room_markers([pk for pk, _code in chosen])
    # The last camera's lens is covered: the wall shows a fault found in the picture (and
    # its room's marker is not seen).
    plans = [ClipPlan(code, seed=n + 1, fault="covered" if n == len(cameras) - 1 else "",
                      markers=markers.get(pk, ()))
             for n, (pk, code) in enumerate(chosen)]
    clips = write_footage(plans, folder / "footage", seconds=seconds)
    agent = User.objects.get(role=Role.EDGE_AGENT, facility=facility,
                             username__startswith="agent-")
    raw, _token = token_create(acting_user=None, origin=SYSTEM_ORIGIN, user=agent)
    config_path = folder / "agent.toml"
    lines = ["# Written by `custodywatch demo` for its edge agent; a new token each serve.",
             "[centre]", f"url = {json.dumps(centre_url)}", f"token = {json.dumps(raw)}",
             f"facility = {json.dumps(facility.code)}", "",
             "[agent]", f"state_dir = {json.dumps(str(folder / 'state'))}",
             "report_seconds = 10", "heartbeat_seconds = 10", "segment_scan_seconds = 5",
             "markers_every = 5  # a marker search costs little on these 320x180 clips", ""]
    escrow = escrow_store.configured()
    if escrow:
        lines += ["[escrow]", f"public_key = {json.dumps(escrow_keys.public_key_b64())}",
                  "interval_seconds = 10", ""]
    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds + 60)
    for plan, clip in zip(plans, clips, strict=True):
        lines += ["[[cameras]]", f"code = {json.dumps(plan.camera)}",
                  f"url = {json.dumps(str(clip))}", "loop = true",
                  # relayed only while someone watches an interrogation in its rooms
                  "live = true"]
        if escrow:
            # The clip as the recorder's finished segment, named by its start time.
            segments = folder / "segments" / plan.camera
            segments.mkdir(parents=True, exist_ok=True)
            target = segments / f"{plan.camera}_{stamp:%Y%m%dT%H%M%S}.mp4"
            if not any(segments.glob("*.mp4")):
                shutil.copyfile(clip, target)
            lines += [f"segments_dir = {json.dumps(str(segments))}"]
        lines += [""]
    config_path.write_text("\n".join(lines))
    config_path.chmod(0o600)  # it holds a token
    return DemoAgent(facility, config_path, folder / "agent.log",
                     [(plan.camera, plan.fault) for plan in plans], [pk for pk, _code in chosen])


def room_markers(camera_ids: list[int]) -> dict[int, tuple[int, ...]]:
    """Per camera, the marker ids of the rooms it covers (in room-code order)."""
    through = Camera.rooms.through
    rows = (through.objects.filter(camera_id__in=camera_ids, room__marker_id__isnull=False)
            .order_by("camera_id", "room__code").values_list("camera_id", "room__marker_id"))
    markers: dict[int, tuple[int, ...]] = {}
    for camera_id, marker in rows:
        if marker is not None:  # all of them (the filter): for the type checker
            markers[camera_id] = (*markers.get(camera_id, ()), marker)
    return markers


def start(agent: DemoAgent) -> subprocess.Popen:
    """``custodywatch agent run`` on the configuration, ended when the demo ends."""
    log = agent.log_path.open("ab")
    return spawn_tied_to_this_process(
        [sys.executable, "-m", "custodywatch.cli", "agent", "run", "--config",
         str(agent.config_path)], log=log)
