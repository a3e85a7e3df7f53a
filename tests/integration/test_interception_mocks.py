"""Every interception mode, end to end: a real Node process calls the real Telegram and ElevenLabs
names with axios and with the https module, and the calls arrive at the mocks, over TLS from the
run CA with verification on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.config import InterceptionSection
from harness.interception import InterceptionMode, InterceptionPlan, TargetInterception
from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import ElevenLabsConfig, MocksConfig, TelegramConfig
from tests.integration.node.support import node_env, run_client

TOKEN = "123456:TEST-soak-token"
XI_KEY = "soak-elevenlabs-key"


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> InterceptionPlan:
    return InterceptionPlan.prepare(InterceptionSection(), tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def mocks(plan: InterceptionPlan, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MocksHandle]:
    tls = plan.mock_tls
    config = MocksConfig(
        telegram=TelegramConfig(token=TOKEN, tls=tls["telegram"]),
        elevenlabs=ElevenLabsConfig(api_key=XI_KEY, tls=tls["elevenlabs"]),
    )
    handle = start_mocks(config.model_dump_json(), tmp_path_factory.mktemp("mocks"))
    yield handle
    handle.child.stop()


@pytest.fixture
def activated(
    request: pytest.FixtureRequest, plan: InterceptionPlan, mocks: MocksHandle, tmp_path: Path
) -> Iterator[TargetInterception]:
    mode = InterceptionMode(request.param)
    section = InterceptionSection(mode=mode.value)
    side = InterceptionPlan(section=section, redirects=plan.redirects, tls=plan.tls).activate(
        mocks.urls, tmp_path, tmp_path / "events.jsonl", 0.0
    )
    yield side
    if side.proxy is not None:
        side.proxy.stop()


def _route_count(mocks: MocksHandle, mock: str, route: str) -> int:
    stats = httpx.get(f"{mocks.urls[mock]}/__mock__/stats").json()
    return sum(stats["routes"].get(route, {}).values())


def _spec(client: str, side: TargetInterception, base: str, path: str, **fields: Any) -> dict[str, Any]:
    if side.record["mode"] == "base-url":
        url = side.env["TELEGRAM_API_BASE" if "telegram" in base else "ELEVENLABS_API_BASE"] + path
    else:
        url = base + path
    spec = {"client": client, "url": url, "method": "POST", **fields}
    if side.record["mode"] == "proxy" and client == "https":
        spec["connectProxy"] = side.env["HTTPS_PROXY"]  # Node 20's https ignores *_PROXY: tunnel by hand
    return spec


@pytest.mark.parametrize("activated", [mode.value for mode in InterceptionMode], indirect=True)
@pytest.mark.parametrize("client", ["axios", "https"])
def test_calls_to_the_real_names_reach_the_mocks(
    client: str, activated: TargetInterception, mocks: MocksHandle
) -> None:
    env = node_env(activated.env, activated.node_options)
    sent_before = _route_count(mocks, "telegram", "sendMessage")
    spoken_before = _route_count(mocks, "elevenlabs", "text_to_speech")

    body = {"chat_id": 4400123, "text": f"via {client}"}
    telegram = _spec(client, activated, "https://api.telegram.org", f"/bot{TOKEN}/sendMessage", body=body)
    (sent,) = run_client(telegram, env)
    assert sent["ok"] is True and sent["status"] == 200, sent
    assert sent["body"]["result"]["chat"]["id"] == 4400123

    headers = {"xi-api-key": XI_KEY, "accept": "audio/mpeg"}
    tts = {"text": "hello", "model_id": "eleven_turbo_v2_5"}
    eleven = _spec(client, activated, "https://api.elevenlabs.io", "/v1/text-to-speech/v1", body=tts, headers=headers)
    (spoken,) = run_client(eleven, env)
    assert spoken["ok"] is True and spoken["status"] == 200, spoken

    assert _route_count(mocks, "telegram", "sendMessage") == sent_before + 1
    assert _route_count(mocks, "elevenlabs", "text_to_speech") == spoken_before + 1


@pytest.mark.parametrize("activated", [mode.value for mode in InterceptionMode], indirect=True)
def test_without_the_run_ca_tls_fails_in_every_mode(activated: TargetInterception, mocks: MocksHandle) -> None:
    env = node_env({**activated.env, "NODE_EXTRA_CA_CERTS": ""}, activated.node_options)
    spec = _spec("https", activated, "https://api.telegram.org", f"/bot{TOKEN}/getMe")
    (result,) = run_client(spec, env)
    assert result["ok"] is False and result["code"] == "UNABLE_TO_VERIFY_LEAF_SIGNATURE", result
