"""`custodywatch visits_sweep`: one pass of the periodic job `visits_sweep` that
`custodywatch worker` runs every hour (alerts of overdue recommendations)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from custodywatch.visits.alerts import sweep


class Command(BaseCommand):
    help = "Raise and e-mail alerts for recommendations past their deadline (one pass)."

    def handle(self, *args: object, **options: object) -> None:
        result = sweep()
        self.stdout.write(f"raised={result.raised} mailed={result.mailed}")
