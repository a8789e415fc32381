"""`custodywatch complaints_sweep [--loop SECONDS]`: alert handlers to complainants' transfers."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from custodywatch.complaints.services import complaint_transfer_alerts_send


class Command(BaseCommand):
    help = "Tell handling officials when a complainant in custody was transferred."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, default=0,
                            help="sweep again every this many seconds (default: once)")

    def handle(self, *args: object, loop: float = 0, **options: object) -> None:
        while True:
            sent = complaint_transfer_alerts_send()
            if sent:
                self.stdout.write(f"{sent} transfer alert(s) sent.")
            if not loop:
                return
            time.sleep(loop)
