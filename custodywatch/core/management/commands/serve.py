from __future__ import annotations

from django.core.management.base import BaseCommand
from waitress import serve

from custodywatch.wsgi import application


class Command(BaseCommand):
    help = "Serve the web UI and API on an existing database (waitress, static files included)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host: str, port: int, threads: int, **options) -> None:  # type: ignore[no-untyped-def]
        self.stdout.write(f"CustodyWatch on http://{host}:{port}/  (Ctrl+C stops it)")
        serve(application, host=host, port=port, threads=threads, ident="CustodyWatch")
