"""`custodywatch video_sweep [--no-coverage]`: one pass of the periodic job `video_sweep`
that `custodywatch worker` runs every 30 seconds: cameras whose heartbeats stopped, then the
stored coverage that changed (video/coverage_jobs.py), the blind custody alerts and the
coverage incidents (video/tasks.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from custodywatch.video.tasks import video_sweep_all


class Command(BaseCommand):
    help = ("Close the spans of cameras whose heartbeats stopped as no_signal; recompute the "
            "coverage of stays and investigative actions where it changed (one pass).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-coverage", action="store_true",
                            help="only the silence sweep; leave coverage work to "
                                 "`custodywatch coverage_work`")

    def handle(self, *args: object, no_coverage: bool = False, **options: object) -> None:
        self.stdout.write(video_sweep_all(coverage=not no_coverage))
