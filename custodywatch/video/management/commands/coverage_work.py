"""`custodywatch coverage_work [--backfill]`: recompute stored coverage where it changed,
once.

The periodic job `video_sweep` of `custodywatch worker` runs the same after each sweep; this
command runs one pass alone (e.g. to drain a busy queue by hand). Several copies may run at
once: each work row is claimed by a conditional DELETE, and only the worker whose DELETE
removed it processes it. ``--backfill`` computes,
once, every stay and action that has no stored blind time (written before the job existed),
with a progress bar.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from custodywatch.custody.models import Interrogation, RoomStay
from custodywatch.video.coverage_jobs import (
    NOTHING,
    coverage_never_stored,
    coverage_work_backfill,
    coverage_work_drain,
    coverage_work_refresh,
)


class Command(BaseCommand):
    help = "Recompute the blind time of stays and investigative actions whose coverage changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backfill", action="store_true",
                            help="compute every stay and action with no stored blind time")

    def handle(self, *args: object, backfill: bool = False, **options: object) -> None:
        if backfill:
            self._backfill(quiet=options["verbosity"] == 0)
            return
        queued = coverage_work_refresh()
        work = coverage_work_drain()
        self.stdout.write(f"refreshed: {queued}, coverage work: {work.claimed}, "
                          f"stays: {work.stays}, actions: {work.interrogations}, "
                          f"camera alerts: {work.alerts}, withdrawn: {work.withdrawn}")

    def _backfill(self, *, quiet: bool) -> None:
        total = sum(coverage_never_stored(model).count() for model in (RoomStay, Interrogation))
        work = NOTHING
        with tqdm(total=total, unit=" stays and actions", desc="Coverage backfill",
                  disable=quiet, file=self.stderr._out) as bar:
            for done, result in coverage_work_backfill():
                work += result
                bar.update(done)
        self.stdout.write(f"backfilled: {total}, stays: {work.stays}, "
                          f"actions: {work.interrogations}, camera alerts: {work.alerts}, "
                          f"withdrawn: {work.withdrawn}")
