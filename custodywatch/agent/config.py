"""The agent's configuration file (TOML); see docs/agent.md for an example.

Errors name the file and the field (``agent.toml: cameras[2].url: required``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from custodywatch.agent.references import SAFE_CODE


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class CameraConfig:
    code: str
    url: str
    segments_dir: Path | None = None
    segments_pattern: str = "*.mp4"
    segments_time_zone: str = "UTC"
    pace: bool = True  # a file is read at the speed of time, as a camera sends
    # Live view (agent/relay.py): relay this camera while the centre wants it; live_url
    # may name a smaller sub-stream of the same camera.
    live: bool = False
    live_url: str = ""
    # A file played again from its start when it ends, as a camera that never stops (demos,
    # soak tests); a stream that ends is a lost signal whatever this says.
    loop: bool = False


@dataclass(frozen=True)
class EscrowConfig:
    public_key: str = ""          # the centre's X25519 key (base64), pinned; else the centre's
    bandwidth_kbps: float = 0.0   # upload limit in kilobits per second; 0: none
    interval_seconds: float = 30.0
    batch_bytes: int = 64 << 20   # sealed in memory per round of grants


@dataclass(frozen=True)
class AgentConfig:
    path: Path
    centre_url: str
    token: str
    state_dir: Path
    cameras: tuple[CameraConfig, ...]
    facility: str = ""
    sample_seconds: float = 1.0
    report_seconds: float = 60.0
    heartbeat_seconds: float = 60.0
    batch_size: int = 500
    segment_scan_seconds: float = 30.0
    # Footage preservation orders (agent/preservation.py): how often to ask, how long to keep.
    preservation_seconds: float = 300.0
    preservation_keep_days: float = 30.0
    # Reference and current views to the centre, decisions back (agent/reference_sync.py).
    view_sync_seconds: float = 300.0
    # Footage escrow (agent/escrow_upload.py): on when the file has an [escrow] table.
    escrow: EscrowConfig | None = None
    # Room markers (kernels/markers.py) are searched in one sampled frame of every
    # ``markers_every`` (0: never): a search costs one to two key frames' decode, so every
    # frame would double or triple the agent's work; one in 20 adds under 10 % (bench/
    # README.md, "agent_e2e").
    markers_every: int = 20
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outbox_path(self) -> Path:
        return self.state_dir / "outbox.sqlite3"

    @property
    def preserved_dir(self) -> Path:
        return self.state_dir / "preserved"

    @property
    def references_dir(self) -> Path:
        return self.state_dir / "references"


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {message}")

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return value

    def text(self, data: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise self.fail(where, "required")
        if not isinstance(value, str):
            raise self.fail(where, "must be a string")
        return value.strip()

    def number(self, data: dict[str, Any], key: str, where: str, default: float,
               low: float, high: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, "must be a number")
        if not low <= value <= high:
            raise self.fail(where, f"must be between {low:g} and {high:g}")
        return float(value)


def _token(reader: _Reader, centre: dict[str, Any]) -> str:
    if "token_file" in centre:
        token_path = Path(reader.text(centre, "token_file", "centre.token_file"))
        if not token_path.is_absolute():
            token_path = reader.path.parent / token_path
        try:
            token = token_path.read_bytes().decode("utf-8").strip()
        except OSError as error:
            raise reader.fail("centre.token_file", f"cannot read {token_path}: "
                              f"{error.strerror}") from error
        except UnicodeDecodeError as error:
            raise reader.fail("centre.token_file", f"{token_path} is not UTF-8 text (byte "
                              f"{error.start})") from error
        if not token:
            raise reader.fail("centre.token_file", f"{token_path} is empty")
        return token
    return reader.text(centre, "token", "centre.token (or centre.token_file)")


def _camera(reader: _Reader, data: Any, index: int, seen: set[str]) -> CameraConfig:
    where = f"cameras[{index}]"
    if not isinstance(data, dict):
        raise reader.fail(where, "must be a table")
    code = reader.text(data, "code", f"{where}.code")
    if not SAFE_CODE.match(code):
        raise reader.fail(f"{where}.code", "letters, digits, '.', '_', '-' only (1-40)")
    if code in seen:
        raise reader.fail(f"{where}.code", f"camera {code!r} is listed twice")
    seen.add(code)
    url = reader.text(data, "url", f"{where}.url")
    segments_dir = data.get("segments_dir")
    if segments_dir is not None:
        segments_dir = Path(reader.text(data, "segments_dir", f"{where}.segments_dir"))
    time_zone = reader.text(data, "segments_time_zone", f"{where}.segments_time_zone", "UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise reader.fail(f"{where}.segments_time_zone", f"unknown time zone {time_zone!r}"
                          ) from error
    pace = data.get("pace", True)
    if not isinstance(pace, bool):
        raise reader.fail(f"{where}.pace", "must be true or false")
    flags = {}
    for name, default in (("live", False), ("loop", False)):
        flags[name] = data.get(name, default)
        if not isinstance(flags[name], bool):
            raise reader.fail(f"{where}.{name}", "must be true or false")
    live_url = reader.text(data, "live_url", f"{where}.live_url", url)
    return CameraConfig(code, url, segments_dir,
                        reader.text(data, "segments_pattern", f"{where}.segments_pattern",
                                    "*.mp4"), time_zone, pace, flags["live"], live_url,
                        flags["loop"])


def _read_text(path: Path) -> str:
    """The file as UTF-8 (TOML's only encoding), or a ConfigError naming its line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: no such file") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text (byte 0x{raw[error.start]:02x});"
                          " save the file as UTF-8") from error


