from __future__ import annotations

import os

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from waitress import serve

from custodywatch.wsgi import application


class Command(BaseCommand):
    help = ("Serve the web UI and API on an existing database, static files included: one "
            "process (waitress) or, with --workers N > 1, N processes (gunicorn).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="threads per process")
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WEB_CONCURRENCY", "1")),
                            help="processes (default: WEB_CONCURRENCY or 1); several "
                            "processes sidestep the one interpreter lock under load")

    def handle(self, *args, host: str, port: int, threads: int,
               workers: int = 1, **options) -> None:
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        self.stdout.write(f"CustodyWatch on http://{host}:{port}/  (Ctrl+C stops it)")
        if settings.CUSTODYWATCH_REQUIRE_2FA and _holds_demo_data():
            self.stdout.write(DEMO_HINT)
        if workers == 1:
            serve(application, host=host, port=port, threads=threads, ident="CustodyWatch")
        else:
            # gunicorn (POSIX only) is imported when asked for
            from custodywatch.core.multiprocess_server import MultiProcessServer

            MultiProcessServer(host=host, port=port, workers=workers, threads=threads).run()


DEMO_HINT = ("This database holds the demo dataset. Staff must enrol a second factor here; to "
             "look around with the demo logins, start it again with `python3 dev.py demo` "
             "(or `custodywatch demo`): it reuses the loaded data.")


def _holds_demo_data() -> bool:
    """Looked up by name: core sits below the demo app and does not import it."""
    if not apps.is_installed("custodywatch.demo"):
        return False
    try:
        return apps.get_model("demo", "DemoDataset").objects.exists()
    except DatabaseError:
        return False
