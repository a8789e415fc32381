"""`custodywatch liveview_sweep`: one pass of the periodic job `liveview_sweep` that
`custodywatch worker` runs every 5 seconds (feed gaps, idle viewings, frames nobody may watch)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from custodywatch.liveview.services import liveview_sweep


class Command(BaseCommand):
    help = "Detect live-view feed gaps during interrogations; e-mail them; tidy viewings."

    def handle(self, *args: object, **options: object) -> None:
        result = liveview_sweep()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.__dict__.items()))
