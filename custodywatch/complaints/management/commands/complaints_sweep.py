"""`custodywatch complaints_sweep [--loop SECONDS]`: alert handlers to complainants' transfers,
and the NPM and prosecutors to complaint terminals silent longer than the set time."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from custodywatch.complaints.services import complaint_transfer_alerts_send
from custodywatch.complaints.terminals import silence_sweep


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
            raised = silence_sweep()
            if raised:
                self.stdout.write(f"{raised} silent terminal alert(s) raised.")
            if not loop:
                return
            time.sleep(loop)
