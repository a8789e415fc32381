"""`custodywatch liveview_sweep`: open and e-mail live-feed gaps, end idle viewings, drop
frames nobody may watch. Run it every few seconds (`--loop 5`): a gap is found within
LIVEVIEW_GAP_SECONDS plus the loop interval. Several may run at once.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from custodywatch.liveview.services import liveview_sweep


class Command(BaseCommand):
    help = "Detect live-view feed gaps during interrogations; e-mail them; tidy viewings."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--loop", type=float, default=0, metavar="SECONDS",
                            help="Sweep again every SECONDS instead of once.")

    def handle(self, *args, loop: float = 0, **options) -> None:  # type: ignore[no-untyped-def]
        while True:
            result = liveview_sweep()
            self.stdout.write(" ".join(f"{key}={value}"
                                       for key, value in result.__dict__.items()))
            if loop <= 0:
                return
            time.sleep(loop)
