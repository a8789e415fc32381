"""Demo live-view rows: viewers and their viewings of interrogations in transparent rooms,
and a few picture gaps. Demo viewers carry the hash of a code nobody knows: no demo link
opens anything (docs/liveview.md)."""

from __future__ import annotations

import datetime as dt
import random

from custodywatch.custody.models import Interrogation
from custodywatch.liveview import codes
from custodywatch.liveview.models import FeedGap, Relationship, Viewer, ViewingSession, Watching
from custodywatch.registry.models import Room

LIMIT = 400  # the latest interrogations in transparent rooms get a session
NAMES = ["Ахметова Гульнара", "Ким Ольга", "Сейткали Марат", "Иванова Анна", "Нурланов Ерлан"]


def build_liveview(*, rng: random.Random, now: dt.datetime) -> int:
    """Sessions for the latest interrogations in transparent rooms; returns how many."""
    interrogations = list(Interrogation.objects.filter(
        room__kind=Room.Kind.TRANSPARENT_INTERROGATION, started_at__lte=now
    ).order_by("-started_at", "-pk")[:LIMIT])
    sessions = ViewingSession.objects.bulk_create([
        ViewingSession(interrogation=item, opened_at=item.started_at) for item in interrogations])
    viewers, gaps = [], []
    for session, item in zip(sessions, interrogations, strict=True):
        for _ in range(rng.randint(1, 2)):
            bound = item.started_at + dt.timedelta(minutes=rng.randint(1, 5))
            viewers.append(Viewer(
                session=session, full_name=rng.choice(NAMES),
                relationship=rng.choice(Relationship.values),
                code_hash=codes.digest(codes.new_code() + "demo"), created_at=item.started_at,
                bound_at=bound, browser_hash=codes.digest(codes.new_browser_secret())))
        if rng.random() < 0.1:
            lost = item.started_at + dt.timedelta(minutes=rng.randint(2, 20))
            back = lost + dt.timedelta(seconds=rng.randint(20, 300))
            if item.ended_at is None or back < item.ended_at:
                gaps.append(FeedGap(interrogation=item, started_at=lost, ended_at=back,
                                    detected_at=lost + dt.timedelta(seconds=20),
                                    mailed_at=lost + dt.timedelta(seconds=25)))
    viewers = Viewer.objects.bulk_create(viewers)
    watchings = []
    for viewer in viewers:
        start = viewer.bound_at
        if start is None:  # never: every demo viewer is bound above
            continue
        last = start + dt.timedelta(seconds=rng.randint(60, 1800))
        watchings.append(Watching(viewer=viewer, started_at=start, last_frame_at=last,
                                  ended_at=last if last < now else None,
                                  ip_address=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.7",
                                  user_agent="Mozilla/5.0 (Linux; Android 14) Mobile"))
    Watching.objects.bulk_create(watchings)
    FeedGap.objects.bulk_create(gaps)
    return len(sessions)
