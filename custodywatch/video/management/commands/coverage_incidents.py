"""`custodywatch coverage_incidents`: one pass of the coverage incidents (lost and foreign
markers, blackouts; video/incidents.py) and the blind custody alerts (custody/alerts.py).

``video_sweep`` runs the same each loop; this command is for a worker that schedules them
on their own. Several copies may run at once: opening is idempotent.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from custodywatch.video.blind_alerts import blind_custody_alerts_raise
from custodywatch.video.incidents import coverage_incidents_sweep


class Command(BaseCommand):
    help = ("Open and close coverage incidents (lost or foreign markers, blackouts) and raise "
            "the blind custody alerts.")

    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        blind = blind_custody_alerts_raise(now=now)
        result = coverage_incidents_sweep(now=now)
        self.stdout.write(f"blind custody alerts: {blind}, incidents opened: {result.opened}, "
                          f"closed: {result.closed}, e-mailed: {result.mailed}")
