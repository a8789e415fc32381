"""`custodywatch complaints_sweep`: one pass of the periodic job `complaints_sweep` that
`custodywatch worker` runs every minute (alert handlers to complainants' transfers, and the
NPM and prosecutors to complaint terminals silent longer than the set time)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from custodywatch.complaints.services import complaint_transfer_alerts_send
from custodywatch.complaints.terminals import silence_sweep


class Command(BaseCommand):
    help = "Tell handling officials when a complainant in custody was transferred (one pass)."

    def handle(self, *args: object, **options: object) -> None:
        sent = complaint_transfer_alerts_send()
        if sent:
            self.stdout.write(f"{sent} transfer alert(s) sent.")
        raised = silence_sweep()
        if raised:
            self.stdout.write(f"{raised} silent terminal alert(s) raised.")