def load_config(path: str | Path) -> AgentConfig:
    path = Path(path)
    reader = _Reader(path)
    try:
        data = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error
    centre = reader.table(data, "centre")
    agent = reader.table(data, "agent")
    centre_url = reader.text(centre, "url", "centre.url")
    if not centre_url.startswith(("http://", "https://")):
        raise reader.fail("centre.url", "must start with http:// or https://")
    cameras_data = data.get("cameras")
    if not isinstance(cameras_data, list) or not cameras_data:
        raise reader.fail("cameras", "at least one [[cameras]] table is required")
    seen: set[str] = set()
    cameras = tuple(_camera(reader, camera, index, seen)
                    for index, camera in enumerate(cameras_data))
    state_dir = Path(reader.text(agent, "state_dir", "agent.state_dir",
                                 "/var/lib/custodywatch-agent"))
    if not state_dir.is_absolute():
        state_dir = path.parent / state_dir
    return AgentConfig(
        path=path,
        centre_url=centre_url,
        token=_token(reader, centre),
        facility=str(centre.get("facility", "")),
        state_dir=state_dir,
        cameras=cameras,
        sample_seconds=reader.number(agent, "sample_seconds", "agent.sample_seconds", 1.0,
                                     0.1, 60),
        report_seconds=reader.number(agent, "report_seconds", "agent.report_seconds", 60.0,
                                     1, 3600),
        heartbeat_seconds=reader.number(agent, "heartbeat_seconds", "agent.heartbeat_seconds",
                                        60.0, 1, 3600),
        batch_size=int(reader.number(agent, "batch_size", "agent.batch_size", 500, 1, 5000)),
        segment_scan_seconds=reader.number(agent, "segment_scan_seconds",
                                           "agent.segment_scan_seconds", 30.0, 1, 3600),
        preservation_seconds=reader.number(agent, "preservation_seconds",
                                           "agent.preservation_seconds", 300.0, 5, 86400),
        preservation_keep_days=reader.number(agent, "preservation_keep_days",
                                             "agent.preservation_keep_days", 30.0, 1, 3650),
        view_sync_seconds=reader.number(agent, "view_sync_seconds", "agent.view_sync_seconds",
                                        300.0, 5, 86400),
        markers_every=int(reader.number(agent, "markers_every", "agent.markers_every", 20, 0,
                                        3600)),
        escrow=_escrow(reader, data),
    )


def _escrow(reader: _Reader, data: dict[str, Any]) -> EscrowConfig | None:
    if "escrow" not in data:
        return None
    table = reader.table(data, "escrow")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise reader.fail("escrow.enabled", "must be true or false")
    if not enabled:
        return None
    public_key = table.get("public_key", "")
    if not isinstance(public_key, str):
        raise reader.fail("escrow.public_key", "must be a string")
    if public_key:
        import base64
        import binascii

        try:
            if len(base64.b64decode(public_key, validate=True)) != 32:
                raise ValueError
        except (binascii.Error, ValueError):
            raise reader.fail("escrow.public_key", "base64 of a 32-byte X25519 key") from None
    return EscrowConfig(
        public_key=public_key.strip(),
        bandwidth_kbps=reader.number(table, "bandwidth_kbps", "escrow.bandwidth_kbps", 0.0, 0,
                                     10_000_000),
        interval_seconds=reader.number(table, "interval_seconds", "escrow.interval_seconds",
                                       30.0, 1, 86400),
        batch_bytes=int(reader.number(table, "batch_mb", "escrow.batch_mb", 64, 1, 4096)) << 20,
    )


def prepare_state_dir(config: AgentConfig) -> None:
    """Create the state folder (queue, references, held copies) and check that the agent
    can write there; a ConfigError naming ``agent.state_dir`` otherwise."""
    where = config.state_dir
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"{config.path}: agent.state_dir: cannot create {where}: "
                          f"{error.strerror}") from error
    if not os.access(where, os.W_OK | os.X_OK):
        raise ConfigError(f"{config.path}: agent.state_dir: {where} is not writable by this "
                          "user")
