"""The reference bot under node-preload interception: no base-URL overrides, it calls
https://api.telegram.org and https://api.elevenlabs.io, which the preload maps to the TLS mocks."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config import InterceptionSection
from harness.interception import InterceptionPlan
from harness.mocks_launcher import MocksHandle
from harness.procs import free_port
from mocks.config import ElevenLabsConfig, MocksConfig, TelegramConfig
from tests.integration.test_reference_bot import AUDIO_LOUD, FORWARD_LOUD, check_budget
from tests.integration.test_reference_bot_support import (
    Poster,
    Stack,
    cursor_runner_calling_back,
    port_of,
    running_stack,
    tcp_to_port,
    text_update,
    voice_update,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


@pytest.fixture
def preload_stack(tmp_path: Path) -> Iterator[Stack]:
    plan = InterceptionPlan.prepare(InterceptionSection(mode="node-preload"), tmp_path)
    port = free_port()
    config = MocksConfig(
        telegram=TelegramConfig(tls=plan.mock_tls["telegram"]),
        elevenlabs=ElevenLabsConfig(tls=plan.mock_tls["elevenlabs"]),
        cursor_runner=cursor_runner_calling_back(port),
    )

    def preload_env(mocks: MocksHandle) -> dict[str, str]:
        side = plan.activate(mocks.urls, tmp_path, tmp_path / "events.jsonl", time.time())
        return {
            **side.env,
            "NODE_OPTIONS": " ".join(side.node_options),
            # Blank overrides: the bot falls back to the real, hard-coded hostnames.
            "TELEGRAM_API_BASE": "",
            "ELEVENLABS_API_BASE": "",
            "BOT_DEBUG": "1",
            "BOT_ALLOW_AUDIO_OUTPUT": "1",
        }

    with running_stack(tmp_path, port, config, preload_env) as stack:
        yield stack


def test_text_and_voice_reach_the_tls_mocks_through_the_preload(preload_stack: Stack) -> None:
    poster = Poster(preload_stack.bot)
    try:
        check_budget(preload_stack, lambda: poster.update(text_update(1, 6600001, 1, "status of CI")), FORWARD_LOUD)
        check_budget(preload_stack, lambda: poster.update(voice_update(2, 6600001, 2, "AwACAgIAAxkD-p2")), AUDIO_LOUD)
    finally:
        poster.close()
    # The pooled keep-alive sockets (idle for < 5 s) go to the mocks' TLS listeners only.
    bot, urls = preload_stack.bot, preload_stack.mocks.urls
    for name in ("telegram", "elevenlabs"):
        assert tcp_to_port(bot, port_of(urls[f"{name}_tls"])) >= 1, name
        assert tcp_to_port(bot, port_of(urls[name])) == 0, name
