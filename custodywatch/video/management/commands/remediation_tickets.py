"""`custodywatch remediation_tickets`: one pass of the periodic job `remediation_tickets`
that `custodywatch worker` runs every hour (video/tickets.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from custodywatch.video.tasks import remediation_tickets


class Command(BaseCommand):
    help = ("Open, close (only on proof by footage) and escalate the remediation tickets of "
            "blind rooms and broken cameras (one pass).")

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(str(remediation_tickets()))
