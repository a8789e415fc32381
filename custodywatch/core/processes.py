"""Child processes that never outlive the process that started them (no Django here)."""

from __future__ import annotations

import atexit
import ctypes
import signal
import subprocess
import sys
from typing import IO


def spawn_tied_to_this_process(command: list[str], *, log: IO[bytes]) -> subprocess.Popen:
    """A child process that ends with this one: at a normal exit or SIGTERM (atexit; the demo
    turns SIGTERM and SIGHUP into an exit) and, on Linux, even when this one is killed outright
    (the kernel sends the child SIGTERM when its parent dies)."""
    process = subprocess.Popen(  # noqa: S603 - our own command line, fixed arguments
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        preexec_fn=_terminate_when_parent_dies if sys.platform == "linux" else None)
    atexit.register(_stop, process)
    return process


def _terminate_when_parent_dies() -> None:
    """Runs in the child between fork and exec: prctl(PR_SET_PDEATHSIG, SIGTERM)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


PR_SET_PDEATHSIG = 1


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
