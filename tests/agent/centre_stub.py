"""A small real HTTP server on loopback that behaves like the centre's batch endpoints as far
as delivery is concerned: Bearer token, Idempotency-Key (a repeated key with the same body
returns the first answer and applies nothing), and switches to be down or to hang."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "cw_test_token"
# The item keys each batch path takes (the centre's shapes, custodywatch/agent/protocol.py);
# a batch with an item of other keys is answered 422, as the centre would.
ITEM_KEYS = {
    "marker-sightings": {"camera", "marker", "first", "last", "seen"},
}


class CentreStub:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []  # every request, replays included
        self.applied: dict[str, list[dict[str, Any]]] = {}  # kind -> items written once
        self.answers: dict[str, tuple[str, bytes]] = {}  # key -> (body, first answer)
        self.down = False  # answer 503
        self.missing: set[str] = set()  # kinds whose endpoint this centre lacks (404)
        self.hang_after_apply: int | None = None  # index of the request to apply, then hang
        self.hanging = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                stub.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", 0))
        body = handler.rfile.read(length).decode()
        key = handler.headers.get("Idempotency-Key", "")
        kind = handler.path.rsplit("/", 1)[-1]
        with self.lock:
            index = len(self.requests)
            self.requests.append({"path": handler.path, "key": key, "body": body})
            if self.down:
                self._answer(handler, 503, b'{"detail": "down"}')
                return
            if kind in self.missing:
                self._answer(handler, 404, b'{"detail": "Not Found"}')
                return
            if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(handler, 401, b'{"detail": "bad token"}')
                return
            if key in self.answers:
                first_body, answer = self.answers[key]
                status = 200 if first_body == body else 422
                self._answer(handler, status, answer if status == 200 else b'{"detail": "reused"}')
                return
            items = json.loads(body)["items"]
            expected = ITEM_KEYS.get(kind)
            if expected is not None and any(set(item) != expected for item in items):
                self._answer(handler, 422, b'{"detail": "items: unexpected keys"}')
                return
            self.applied.setdefault(kind, []).extend(items)
            answer = json.dumps({"accepted": len(items), "created": len(items), "updated": 0,
                                 "deleted": 0}).encode()
            self.answers[key] = (body, answer)
            hang = self.hang_after_apply == index
        if hang:
            # Applied, but the answer never comes: the client dies waiting for it.
            self.hanging.set()
            time.sleep(60)
        self._answer(handler, 200, answer)
