"""Video's periodic jobs: the silence sweep with the coverage work it queues and the blind
custody alerts, the cell checks' verification, and the remediation tickets."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from custodywatch.core.periodic import periodic
from custodywatch.video.blind_alerts import blind_custody_alerts_raise
from custodywatch.video.blind_alerts import cell_checks_verify as verify_cell_checks
from custodywatch.video.coverage_jobs import coverage_work_drain, coverage_work_refresh
from custodywatch.video.incidents import coverage_incidents_sweep
from custodywatch.video.services import video_sweep as silence_sweep
from custodywatch.video.tickets import remediation_sweep


def video_sweep_all(*, coverage: bool = True) -> str:
    """Cameras gone silent; then (unless ``coverage`` is false) the stored coverage that
    changed, the blind custody alerts and the coverage incidents. One line to report."""
    result = silence_sweep()
    line = f"newly silent: {result.newly_silent}, silences extended: {result.extended}"
    if coverage:
        coverage_work_refresh()
        work = coverage_work_drain()
        line += (f", coverage work: {work.claimed}, stays: {work.stays}, "
                 f"actions: {work.interrogations}, camera alerts: {work.alerts}, "
                 f"withdrawn: {work.withdrawn}")
        blind = blind_custody_alerts_raise(now=timezone.now())
        incidents = coverage_incidents_sweep()
        line += (f", blind custody alerts: {blind}, incidents opened: "
                 f"{incidents.opened}, closed: {incidents.closed}")
    return line


@periodic(every=dt.timedelta(seconds=30))
def video_sweep() -> str:
    return video_sweep_all()


@periodic(every=dt.timedelta(minutes=1))
def cell_checks_verify() -> int:
    """Cell checks whose footage has settled, marked verified or not (video/blind_alerts.py);
    once a minute, as the custody sweep did."""
    return verify_cell_checks(now=timezone.now())


@periodic(every=dt.timedelta(hours=1))
def remediation_tickets() -> str:
    result = remediation_sweep()
    return (f"tickets opened: {result.opened}, closed: {result.closed}, "
            f"escalated: {result.escalated}")
