"""cursor-runner mock over real loopback HTTP: modes, routes, FIFO slots, callbacks and their faults."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import CallbackFaults, CursorRunnerConfig, MocksConfig


class Receiver:
    """A real HTTP server on 127.0.0.1:0 recording the callbacks it gets."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        received = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cursor-runner/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.calls


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.server.shutdown()


def start(tmp_path: Path, receiver: Receiver, **settings: Any) -> MocksHandle:
    config = CursorRunnerConfig(callback_url=receiver.url, callback_secret="cb-secret", **settings)
    return start_mocks(MocksConfig(cursor_runner=config).model_dump_json(), tmp_path)


JOB = {
    "repository": "",
    "branchName": "main",
    "prompt": "list tests #tag1",
    "maxIterations": 25,
    "id": "telegram-1-0c4d2e9a",
}


@pytest.mark.parametrize(
    ("mode", "callbacks", "first_key"),
    [("sync", 0, "output"), ("sync+callback", 1, "output"), ("ack+callback", 1, "message"), ("async", 1, "message")],
)
def test_modes(tmp_path: Path, receiver: Receiver, mode: str, callbacks: int, first_key: str) -> None:
    mocks = start(tmp_path, receiver, mode=mode, latency="50 ms", callback_delay=0)
    try:
        reply = httpx.post(f"{mocks.urls['cursor_runner']}/cursor/iterate", json=JOB)
        time.sleep(0.3)
        calls = receiver.wait_for(callbacks)
    finally:
        mocks.child.stop()
    assert reply.status_code == 200 and reply.json()["requestId"] == "telegram-1-0c4d2e9a"
    assert first_key in reply.json()
    assert len(calls) == callbacks
    for call in calls:
        assert call["path"] == "/cursor-runner/callback" and call["headers"]["X-Webhook-Secret"] == "cb-secret"
        assert call["headers"]["User-Agent"] == "cursor-runner/1.0" and call["body"]["success"] is True
        assert call["body"]["requestId"] == "telegram-1-0c4d2e9a" and call["body"]["maxIterations"] == 25


def test_removed_mode_and_routes(tmp_path: Path, receiver: Receiver) -> None:
    mocks = start(tmp_path, receiver, mode="removed", latency=0)
    base = mocks.urls["cursor_runner"]
    try:
        with httpx.Client(base_url=base) as client:
            gone = client.post("/cursor/iterate", json=JOB)
            unknown = client.get("/git/repositories")
            execute_async = client.post(
                "/cursor/execute/async", json={**JOB, "callbackUrl": receiver.url + "?secret=q"}
            )
            no_prompt = client.post("/cursor/iterate/async", json={"id": "x"})
            queue = client.get("/health/queue").json()
        calls = receiver.wait_for(1)
    finally:
        mocks.child.stop()
    assert gone.status_code == 404
    assert gone.json() == {"success": False, "error": "Route not found", "path": "/cursor/iterate", "method": "POST"}
    assert unknown.status_code == 404 and unknown.json()["path"] == "/git/repositories"
    assert execute_async.json()["success"] is True and no_prompt.status_code == 400
    assert queue["queue"] == {"available": 5, "waiting": 0, "maxConcurrent": 5}
    assert calls[0]["path"] == "/cursor-runner/callback" and calls[0]["headers"]["X-Cursor-Runner-Secret"] == "q"
    assert "command" in calls[0]["body"] and "iterations" not in calls[0]["body"]


def test_slots_queue_fifo_and_report_waiting(tmp_path: Path, receiver: Receiver) -> None:
    mocks = start(tmp_path, receiver, mode="async", latency="300 ms", max_concurrent=1)
    base = mocks.urls["cursor_runner"]
    try:
        with httpx.Client(base_url=base) as client:
            for n in range(3):
                client.post("/cursor/iterate/async", json={**JOB, "id": f"telegram-1-{n:08x}"})
            queue = client.get("/health/queue").json()["queue"]
            calls = receiver.wait_for(3)
            # Counted once the mock read the answer, after the receiver saw the request.
            deadline = time.monotonic() + 5.0
            while (stats := client.get("/__mock__/stats").json())["callbacks_sent"] < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        mocks.child.stop()
    assert queue == {"available": 0, "waiting": 2, "maxConcurrent": 1}
    assert [c["body"]["requestId"] for c in calls] == [f"telegram-1-{n:08x}" for n in range(3)]
    assert stats["callbacks_sent"] == 3 and stats["queue"]["waiting"] == 0


def test_callback_faults(tmp_path: Path, receiver: Receiver) -> None:
    faults = CallbackFaults(duplicate=1.0, bad_secret=1.0, unknown_id=1.0)
    mocks = start(tmp_path, receiver, mode="async", latency=0, callback_faults=faults)
    try:
        httpx.post(f"{mocks.urls['cursor_runner']}/cursor/iterate/async", json=JOB)
        calls = receiver.wait_for(2)
    finally:
        mocks.child.stop()
    assert len(calls) == 2 and calls[0]["body"] == calls[1]["body"]
    assert calls[0]["headers"]["X-Webhook-Secret"] != "cb-secret"
    assert calls[0]["body"]["requestId"] != JOB["id"]


def test_failed_callback_is_recorded_not_retried(tmp_path: Path, receiver: Receiver) -> None:
    mocks = start(tmp_path, receiver, mode="async", latency=0)
    base = mocks.urls["cursor_runner"]
    try:
        dead = {**JOB, "callbackUrl": "http://127.0.0.1:1/cursor-runner/callback"}
        httpx.post(f"{base}/cursor/iterate/async", json=dead)
        deadline = time.monotonic() + 5.0
        while (stats := httpx.get(f"{base}/__mock__/stats").json())["callbacks_failed"] == 0:
            assert time.monotonic() < deadline, "the failed callback was never recorded"
            time.sleep(0.05)
        time.sleep(0.3)
        stats = httpx.get(f"{base}/__mock__/stats").json()
    finally:
        mocks.child.stop()
    assert stats["callbacks_failed"] == 1 and stats["callbacks_sent"] == 0 and stats["callbacks_pending"] == 0
