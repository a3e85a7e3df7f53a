"""The mocks' config holds the bot token, the API key and the callback secret: the launcher writes
it 0600 and removes it once the mocks have read it, also when they fail to start."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from harness.mocks_launcher import start_mocks
from harness.procs import HarnessError
from mocks.config import MocksConfig, TelegramConfig


def test_mocks_read_their_config_then_it_is_gone(tmp_path: Path) -> None:
    token = "222:privateTOKEN"
    config = MocksConfig(telegram=TelegramConfig(token=token)).model_dump_json()
    mocks = start_mocks(config, tmp_path)
    try:
        assert not (tmp_path / "mocks-config.json").exists()
        request = urllib.request.Request(
            f"{mocks.urls['telegram']}/bot{token}/sendMessage",
            data=json.dumps({"chat_id": 1, "text": "hi"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # the mocks know the token
            assert json.loads(response.read())["ok"] is True
    finally:
        mocks.child.stop()


def test_a_failed_mocks_start_leaves_no_config(tmp_path: Path) -> None:
    with pytest.raises(HarnessError):
        start_mocks(MocksConfig().model_dump_json(), tmp_path, timeout_s=0.01)
    assert not (tmp_path / "mocks-config.json").exists()
