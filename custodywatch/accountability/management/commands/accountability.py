"""``custodywatch accountability propose``: propose disciplinary proceedings against the heads
in whose tenure a conviction, a substantiated complaint or a risk-moment pattern fell.

Idempotent (a head is proposed once per source); run it from the timer after ``reports
refresh``. ``custodywatch accountability link-heads`` links appointments to their officers.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from custodywatch.accountability.services import heads_link_officers, proceedings_propose
from custodywatch.accounts.audit import SYSTEM_ORIGIN


class Command(BaseCommand):
    help = "Accountability: propose proceedings; link heads of units to their officers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("propose", help="propose proceedings in heads' tenures")
        sub.add_parser("link-heads", help="link appointments without an officer")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "link-heads":
            linked = heads_link_officers(actor=None, origin=SYSTEM_ORIGIN)
            self.stdout.write(f"{linked} appointments linked")
            return
        proposed = proceedings_propose(origin=SYSTEM_ORIGIN)
        self.stdout.write(f"{len(proposed)} proceedings proposed")
