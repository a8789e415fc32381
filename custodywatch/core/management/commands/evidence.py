"""`custodywatch evidence check-files`: re-hash every stored evidence file, once.

Every file kept as received (case evidence, complaint attachments, examination and visit
photos) is read and hashed against the SHA-256 recorded when it arrived; each missing or
damaged one raises an alert (core/stored_files.py). `custodywatch worker` runs it daily
(the periodic job `evidence_check_files`). Exit status: 0 all intact; 1 a file is missing
or damaged (CONTRACTS.md style).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodywatch.core.stored_files import check_stored_files


class Command(BaseCommand):
    help = "Stored evidence files: re-hash them against their recorded SHA-256."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check-files", help="re-hash every stored file; exit 1 on a missing or "
                       "damaged one")

    def handle(self, *args: Any, **options: Any) -> None:
        result = check_stored_files()
        for object_type, object_id, name, problem in result.problems:
            self.stdout.write(f"{problem.upper()} {object_type} {object_id} {name}")
        self.stdout.write(f"checked {result.checked} stored files: "
                          f"{len(result.problems)} missing or damaged, "
                          f"{result.repaired} repaired since the last check")
        if result.problems:
            raise CommandError(f"{len(result.problems)} stored file(s) missing or damaged",
                               returncode=1)
