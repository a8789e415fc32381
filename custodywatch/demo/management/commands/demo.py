from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from tqdm import tqdm

from custodywatch.demo import generator


class Command(BaseCommand):
    help = "Load the deterministic demo dataset, print one login per role, and serve the UI."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--scale", choices=sorted(generator.SCALES), default="small")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-serve", action="store_true", help="load and print, then exit")
        parser.add_argument("--reset", action="store_true",
                            help="reload even if this database holds the same dataset")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        with tqdm(total=generator.expected_rows(options["scale"]), unit=" rows",
                  desc=f"Demo data ({options['scale']})", disable=options["verbosity"] == 0,
                  file=self.stderr._out) as bar:
            logins, loaded = generator.load(scale_name=options["scale"], seed=options["seed"],
                                            progress=bar.update, reset=options["reset"])
            if loaded:
                bar.update(bar.total - bar.n if bar.n < bar.total else 0)
        verb = "Loaded" if loaded else "Reusing the loaded"
        self.stdout.write(f"{verb} demo dataset scale={options['scale']} seed={options['seed']} "
                          f"in {time.perf_counter() - started:.1f} s.")
        self.stdout.write("\nDemo logins (one per role):")
        width = max(len(login.role) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.role:<{width}}  user: {login.username:<13} "
                              f"password: {login.password}   scope: {login.scope}")
        if not options["no_serve"]:
            self.stdout.write("")
            call_command("serve", host=options["host"], port=options["port"])
