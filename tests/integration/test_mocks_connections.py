"""The mocks' connection accounting: requests per connection, who closed each, and churn."""

from __future__ import annotations

import time
from typing import Any

import httpx

from harness.mocks_launcher import MocksHandle

TOKEN = "123456:TEST-soak-token"
REQUESTS = 40


def connections(base: str) -> dict[str, Any]:
    # A fresh client per poll, as the harness's probe does; such polls must not count.
    stats: dict[str, Any] = httpx.get(f"{base}/__mock__/stats").json()["connections"]
    return stats


def send(client: httpx.Client, count: int) -> None:
    for n in range(count):
        assert client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": n, "text": "hi"}).status_code == 200


def test_keep_alive_reuses_and_close_opens_one_per_request(mocks: MocksHandle) -> None:
    base = mocks.urls["telegram"]
    with httpx.Client(base_url=base) as keep_alive:
        send(keep_alive, REQUESTS)
        during = connections(base)
    time.sleep(0.2)
    after_keep_alive = connections(base)
    with httpx.Client(base_url=base, headers={"Connection": "close"}) as closing:
        send(closing, REQUESTS)
    time.sleep(0.2)
    after_close = connections(base)
    assert during["opened"] == 1 and during["open"] == 1 and during["requests_per_connection"] == REQUESTS
    assert after_keep_alive["open"] == 0 and after_keep_alive["closed_by_requests"] == {"le_64": 1}
    assert after_close["opened"] == 1 + REQUESTS and after_close["open"] == 0
    assert after_close["closed_by_requests"] == {"le_1": REQUESTS, "le_64": 1}
    assert after_close["requests_per_connection"] == 2 * REQUESTS / (1 + REQUESTS)
    # The keep-alive client closed its one connection on leaving; each Connection: close request
    # had the mock close its connection right after the answer: one-shot churn.
    assert after_keep_alive["churn"] == {"connections": 0, "one_shot": 0, "left_behind": 0}
    assert after_keep_alive["closed"] == {"client": 1}
    assert after_close["churn"] == {"connections": REQUESTS, "one_shot": REQUESTS, "left_behind": 0}
    assert after_close["closed"] == {"client": 1, "client_requested": REQUESTS}
    assert after_close["accepted_total"] >= 1 + REQUESTS + 3


def test_each_upstream_counts_its_own_connections(mocks: MocksHandle) -> None:
    with httpx.Client() as client:
        client.get(f"{mocks.urls['cursor_runner']}/health")
        client.get(f"{mocks.urls['cursor_runner']}/health")
        cr = connections(mocks.urls["cursor_runner"])
        el = connections(mocks.urls["elevenlabs"])
    assert cr["opened"] == 1 and cr["requests"] == 2 and el["opened"] == 0
