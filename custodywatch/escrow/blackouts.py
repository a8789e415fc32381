"""A blackout of a site (video.incidents) locks what the centre holds of it off-site: the
handlers of video's ``blackout_opened`` and ``blackout_closed`` signals (escrow sits above
video, which does not import it)."""

from __future__ import annotations

import datetime as dt

from custodywatch.escrow.models import EscrowHold
from custodywatch.escrow.services import escrow_lock_site
from custodywatch.video.incidents import FOREVER, HOLD_AFTER, HOLD_BEFORE, escrow_reference
from custodywatch.video.models import CoverageIncident


def blackout_lock(sender: object, *, incident: CoverageIncident, now: dt.datetime,
                  **kwargs: object) -> None:
    """A blackout locks at once everything the centre holds off-site for the site, from an
    hour before it, and whatever the agent still uploads while it lasts (escrow/services.py;
    the store is extended once the sweep's transaction commits)."""
    listed = escrow_lock_site(incident.facility, (now - HOLD_BEFORE, FOREVER),
                              reference=escrow_reference(incident), now=now)
    incident.detail = {**incident.detail, "escrowed": len(listed["escrowed"]),
                       "local_only": len(listed["local_only"])}
    incident.save(update_fields=["detail"])


def blackout_unlock_future(sender: object, *, incident: CoverageIncident, now: dt.datetime,
                           **kwargs: object) -> None:
    """Once the site proves coverage again, the blackout's hold stops an hour after: footage
    recorded later is no longer part of it (what it locked stays locked)."""
    EscrowHold.objects.filter(reference=escrow_reference(incident),
                              ended_at__gt=now + HOLD_AFTER).update(ended_at=now + HOLD_AFTER)
