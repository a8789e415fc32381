"""`custodywatch custody_sweep`: one pass of the periodic job `custody_sweep` that
`custodywatch worker` runs every minute (raise custody alerts, queue their e-mail, escalate)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from custodywatch.custody.alerts import custody_sweep


class Command(BaseCommand):
    help = "One pass of the custody alert sweep (`custodywatch worker` runs it every minute)."

    def handle(self, *args: object, **options: object) -> None:
        result = custody_sweep()
        self.stdout.write(f"raised={result.raised} mailed={result.mailed} "
                          f"escalated={result.escalated}")
