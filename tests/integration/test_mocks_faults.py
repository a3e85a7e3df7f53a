"""Faults over real loopback HTTP: switched at run time through /__mock__/faults, and profile windows."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.accounting.faults import fault_windows
from harness.documents.events import read_events
from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import FaultSpec, MocksConfig, TelegramConfig

TOKEN = "123456:TEST-soak-token"
SEND = f"/bot{TOKEN}/sendMessage"
MESSAGE = {"chat_id": 1, "text": "hi"}


@pytest.fixture
def tg(tmp_path: Path) -> Iterator[httpx.Client]:
    handle = start_mocks(MocksConfig().model_dump_json(), tmp_path)
    with httpx.Client(base_url=handle.urls["telegram"], timeout=5.0) as client:
        yield client
    handle.child.stop()


def set_faults(client: httpx.Client, *faults: dict[str, object]) -> None:
    reply = client.post("/__mock__/faults", json={"faults": list(faults)})
    assert reply.json() == {"ok": True, "runtime": len(faults)}


def raw_post(base_url: str, path: str, payload: dict[str, object]) -> bytes:
    """One request on a plain socket, so a reset (RST) shows as ConnectionResetError, not as EOF."""
    url = httpx.URL(base_url)
    body = json.dumps(payload).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    with socket.create_connection((url.host, url.port or 80), timeout=5.0) as sock:
        sock.sendall(head.encode() + body)
        return sock.recv(65536)


def test_error_rate_limit_and_clear(tg: httpx.Client) -> None:
    set_faults(tg, {"route": "sendMessage", "kind": "error", "status": 503})
    failed = tg.post(SEND, json=MESSAGE)
    other_route = tg.post(f"/bot{TOKEN}/answerCallbackQuery", json={"callback_query_id": "1"})
    set_faults(tg, {"route": "*", "kind": "rate_limit", "retry_after": "3 s"})
    limited = tg.post(SEND, json=MESSAGE)
    tg.delete("/__mock__/faults")
    healthy = tg.post(SEND, json=MESSAGE)
    assert failed.status_code == 503 and failed.json()["ok"] is False and other_route.status_code == 200
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert limited.json()["parameters"] == {"retry_after": 3}
    assert healthy.status_code == 200
    assert tg.get("/__mock__/stats").json()["routes"]["sendMessage"] == {"200": 1, "429": 1, "503": 1}


def test_rate_is_a_share_of_requests(tg: httpx.Client) -> None:
    set_faults(tg, {"route": "sendMessage", "kind": "error", "rate": 0.5})
    statuses = [tg.post(SEND, json=MESSAGE).status_code for _ in range(200)]
    # Binomial(200, 0.5): outside 60..140 has odds below 1e-8.
    assert 60 < statuses.count(500) < 140 and statuses.count(500) + statuses.count(200) == 200


def test_latency_fault_delays(tg: httpx.Client) -> None:
    set_faults(tg, {"route": "sendMessage", "kind": "latency", "latency": "300 ms"})
    started = time.monotonic()
    reply = tg.post(SEND, json=MESSAGE)
    assert reply.status_code == 200 and time.monotonic() - started >= 0.3
    latency = tg.get("/__mock__/stats").json()["latency"]["sendMessage"]
    assert latency["buckets_ms"] == {"le_500": 1}


def test_malformed_body_and_dribble(tg: httpx.Client) -> None:
    set_faults(tg, {"route": "sendMessage", "kind": "malformed"})
    malformed = tg.post(SEND, json=MESSAGE)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        json.loads(malformed.content)
    set_faults(tg, {"route": "sendMessage", "kind": "dribble", "dribble_rate": "400 B/s"})
    started = time.monotonic()
    dribbled = tg.post(SEND, json=MESSAGE)
    assert dribbled.json()["ok"] is True and time.monotonic() - started > 0.15


def test_hang_and_reset(tg: httpx.Client) -> None:
    set_faults(tg, {"route": "sendMessage", "kind": "hang"})
    with pytest.raises(httpx.ReadTimeout):
        tg.post(SEND, json=MESSAGE, timeout=0.5)
    set_faults(tg, {"route": "sendMessage", "kind": "reset"})
    with pytest.raises(ConnectionResetError):
        raw_post(str(tg.base_url), SEND, MESSAGE)
    tg.delete("/__mock__/faults")
    time.sleep(0.4)  # the hung handler notices its client left within a poll
    stats = tg.get("/__mock__/stats").json()
    assert stats["in_flight"] == 0 and stats["routes"]["sendMessage"] == {"499": 2}


def test_bad_fault_is_rejected_with_400(tg: httpx.Client) -> None:
    reply = tg.post("/__mock__/faults", json={"faults": [{"kind": "explode"}]})
    assert reply.status_code == 400 and reply.json()["ok"] is False and "kind" in reply.json()["error"]


def test_fault_on_a_route_the_mock_lacks_is_rejected_with_its_routes(tg: httpx.Client) -> None:
    reply = tg.post("/__mock__/faults", json={"faults": [{"route": "/sendMessage", "kind": "error"}]})
    error = reply.json()["error"]
    assert reply.status_code == 400 and "'/sendMessage' is not a route of the telegram mock" in error
    assert "sendMessage, getFile" in error and tg.get("/__mock__/faults").json()["runtime"] == []


def test_listed_faults_read_back_as_posted(tg: httpx.Client) -> None:
    posted = {"route": "getFile", "kind": "rate_limit", "retry_after": "2 s", "start": "1 min", "end": "2 min"}
    set_faults(tg, posted)
    (listed,) = tg.get("/__mock__/faults").json()["runtime"]
    assert (listed["retry_after"], listed["start"], listed["end"]) == (2, 60, 120)
    set_faults(tg, listed)  # what GET lists, POST takes back


def test_profile_fault_window_opens_and_closes_with_events(tmp_path: Path) -> None:
    # The window opens late enough that a slow start of the mocks on a loaded machine still leaves
    # seconds of healthy answers before it.
    window = FaultSpec(route="sendMessage", kind="error", status=503, start="6 s", end="7 s")
    config = MocksConfig(telegram=TelegramConfig(faults=(window,)))
    t0 = time.monotonic()
    handle: MocksHandle = start_mocks(config.model_dump_json(), tmp_path, t0_monotonic=t0)
    seen: list[tuple[float, int]] = []
    try:
        with httpx.Client(base_url=handle.urls["telegram"]) as client:
            while (elapsed_s := time.monotonic() - t0) < 7.5:
                seen.append((elapsed_s, client.post(SEND, json=MESSAGE).status_code))
                time.sleep(0.05)
            time.sleep(0.3)
    finally:
        handle.child.stop()
    # Margins either side of the edges: a request is timed by the client, the window by the mock.
    assert {status for t, status in seen if t < 5.9} == {200}
    assert {status for t, status in seen if 6.1 < t < 6.9} == {503}
    assert {status for t, status in seen if t > 7.1} == {200}
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    mine = [e for e in events if e.get("upstream") == "telegram"]
    assert [e["event"] for e in mine] == ["fault_window_start", "fault_window_end"]
    assert 6.0 <= mine[0]["t_s"] < 6.5 and 7.0 <= mine[1]["t_s"] < 7.5 and mine[0]["route"] == "sendMessage"


def test_faults_set_at_run_time_become_fault_windows_for_the_report(tmp_path: Path) -> None:
    t0 = time.monotonic()
    handle = start_mocks(MocksConfig().model_dump_json(), tmp_path, t0_monotonic=t0)
    try:
        with httpx.Client(base_url=handle.urls["telegram"], timeout=5.0) as client:
            set_faults(client, {"route": "sendMessage", "kind": "error", "status": 502})
            set_at_s = time.monotonic() - t0
            assert client.post(SEND, json=MESSAGE).status_code == 502
            time.sleep(0.5)
            assert client.delete("/__mock__/faults").json()["ok"] is True
            cleared_at_s = time.monotonic() - t0
    finally:
        handle.child.stop()
    windows = fault_windows(read_events(tmp_path), last_s=cleared_at_s + 10.0)  # the mocks' records are typed
    assert [(w.upstream, w.route, w.kind) for w in windows] == [("telegram", "sendMessage", "error")]
    span = windows[0].span
    assert span.start_s <= set_at_s and 0.4 < span.end_s - span.start_s <= cleared_at_s - span.start_s
