"""A profile's [mocks] tables reach the mocks' config: faults with windows, sizes, transcripts, modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import ConfigError, load_profile
from harness.procs import free_port
from harness.runner import mocks_config

PROFILE = """
[run]
name = "faulty"

[target]
command = ["node", "src/index.js"]

[mocks.telegram]
file_size = "2 MiB"

[[mocks.telegram.faults]]
route = "sendMessage"
kind = "error"
status = 503
rate = 0.5
start_s = 600
end_s = 900

[mocks.elevenlabs]
tts_size = "64 KiB"
transcripts = { "AwACAgIAAxkDAAE-v311" = "/status" }

[mocks.cursor_runner]
mode = "async"
max_concurrent = 3
latency_distribution = { kind = "lognormal", median_s = 45, sigma = 1.0, cap_s = 900 }
callback_faults = { drop = 0.1 }
"""


def test_profile_mocks_tables_reach_the_mocks_config(tmp_path: Path) -> None:
    path = tmp_path / "faulty.toml"
    path.write_text(PROFILE, encoding="utf-8")
    target_port = free_port()  # only written into the callback URL; nothing listens on it here
    config = mocks_config(load_profile(path), target_port=target_port)
    fault = config.telegram.faults[0]
    assert (fault.route, fault.status, fault.rate, fault.start_s, fault.end_s) == ("sendMessage", 503, 0.5, 600, 900)
    assert config.telegram.file_bytes == 2 * 1024 * 1024 and config.elevenlabs.tts_bytes == 64 * 1024
    assert config.elevenlabs.transcripts == {"AwACAgIAAxkDAAE-v311": "/status"}
    cr = config.cursor_runner
    assert cr.mode == "async" and cr.max_concurrent == 3 and cr.callback_faults.drop == 0.1
    assert cr.latency is not None and cr.latency.median_s == 45
    assert cr.callback_url == f"http://127.0.0.1:{target_port}/cursor-runner/callback"


def test_bad_fault_in_a_profile_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[target]\ncommand = ["node"]\n[[mocks.telegram.faults]]\nkind = "explode"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="kind"):
        load_profile(path)
