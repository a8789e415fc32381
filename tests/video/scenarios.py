"""Random and adversarial coverage cases shared by the oracle tests and the CSV test."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

T0 = 1_704_430_800_000  # 2024-01-05T05:00:00Z in ms
MIN = 60_000

# state per recording, as the CSV contract has it; only ok covers
FAULTS = ["black", "frozen", "covered", "blurred", "moved", "no_signal", "gap"]


@dataclass
class Case:
    stays: list[tuple[int, int, int, int]] = field(default_factory=list)  # id, room, s, e
    camera_rooms: list[tuple[int, int]] = field(default_factory=list)
    recordings: list[tuple[int, int, int, str]] = field(default_factory=list)  # cam, s, e, st

    @property
    def ok(self) -> list[tuple[int, int, int]]:
        return [(c, s, e) for c, s, e, state in self.recordings if state == "ok"]


def random_case(rng: random.Random, *, rooms: int = 6, cameras: int = 8, stays: int = 30,
                recordings: int = 60, span_ms: int = 600 * MIN) -> Case:
    case = Case()
    for camera in range(cameras):
        for room in rng.sample(range(rooms), rng.randint(0, min(3, rooms))):
            case.camera_rooms.append((camera, room))
    for _ in range(recordings):
        s = T0 + rng.randint(0, span_ms)
        e = s + rng.choice([1, 7, MIN, rng.randint(1, span_ms // 4)])
        state = "ok" if rng.random() < 0.7 else rng.choice(FAULTS)
        case.recordings.append((rng.randrange(cameras), s, e, state))
    for stay in range(stays):
        s = T0 + rng.randint(-MIN, span_ms)
        case.stays.append((stay, rng.randrange(rooms + 1), s, s + rng.randint(1, span_ms // 3)))
    return case


def adversarial_cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    # Touching recordings: no gap at the seams, on one camera and across two cameras.
    cases["touching"] = Case(
        stays=[(1, 0, T0, T0 + 30 * MIN)],
        camera_rooms=[(0, 0), (1, 0)],
        recordings=[(0, T0 - MIN, T0 + 10 * MIN, "ok"), (0, T0 + 10 * MIN, T0 + 12 * MIN, "ok"),
                    (1, T0 + 12 * MIN, T0 + 29 * MIN, "ok"), (1, T0 + 29 * MIN, T0 + 40 * MIN,
                                                              "frozen")])
    # Nested recordings, one inside another, and a stay nested in one recording.
    cases["nested"] = Case(
        stays=[(1, 0, T0, T0 + 60 * MIN), (2, 0, T0 + 5 * MIN, T0 + 6 * MIN)],
        camera_rooms=[(0, 0), (1, 0)],
        recordings=[(0, T0 + MIN, T0 + 50 * MIN, "ok"), (1, T0 + 2 * MIN, T0 + 3 * MIN, "ok"),
                    (1, T0 + 4 * MIN, T0 + 55 * MIN, "ok")])
    # Zero coverage: only faults, a camera on another room, a room with no camera at all.
    cases["zero"] = Case(
        stays=[(1, 0, T0, T0 + MIN), (2, 1, T0, T0 + MIN), (3, 2, T0, T0 + 1)],
        camera_rooms=[(0, 0), (1, 3)],
        recordings=[(0, T0, T0 + MIN, "black"), (1, T0, T0 + MIN, "ok")])
    # Many cameras in one room, each covering a sliver, 1 ms apart.
    cases["many_cameras"] = Case(
        stays=[(1, 0, T0, T0 + 200)],
        camera_rooms=[(c, 0) for c in range(50)],
        recordings=[(c, T0 + 4 * c, T0 + 4 * c + 3, "ok") for c in range(50)])
    # One camera covering many rooms (a corridor camera seeing ten cells).
    cases["wide_camera"] = Case(
        stays=[(r, r, T0 + r * MIN, T0 + (r + 5) * MIN) for r in range(10)],
        camera_rooms=[(0, r) for r in range(10)],
        recordings=[(0, T0 + 3 * MIN, T0 + 9 * MIN, "ok"), (0, T0 + 11 * MIN, T0 + 12 * MIN,
                                                           "ok")])
    return cases
