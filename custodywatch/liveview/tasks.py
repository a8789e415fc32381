"""Live view's periodic job (feed gaps, idle viewings) and purge (code tries)."""

from __future__ import annotations

import datetime as dt

from custodywatch.core.periodic import housekeeping, periodic
from custodywatch.liveview import services, watch_requests
from custodywatch.liveview.models import LinkAttempt

# Tries older than this count for no throttle (services.ATTEMPT_WINDOW) and are removed.
ATTEMPTS_KEEP = dt.timedelta(days=1)


@periodic(every=dt.timedelta(seconds=5))
def liveview_sweep() -> services.SweepResult:
    return services.liveview_sweep()


@housekeeping
def link_attempts_purge(now: dt.datetime) -> int:
    keep = max(ATTEMPTS_KEEP, services.ATTEMPT_WINDOW)
    deleted, _ = LinkAttempt.objects.filter(at__lt=now - keep).delete()
    return deleted


@periodic(every=dt.timedelta(minutes=1))
def watch_links_sweep() -> int:
    """Interrogations held under a granted request to watch without the link offered."""
    return watch_requests.watch_links_sweep()
