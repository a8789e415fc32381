"""The web server with several processes (``custodywatch serve --workers N``)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from custodywatch.wsgi import application


class MultiProcessServer(BaseApplication):
    """gunicorn in this process: a master that restarts workers that die, each worker with
    its threads; SIGTERM lets requests in flight finish (graceful_timeout)."""

    def __init__(self, *, host: str, port: int, workers: int, threads: int) -> None:
        self.options = {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                        "worker_class": "gthread", "graceful_timeout": 20, "timeout": 120,
                        "accesslog": None, "errorlog": "-", "proc_name": "custodywatch-web"}
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        return application
