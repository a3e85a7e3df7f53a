"""Every fault kind, played from a profile's [mocks] tables in a window with units, on the real mocks."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.config import parse_profile
from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import DEFAULT_ELEVENLABS_API_KEY, DEFAULT_TELEGRAM_TOKEN, MocksConfig

TG = f"/bot{DEFAULT_TELEGRAM_TOKEN}"
# The mocks take up to ~3 s to start on a busy machine. Every request below starts a second inside
# the window, and the window outlasts the slowest (the hang's 1 s client timeout) by three seconds,
# so a slow machine cannot blur its edges.
START_S, END_S = 5.0, 10.0
WINDOW = {"start": f"{START_S:g} s", "end": f"{END_S * 1000:g} ms"}

MOCKS = {
    "telegram": {
        "faults": [
            {"route": "sendMessage", "kind": "error", "status": 503, **WINDOW},
            {"route": "getFile", "kind": "rate_limit", "retry_after": "2 s", **WINDOW},
            {"route": "answerCallbackQuery", "kind": "hang", **WINDOW},
        ]
    },
    "elevenlabs": {
        "faults": [
            {"route": "speech_to_text", "kind": "reset", **WINDOW},
            {"route": "text_to_speech", "kind": "error", **WINDOW},
        ]
    },
    "cursor_runner": {
        "mode": "sync",
        "latency": 0,
        "faults": [
            {"route": "iterate", "kind": "latency", "latency": "700 ms", **WINDOW},
            {"route": "health", "kind": "dribble", "dribble_rate": "100 B/s", **WINDOW},
            {"route": "health_queue", "kind": "malformed", **WINDOW},
        ],
    },
}


def raw_post(base_url: str, path: str) -> bytes:
    """One request on a plain socket, so a reset (RST) shows as ConnectionResetError, not as EOF."""
    url = httpx.URL(base_url)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
    with socket.create_connection((url.host, url.port or 80), timeout=5.0) as sock:
        sock.sendall(head.encode())
        return sock.recv(65536)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.monotonic()
    try:
        result: Any = call()
    except (httpx.HTTPError, OSError) as exc:
        result = exc
    return time.monotonic() - started, result


def requests(urls: dict[str, str]) -> dict[str, Callable[[], Any]]:
    tg, el, cr = urls["telegram"], urls["elevenlabs"], urls["cursor_runner"]
    job = {"prompt": "p", "id": "telegram-1-00000000"}
    xi_key = {"xi-api-key": DEFAULT_ELEVENLABS_API_KEY}
    return {
        "error": lambda: httpx.post(f"{tg}{TG}/sendMessage", json={"chat_id": 1, "text": "hi"}),
        "rate_limit": lambda: httpx.post(f"{tg}{TG}/getFile", json={"file_id": "f1"}),
        "hang": lambda: httpx.post(f"{tg}{TG}/answerCallbackQuery", json={"callback_query_id": "1"}, timeout=1.0),
        "reset": lambda: raw_post(el, "/v1/speech-to-text"),
        "elevenlabs_error": lambda: httpx.post(f"{el}/v1/text-to-speech/v", json={"text": "hi"}, headers=xi_key),
        "latency": lambda: httpx.post(f"{cr}/cursor/iterate", json=job, timeout=5.0),
        "dribble": lambda: httpx.get(f"{cr}/health", timeout=5.0),
        "malformed": lambda: httpx.get(f"{cr}/health/queue"),
    }


def play(urls: dict[str, str], at_s: float, t0: float) -> dict[str, tuple[float, Any]]:
    time.sleep(max(0.0, t0 + at_s - time.monotonic()))
    calls = requests(urls)
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = {name: pool.submit(timed, call) for name, call in calls.items()}
    return {name: future.result() for name, future in futures.items()}


@pytest.fixture
def windowed(tmp_path: Path) -> tuple[MocksHandle, float]:
    settings = parse_profile({"target": {"command": ["node"]}, "mocks": MOCKS}).mocks
    config = MocksConfig.model_validate(settings.model_dump())
    t0 = time.monotonic()
    return start_mocks(config.model_dump_json(), tmp_path, t0_monotonic=t0), t0


def test_each_fault_kind_acts_inside_its_window_only(windowed: tuple[MocksHandle, float], tmp_path: Path) -> None:
    handle, t0 = windowed
    try:
        before = play(handle.urls, 0.0, t0)
        assert time.monotonic() - t0 < START_S - 0.5, "the mocks took too long to start for this test"
        inside = play(handle.urls, START_S + 1.0, t0)
        after = play(handle.urls, END_S + 0.5, t0)
    finally:
        handle.child.stop()

    for name in ("error", "rate_limit", "hang", "elevenlabs_error", "latency", "dribble", "malformed"):
        assert before[name][1].status_code == 200 and after[name][1].status_code == 200, name
    assert before["reset"][1].startswith(b"HTTP/1.1 ") and after["reset"][1].startswith(b"HTTP/1.1 ")

    error = inside["error"][1]
    assert error.status_code == 503 and error.json() == {
        "ok": False,
        "error_code": 503,
        "description": "Service Unavailable",
    }
    limited = inside["rate_limit"][1]
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.json()["parameters"] == {"retry_after": 2}
    assert isinstance(inside["hang"][1], httpx.ReadTimeout)
    assert isinstance(inside["reset"][1], ConnectionResetError)
    el_error = inside["elevenlabs_error"][1]
    assert el_error.status_code == 500 and el_error.json()["detail"]["status"] == "internal_error"
    assert inside["latency"][1].status_code == 200 and inside["latency"][0] >= 0.7
    # About 45 bytes at 100 B/s, sent 10 bytes every 0.1 s.
    dribbled_s, dribbled = inside["dribble"]
    assert dribbled.json()["service"] == "cursor-runner" and dribbled_s >= 0.4
    with pytest.raises(ValueError):
        json.loads(inside["malformed"][1].content)

    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    windows = [e for e in events if e["event"].startswith("fault_window_")]
    assert len(windows) == 16
    for event in windows:
        edge_s = START_S if event["event"] == "fault_window_start" else END_S
        assert edge_s <= event["t_s"] < edge_s + 0.5 and (event["start_s"], event["end_s"]) == (START_S, END_S)
    assert {(e["upstream"], e["route"], e["kind"]) for e in windows} == {
        (upstream, f["route"], f["kind"]) for upstream, mock in MOCKS.items() for f in mock["faults"]
    }
