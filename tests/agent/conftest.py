"""Generated clips (once per session, real ffmpeg) and a loopback stand-in for the centre."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agent.centre_stub import CentreStub
from tests.agent.scenes import ClipSpec, ffmpeg_path, standard_specs, write_clip
from tests.conftest import require_or_skip


@pytest.fixture(scope="session")
def clip_specs() -> dict[str, ClipSpec]:
    return {spec.name: spec for spec in standard_specs()}


@pytest.fixture(scope="session")
def clips(tmp_path_factory, clip_specs) -> dict[str, Path]:
    require_or_skip(ffmpeg_path() is not None, "ffmpeg is not installed")
    directory = tmp_path_factory.mktemp("clips")
    return {name: write_clip(spec, directory) for name, spec in clip_specs.items()}


@pytest.fixture
def centre_stub():
    stub = CentreStub()
    stub.start()
    yield stub
    stub.stop()
