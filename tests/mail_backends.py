"""E-mail backends for tests, importable by name (``EMAIL_BACKEND``) in this process and in a
`custodywatch worker` subprocess started by a test."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down: the connection is refused (unless ``fail_silently``)."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        if not self.fail_silently:
            raise ConnectionRefusedError("no mail server")
        return 0


class HangingFileBackend(FileBackend):
    """Writes messages to files (EMAIL_FILE_PATH) until the file named by
    ``CUSTODYWATCH_TEST_HANG_AT`` holds N: then, before sending message N + 1, it writes
    ``hanging`` beside it and waits for ever (a worker to kill mid-job)."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        control = Path(os.environ["CUSTODYWATCH_TEST_HANG_AT"])
        sent = len(list(Path(self.file_path).glob("*.log")))
        if sent >= int(control.read_text()):
            control.with_name("hanging").write_text(str(os.getpid()))
            while True:
                time.sleep(1)
        return super().send_messages(email_messages)
