"""`custodywatch risk_sweep`: run the risk-moment rules (kernels/risk_rules.py) over everyone
in custody now or in the last 30 days; each alert is stored once. Run it every few minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from custodywatch.medical.risk import risk_sweep


class Command(BaseCommand):
    help = "Raise risk moments (and possible reprisals) from the custody timelines."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"raised={risk_sweep()}")
