"""Every mock route driven by a real Node client: axios from the reference bot's node_modules."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import CursorRunnerConfig, ElevenLabsConfig, MocksConfig, TelegramConfig

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "examples" / "reference-bot" / "node_modules"

# Node 20's keep-alive agents, axios, and the form-data package: as the service under test sends.
SCRIPT = r"""
const http = require('http');
const axios = require('axios');
const FormData = require('form-data');
const urls = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true });
const ax = axios.create({ httpAgent: agent, validateStatus: () => true, timeout: 10000 });
const tg = `${urls.telegram}/bot123456:TEST-soak-token`;
const out = {};
async function main() {
  const r = async (name, promise) => { const res = await promise; out[name] = { status: res.status, data: res.data, type: res.headers['content-type'] }; return res; };
  await r('sendMessage', ax.post(`${tg}/sendMessage`, { chat_id: 4400123, text: 'a &lt; b', parse_mode: 'HTML', reply_to_message_id: 310 }));
  await r('sendMessage_empty', ax.post(`${tg}/sendMessage`, { chat_id: 4400123, text: '' }));
  const file = await r('getFile', ax.post(`${tg}/getFile`, { file_id: 'AwACAgIAAxkDAAE-v311' }));
  const dl = await ax.get(`${urls.telegram}/file/bot123456:TEST-soak-token/${file.data.result.file_path}`, { responseType: 'arraybuffer' });
  out.download = { status: dl.status, bytes: dl.data.byteLength, type: dl.headers['content-type'] };
  const voice = new FormData();
  voice.append('voice', Buffer.alloc(3000, 1), { filename: 'elevenlabs_tts_00112233aabbccdd.mp3', contentType: 'audio/mpeg' });
  voice.append('chat_id', '4400123');
  voice.append('reply_to_message_id', '311');
  await r('sendVoice', ax.post(`${tg}/sendVoice`, voice, { headers: voice.getHeaders() }));
  await r('answerCallbackQuery', ax.post(`${tg}/answerCallbackQuery`, { callback_query_id: '77', text: 'Processing...' }));
  await r('setWebhook', ax.post(`${tg}/setWebhook`, { url: 'https://soak.test/telegram/webhook', secret_token: 's' }));
  await r('getWebhookInfo', ax.get(`${tg}/getWebhookInfo`));
  await r('deleteWebhook', ax.post(`${tg}/deleteWebhook`, {}));
  await r('wrongToken', ax.post(`${urls.telegram}/botNOPE/sendMessage`, { chat_id: 1, text: 'x' }));
  const stt = new FormData();
  stt.append('file', Buffer.alloc(2000, 2), { filename: 'telegram_AwACAgIAAxkDAAE-v311_file_311.oga', contentType: 'audio/ogg' });
  stt.append('model_id', 'scribe_v1');
  await r('stt', ax.post(`${urls.elevenlabs}/v1/speech-to-text`, stt, { headers: { ...stt.getHeaders(), 'xi-api-key': 'k' } }));
  const tts = await ax.post(`${urls.elevenlabs}/v1/text-to-speech/voice1?output_format=mp3_44100_128`, { text: 'hi', model_id: 'eleven_turbo_v2_5' },
    { headers: { 'xi-api-key': 'k', Accept: 'audio/mpeg' }, responseType: 'arraybuffer' });
  out.tts = { status: tts.status, bytes: tts.data.byteLength, type: tts.headers['content-type'] };
  const stream = await ax.post(`${urls.elevenlabs}/v1/text-to-speech/voice1/stream`, { text: 'hi' }, { headers: { 'xi-api-key': 'k' }, responseType: 'arraybuffer' });
  out.tts_stream = { status: stream.status, bytes: stream.data.byteLength, chunked: stream.headers['transfer-encoding'] };
  await r('tts_bad_key', ax.post(`${urls.elevenlabs}/v1/text-to-speech/voice1`, { text: 'hi' }, { headers: { 'xi-api-key': 'bad' } }));
  const job = { repository: '', branchName: 'main', prompt: 'list tests', maxIterations: 25, id: 'telegram-1767000001-0c4d2e9a' };
  const cr = urls.cursor_runner;
  for (const path of ['/cursor/iterate', '/cursor/iterate/async', '/cursor/execute', '/cursor/execute/async']) {
    await r(path, ax.post(`${cr}${path}`, job, { headers: { Accept: 'application/json' } }));
  }
  await r('cr_no_prompt', ax.post(`${cr}/cursor/iterate`, { id: 'x' }));
  await r('health', ax.get(`${cr}/health`));
  await r('health_queue', ax.get(`${cr}/health/queue`));
  await r('cr_unknown', ax.get(`${cr}/git/repositories`));
  console.log(JSON.stringify(out));
}
main().catch((err) => { console.error(err.message); process.exit(1); });
"""  # noqa: E501 (JavaScript, one call per line)


@pytest.fixture
def node_mocks(tmp_path: Path) -> MocksHandle:
    config = MocksConfig(
        telegram=TelegramConfig(file_size=12_345),
        elevenlabs=ElevenLabsConfig(api_key="k", transcripts={"AwACAgIAAxkDAAE-v311": "/status"}, tts_size=20_000),
        cursor_runner=CursorRunnerConfig(mode="sync", latency=0),
    )
    return start_mocks(config.model_dump_json(), tmp_path)


def run_node(tmp_path: Path, urls: dict[str, str]) -> dict[str, Any]:
    script = tmp_path / "drive.js"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    done = subprocess.run(
        ["node", str(script), json.dumps(urls)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_every_route_with_axios(tmp_path: Path, node_mocks: MocksHandle) -> None:
    try:
        out = run_node(tmp_path, node_mocks.urls)
        stats = {name: _stats(url) for name, url in node_mocks.admin_urls.items()}
    finally:
        node_mocks.child.stop()
    assert out["sendMessage"]["status"] == 200 and out["sendMessage"]["data"]["result"]["text"] == "a &lt; b"
    assert out["sendMessage_empty"]["status"] == 400 and out["sendMessage_empty"]["data"]["ok"] is False
    assert "AwACAgIAAxkDAAE-v311" in out["getFile"]["data"]["result"]["file_path"]
    assert out["download"] == {"status": 200, "bytes": 12_345, "type": "audio/ogg"}
    assert out["sendVoice"]["data"]["result"]["voice"]["file_size"] == 3000
    for name in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
        assert out[name]["data"]["result"] is True, name
    assert out["getWebhookInfo"]["data"]["result"]["url"] == "https://soak.test/telegram/webhook"
    assert out["wrongToken"]["status"] == 401
    assert out["stt"]["data"]["text"] == "/status"
    assert out["tts"] == {"status": 200, "bytes": 20_000, "type": "audio/mpeg"}
    assert out["tts_stream"] == {"status": 200, "bytes": 20_000, "chunked": "chunked"}
    assert out["tts_bad_key"]["status"] == 401 and out["tts_bad_key"]["data"]["detail"]["status"] == "invalid_api_key"
    assert out["/cursor/iterate"]["data"]["requestId"] == "telegram-1767000001-0c4d2e9a"
    assert out["/cursor/execute"]["data"]["command"] and out["/cursor/iterate/async"]["data"]["success"] is True
    assert out["cr_no_prompt"]["status"] == 400 and out["cr_unknown"]["data"]["error"] == "Route not found"
    assert out["health"]["data"] == {"status": "ok", "service": "cursor-runner"}
    assert out["health_queue"]["data"]["queue"]["maxConcurrent"] == 5
    # One keep-alive agent: every Telegram call rode a single connection.
    assert stats["telegram"]["connections"]["opened"] == 1 and stats["telegram"]["requests_total"] == 10
    assert stats["telegram"]["contract_violations"] == 1 and stats["elevenlabs"]["contract_violations"] == 0


def _stats(url: str) -> dict[str, Any]:
    import httpx

    data: dict[str, Any] = httpx.get(f"{url}/__mock__/stats").json()
    return data
