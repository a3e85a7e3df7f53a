"""The mocks process, driven over real loopback HTTP."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import MocksConfig

TOKEN = "123456:TEST-soak-token"


def test_send_message_envelope_and_stats(mocks: MocksHandle) -> None:
    base = mocks.urls["telegram"]
    with httpx.Client() as client:
        ok = client.post(f"{base}/bot{TOKEN}/sendMessage", json={"chat_id": 44, "text": "hi", "parse_mode": "HTML"})
        assert ok.status_code == 200
        body = ok.json()
        assert body["ok"] is True and body["result"]["chat"]["id"] == 44 and body["result"]["text"] == "hi"
        wrong_token = client.post(f"{base}/botWRONG/sendMessage", json={"chat_id": 44, "text": "hi"})
        assert wrong_token.status_code == 401 and wrong_token.json()["ok"] is False
        empty = client.post(f"{base}/bot{TOKEN}/sendMessage", json={"chat_id": 44, "text": ""})
        assert empty.status_code == 400 and "text is empty" in empty.json()["description"]
        stats = client.get(f"{base}/__mock__/stats").json()
    assert stats["routes"]["sendMessage"] == {"200": 1, "400": 1, "401": 1}
    assert stats["contract_violations"] == 1


def test_cursor_runner_sync_result_echoes_id(mocks: MocksHandle) -> None:
    base = mocks.urls["cursor_runner"]
    with httpx.Client() as client:
        reply = client.post(f"{base}/cursor/iterate", json={"prompt": "p", "id": "telegram-1-abcdef01"})
        missing = client.post(f"{base}/cursor/iterate", json={})
        health = client.get(f"{base}/health")
    assert reply.status_code == 200
    assert reply.json()["requestId"] == "telegram-1-abcdef01" and reply.json()["success"] is True
    assert missing.status_code == 400 and missing.json()["success"] is False
    assert health.json() == {"status": "ok", "service": "cursor-runner"}


def test_mocks_stop_cleanly(mocks: MocksHandle) -> None:
    assert mocks.child.stop() == 0


def test_soak_mocks_serve_prints_urls_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    config = tmp_path / "mocks.toml"
    config.write_text('[cursor_runner]\nmode = "removed"\n', encoding="utf-8")
    argv = [sys.executable, "-c", "from harness.cli import main; main()", "mocks", "serve", "--config", str(config)]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        urls = {}
        while len(urls) < 3:
            name, url = child.stdout.readline().split()
            urls[name] = url
        gone = httpx.post(f"{urls['cursor_runner']}/cursor/iterate", json={"prompt": "p"})
        assert gone.status_code == 404 and set(urls) == {"telegram", "elevenlabs", "cursor_runner"}
    finally:
        child.send_signal(signal.SIGINT)
        code = child.wait(timeout=10)
    assert code == 0


def test_bad_mocks_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "mocks.json"
    config.write_text('{"telegram": {"faults": [{"kind": "explode"}]}}', encoding="utf-8")
    for argv in (
        [sys.executable, "-m", "mocks", "--config", str(config)],
        [sys.executable, "-c", "from harness.cli import main; main()", "mocks", "serve", "--config", str(config)],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 2 and "telegram.faults.0.kind" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_asyncio_loop_serves_too(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    child = subprocess.Popen([sys.executable, "-m", "mocks", "--loop", "asyncio", "--ready-file", str(ready)])
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        urls = json.loads(ready.read_text())
        assert httpx.get(f"{urls['cursor_runner']}/health").json()["status"] == "ok"
    finally:
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0


def test_mocks_jsonl_gets_every_mocks_stats_per_interval(tmp_path: Path) -> None:
    config = MocksConfig(stats_interval="200 ms")
    handle = start_mocks(config.model_dump_json(), tmp_path)
    try:
        httpx.get(f"{handle.urls['cursor_runner']}/health")
        time.sleep(0.7)
    finally:
        assert handle.child.stop() == 0
    lines = [json.loads(line) for line in (tmp_path / "mocks.jsonl").read_text().splitlines()]
    assert len(lines) >= 3 and lines[-1]["t_s"] > lines[0]["t_s"]
    last = lines[-1]
    assert last["cursor_runner"]["requests_total"] == 1 and last["telegram"]["requests_total"] == 0
    assert {"telegram", "elevenlabs", "cursor_runner"} <= set(last)
