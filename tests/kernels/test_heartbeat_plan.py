"""The plan of a heartbeat batch (kernels.heartbeat_plan): pure, no database."""

from __future__ import annotations

from custodywatch.kernels.heartbeat_plan import (
    Beat,
    HealthUpdate,
    StoredHealth,
    newest_beats,
    plan_heartbeats,
)

GRACE = 60_000


def test_only_the_newest_beat_of_a_camera_counts():
    newest = newest_beats([(1, Beat(5, "ok")), (1, Beat(9, "black")), (1, Beat(7, "ok")),
                           (2, Beat(3, "ok")), (2, Beat(3, "frozen"))])
    assert newest == {1: Beat(9, "black"), 2: Beat(3, "frozen")}


def test_a_new_camera_is_created_and_a_re_sent_beat_is_a_replay():
    plan = plan_heartbeats({1: Beat(1_000, "ok", True), 2: Beat(500, "ok")},
                           {2: StoredHealth(500, "ok")}, GRACE)
    assert plan.creates == [(1, Beat(1_000, "ok", True))]
    assert (plan.updates, plan.replays, plan.agent_said) == ([], 1, (1_000, True))


def test_a_camera_back_from_silence_closes_or_records_it():
    stored = {1: StoredHealth(0, "ok", silent=True, silence_span=77),
              2: StoredHealth(0, "ok"), 3: StoredHealth(0, "ok")}
    plan = plan_heartbeats({1: Beat(90_000, "ok"), 2: Beat(90_000, "ok"),
                            3: Beat(30_000, "black")}, stored, GRACE)
    assert plan.closed_silences == [(77, 90_000)]
    assert plan.silences == [(2, 0, 90_000)]  # silent past the grace, no sweep noticed
    assert plan.updates == [HealthUpdate(1, Beat(90_000, "ok"), True),
                            HealthUpdate(2, Beat(90_000, "ok"), False),
                            HealthUpdate(3, Beat(30_000, "black"), True)]
