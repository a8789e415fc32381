#!/usr/bin/env python3
"""The two quick-start commands, with nothing but Python 3.11+ installed.

    python3 dev.py demo   # virtualenv, install, migrate, demo data, serve on :8000
    python3 dev.py test   # virtualenv, install, the whole test suite (on every core)

Everything goes into .venv/ beside this file; a second run reuses it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"
# The exact versions every install uses (README, "Updating dependencies"): pyproject.toml
# names the ranges, this file pins the set resolved within them.
LOCK = ROOT / "requirements" / "lock.txt"


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_installed() -> None:
    """Create .venv and install the locked dependencies (test tools included), then the project
    itself without resolving anything again; once per change of pyproject.toml or the lock."""
    if sys.version_info < (3, 11):
        sys.exit("CustodyWatch needs Python 3.11 or newer.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()
                            + LOCK.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing CustodyWatch and its dependencies ...", flush=True)
    pip = (PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    run(*pip, "-r", LOCK)
    run(*pip, "--no-deps", "-e", ".")
    STAMP.write_text(wanted)


def prepare() -> None:
    ensure_installed()
    run(BIN / "custodywatch", "compile_translations")


def demo(args: list[str]) -> None:
    prepare()
    run(BIN / "custodywatch", "migrate", "--no-input", "-v", "0")
    run(BIN / "custodywatch", "demo", *args)


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist on every core (the suite mostly waits on subprocesses, servers and the
    database), a file (or a folder sharing a costly fixture: tests/conftest.py) per worker;
    none when the command line chose (`-n 0`, `-n 4`, `--dist`, `-p no:xdist`)."""
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist"
                 or a.startswith("-pno:xdist") for a in args)
    return [] if chosen else ["-n", "auto", "--dist", "loadfile"]


def test(args: list[str]) -> None:
    prepare()
    run(PYTHON, "-m", "pytest", *parallel(args), *args)


def main() -> None:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
