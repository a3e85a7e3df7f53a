"""The mocks process, driven over real loopback HTTP."""

import httpx

from harness.mocks_launcher import MocksHandle

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
