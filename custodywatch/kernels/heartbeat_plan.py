"""The plan of a heartbeat batch (issue 26 item 5): pure, between the checks of the batch
(video.services, which validate) and the writes (video.services, which apply).

Times are integer epoch milliseconds. Per camera only the newest beat of the batch counts; a
beat no newer than the stored one is a replay and changes nothing (a re-sent batch writes
nothing). A camera heard of again after a silence closes the silence the sweep recorded, or,
when it was silent longer than the grace and no sweep noticed, gets the silence recorded now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Beat:
    at_ms: int
    state: str
    disk_full: bool = False


@dataclass(frozen=True)
class StoredHealth:
    """What the centre holds of a camera's health."""

    last_ms: int
    reported_state: str
    silent: bool = False
    silence_span: int | None = None  # the open no-signal span the sweep wrote


@dataclass(frozen=True)
class HealthUpdate:
    camera: int
    beat: Beat
    state_since_reset: bool  # the state changed, or the camera was silent: it starts now


@dataclass
class HeartbeatPlan:
    creates: list[tuple[int, Beat]] = field(default_factory=list)
    updates: list[HealthUpdate] = field(default_factory=list)
    silences: list[tuple[int, int, int]] = field(default_factory=list)  # camera, start, end
    closed_silences: list[tuple[int, int]] = field(default_factory=list)  # span id, end
    replays: int = 0
    # The newest applied beat's (time, disk flag): what the agent last said of its disk.
    agent_said: tuple[int, bool] | None = None


def newest_beats(beats: Iterable[tuple[int, Beat]]) -> dict[int, Beat]:
    """The newest beat of each camera (of two at the same moment, the later in the batch)."""
    newest: dict[int, Beat] = {}
    for camera, beat in beats:
        if camera not in newest or newest[camera].at_ms <= beat.at_ms:
            newest[camera] = beat
    return newest


def plan_heartbeats(newest: Mapping[int, Beat], stored: Mapping[int, StoredHealth],
                    grace_ms: int) -> HeartbeatPlan:
    plan = HeartbeatPlan()
    for camera, beat in newest.items():
        health = stored.get(camera)
        if health is not None and beat.at_ms <= health.last_ms:
            plan.replays += 1
            continue
        if plan.agent_said is None or plan.agent_said[0] <= beat.at_ms:
            plan.agent_said = (beat.at_ms, beat.disk_full)
        if health is None:
            plan.creates.append((camera, beat))
            continue
        if health.silent and health.silence_span is not None:
            plan.closed_silences.append((health.silence_span, beat.at_ms))
        elif beat.at_ms - health.last_ms > grace_ms:
            # Silent and back before any sweep noticed: record the silence all the same.
            plan.silences.append((camera, health.last_ms, beat.at_ms))
        plan.updates.append(HealthUpdate(
            camera, beat, beat.state != health.reported_state or health.silent))
    return plan
