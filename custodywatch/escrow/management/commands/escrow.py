"""``custodywatch escrow status`` and ``custodywatch escrow verify [--sample N]`` (CONTRACTS.md).

``status`` prints one JSON object; ``verify`` prints one line per mismatched or missing object
and exits 0 only when there is none (1 otherwise).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodywatch.escrow import services


class Command(BaseCommand):
    help = "Footage escrow: status, verify."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="objects, bytes, locked, last verification, store")
        verify = sub.add_parser("verify", help="re-read objects and check their ledger hashes")
        verify.add_argument("--sample", type=int, default=None,
                            help="check N random objects (default: all)")
        sub.add_parser("retention", help="extend every object's lock to its retention target")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            self.stdout.write(json.dumps(services.escrow_status(), sort_keys=True))
        elif action == "verify":
            sample = options["sample"]
            if sample is not None and sample < 1:
                raise CommandError("--sample: a positive number", returncode=2)
            checked, problems = services.verify_objects(sample=sample)
            for problem in problems:
                self.stdout.write(problem.line())
            self.stderr.write(f"{checked} checked, {len(problems)} bad")
            if problems:
                raise CommandError(f"{len(problems)} escrowed objects do not match",
                                   returncode=1)
        else:
            self.stdout.write(json.dumps({"extended": services.apply_holds()}))
