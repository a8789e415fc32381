"""The agent's [escrow] table: off unless present; a bad key or number names the field."""

from __future__ import annotations

import base64

import pytest

from custodywatch.agent.config import ConfigError, load_config

BASE = """
[centre]
url = "http://127.0.0.1:8000"
token = "cw_x"
[[cameras]]
code = "CAM1"
url = "/dev/null"
segments_dir = "/srv/nvr/CAM1"
"""


def _load(tmp_path, extra: str):
    path = tmp_path / "agent.toml"
    path.write_text(BASE + extra)
    return load_config(path)


def test_escrow_is_off_without_the_table_and_on_with_it(tmp_path):
    assert _load(tmp_path, "").escrow is None
    key = base64.b64encode(bytes(32)).decode()
    config = _load(tmp_path, f'[escrow]\npublic_key = "{key}"\nbandwidth_kbps = 512\n')
    assert config.escrow is not None
    assert (config.escrow.public_key, config.escrow.bandwidth_kbps) == (key, 512.0)
    assert _load(tmp_path, "[escrow]\nenabled = false\n").escrow is None


@pytest.mark.parametrize(("extra", "field"), [
    ('[escrow]\npublic_key = "c2hvcnQ="\n', "escrow.public_key"),
    ("[escrow]\nbandwidth_kbps = -1\n", "escrow.bandwidth_kbps"),
    ('[escrow]\nenabled = "yes"\n', "escrow.enabled"),
])
def test_bad_escrow_settings_name_their_field(tmp_path, extra, field):
    with pytest.raises(ConfigError, match=field):
        _load(tmp_path, extra)
