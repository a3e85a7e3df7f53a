"""Every Telegram mock route over real loopback HTTP with httpx: envelopes, validation, correlation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.mocks_launcher import UPSTREAM_CALLS, MocksHandle, start_mocks
from mocks.config import MocksConfig, TelegramConfig

TOKEN = "123456:TEST-soak-token"
FILE_BYTES = 50_000


@pytest.fixture
def tg(tmp_path: Path) -> Iterator[tuple[MocksHandle, httpx.Client]]:
    config = MocksConfig(telegram=TelegramConfig(file_size=FILE_BYTES))
    handle = start_mocks(config.model_dump_json(), tmp_path)
    with httpx.Client(base_url=handle.urls["telegram"]) as client:
        yield handle, client
    handle.child.stop()


def read_calls(run_dir: Path, count: int) -> list[dict[str, object]]:
    """The records once count of them are flushed: the mocks flush every quarter second, so on a busy
    machine the first call's record may be written before the others."""
    deadline = time.monotonic() + 10.0
    path = run_dir / UPSTREAM_CALLS
    while time.monotonic() < deadline:
        if path.exists() and len(lines := path.read_text().splitlines()) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} records in {path}")


def test_send_message_validation_and_violations(tg: tuple[MocksHandle, httpx.Client]) -> None:
    _, client = tg
    url = f"/bot{TOKEN}/sendMessage"
    ok = client.post(url, json={"chat_id": 5, "text": "a &amp; b", "parse_mode": "MarkdownV2"})
    form = client.post(url, data={"chat_id": "6", "text": "from a form"})
    query = client.get(url, params={"chat_id": "7", "text": "from the query"})
    parts = client.post(url, files={"chat_id": (None, "8"), "text": (None, "from multipart")})
    torn = client.post(url, content=b"--b\r\nno end", headers={"Content-Type": "multipart/form-data; boundary=b"})
    missing_chat = client.post(url, json={"text": "hi"})
    too_long = client.post(url, json={"chat_id": 5, "text": "x" * 4097})
    not_json = client.post(url, content=b"{oops", headers={"Content-Type": "application/json"})
    assert ok.json()["result"]["text"] == "a &amp; b" and ok.json()["result"]["message_id"] > 9000
    assert form.json()["result"]["chat"]["id"] == "6" and query.json()["result"]["text"] == "from the query"
    assert missing_chat.status_code == 400 and missing_chat.json()["description"] == "Bad Request: chat_id is empty"
    assert too_long.json() == {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
    assert not_json.status_code == 400 and torn.status_code == 400
    assert parts.json()["result"]["chat"]["id"] == "8" and parts.json()["result"]["text"] == "from multipart"
    stats = client.get("/__mock__/stats").json()
    assert stats["contract_violations"] == 4 and stats["routes"]["sendMessage"] == {"200": 4, "400": 4}


def test_get_file_path_embeds_file_id_and_download_serves_configured_size(
    tg: tuple[MocksHandle, httpx.Client],
) -> None:
    _, client = tg
    got = client.post(f"/bot{TOKEN}/getFile", json={"file_id": "AwACAgIAAxkDAAE-v311"}).json()
    path = got["result"]["file_path"]
    assert got["ok"] is True and "AwACAgIAAxkDAAE-v311" in path and got["result"]["file_size"] == FILE_BYTES
    download = client.get(f"/file/bot{TOKEN}/{path}")
    assert download.status_code == 200 and len(download.content) == FILE_BYTES
    assert download.content.startswith(b"OggS")
    assert client.get(f"/file/botWRONG/{path}").status_code == 401
    assert client.get(f"/file/bot{TOKEN}/photos/nothing.jpg").status_code == 404
    empty = client.post(f"/bot{TOKEN}/getFile", json={"file_id": ""})
    assert empty.status_code == 400 and "file_id" in empty.json()["description"]


def test_send_voice_multipart(tg: tuple[MocksHandle, httpx.Client]) -> None:
    _, client = tg
    url = f"/bot{TOKEN}/sendVoice"
    files = {"voice": ("elevenlabs_tts_0011aabbccddeeff.mp3", b"\xff\xfb" * 500, "audio/mpeg")}
    sent = client.post(url, files=files, data={"chat_id": "44", "reply_to_message_id": "310"})
    assert sent.status_code == 200
    result = sent.json()["result"]
    assert result["chat"]["id"] == "44" and result["voice"]["file_size"] == 1000 and "text" not in result
    no_voice = client.post(url, files={"other": ("a.bin", b"x", "application/octet-stream")}, data={"chat_id": "44"})
    no_chat = client.post(url, files=files)
    not_multipart = client.post(url, json={"chat_id": 44, "voice": "abc"})
    truncated = client.post(
        url, content=b"--xyz\r\nContent-Disposition: form-data; name=", headers={"Content-Type": "multipart/form-data"}
    )
    assert [r.status_code for r in (no_voice, no_chat, not_multipart, truncated)] == [400, 400, 400, 400]
    assert no_voice.json()["description"] == "Bad Request: there is no voice in the request"
    assert client.get("/__mock__/stats").json()["contract_violations"] == 4


def test_callback_query_and_webhook_methods(tg: tuple[MocksHandle, httpx.Client]) -> None:
    _, client = tg
    answered = client.post(
        f"/bot{TOKEN}/answerCallbackQuery", json={"callback_query_id": "77", "text": "Processing..."}
    )
    unanswered = client.post(f"/bot{TOKEN}/answerCallbackQuery", json={"text": "Processing..."})
    assert answered.json() == {"ok": True, "result": True} and unanswered.status_code == 400
    hook = "https://soak.example/telegram/webhook"
    set_ = client.post(f"/bot{TOKEN}/setWebhook", json={"url": hook, "secret_token": "s"}).json()
    info = client.get(f"/bot{TOKEN}/getWebhookInfo").json()
    deleted = client.post(f"/bot{TOKEN}/deleteWebhook", json={}).json()
    after = client.get(f"/bot{TOKEN}/getWebhookInfo").json()
    assert set_["ok"] is True and set_["result"] is True
    assert info["result"] == {"url": hook, "has_custom_certificate": False, "pending_update_count": 0}
    assert deleted["result"] is True and after["result"]["url"] == ""


def test_wrong_token_and_unknown_method(tg: tuple[MocksHandle, httpx.Client]) -> None:
    _, client = tg
    wrong = client.post("/botWRONG/getFile", json={"file_id": "a"})
    unknown = client.post(f"/bot{TOKEN}/sendPhoto", json={"chat_id": 1})
    assert wrong.status_code == 401 and wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert unknown.status_code == 404 and unknown.json()["ok"] is False
    stats = client.get("/__mock__/stats").json()
    assert stats["routes"]["getFile"] == {"401": 1} and stats["routes"]["unknown"] == {"404": 1}
    assert stats["contract_violations"] == 0


def test_correlation_records_tie_calls_to_updates(tg: tuple[MocksHandle, httpx.Client], tmp_path: Path) -> None:
    _, client = tg
    client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 4400123, "text": "hi", "reply_to_message_id": 310})
    client.post(f"/bot{TOKEN}/getFile", json={"file_id": "AwACAgIAAxkDAAE-v311"})
    client.get(f"/file/bot{TOKEN}/voice/AwACAgIAAxkDAAE-v311.oga")
    client.post(f"/bot{TOKEN}/answerCallbackQuery", json={"callback_query_id": "7719"})
    calls = read_calls(tmp_path, 4)
    assert [c["route"] for c in calls] == ["sendMessage", "getFile", "file", "answerCallbackQuery"]
    assert calls[0]["chat_id"] == 4400123 and calls[0]["reply_to"] == 310 and calls[0]["status"] == 200
    assert calls[1]["file_id"] == calls[2]["file_id"] == "AwACAgIAAxkDAAE-v311"
    assert calls[3]["callback_query_id"] == "7719"
    assert {c["up"] for c in calls} == {"telegram"} and len({c["conn"] for c in calls}) == 1


def test_strictness_html_entities_big_files_and_expiring_links(tmp_path: Path) -> None:
    config = MocksConfig(telegram=TelegramConfig(file_size="21 MiB", file_link_ttl="300 ms"))
    handle = start_mocks(config.model_dump_json(), tmp_path)
    try:
        with httpx.Client(base_url=handle.urls["telegram"]) as client:
            url = f"/bot{TOKEN}/sendMessage"
            escaped = client.post(url, json={"chat_id": 5, "text": "1 &lt; 2 <b>ok</b>", "parse_mode": "HTML"})
            raw = client.post(url, json={"chat_id": 5, "text": "1 < 2", "parse_mode": "HTML"})
            plain = client.post(url, json={"chat_id": 5, "text": "1 < 2"})  # no parse_mode: no HTML check
            too_big = client.post(f"/bot{TOKEN}/getFile", json={"file_id": "big"})
            never_issued = client.get(f"/file/bot{TOKEN}/voice/never.oga")
            stats = client.get("/__mock__/stats").json()
    finally:
        handle.child.stop()
    assert escaped.status_code == 200 and plain.status_code == 200
    assert raw.status_code == 400 and raw.json()["description"].startswith("Bad Request: can't parse entities")
    assert too_big.status_code == 400 and too_big.json()["description"] == "Bad Request: file is too big"
    assert never_issued.status_code == 404
    assert stats["contract_violations"] == 1  # the malformed HTML; a big file or a lost link is no violation


def test_file_links_expire_and_strict_false_lets_anything_through(tmp_path: Path) -> None:
    for strict in (True, False):
        config = MocksConfig(telegram=TelegramConfig(file_link_ttl="300 ms", strict=strict))
        run_dir = tmp_path / str(strict)
        run_dir.mkdir()
        handle = start_mocks(config.model_dump_json(), run_dir)
        try:
            with httpx.Client(base_url=handle.urls["telegram"]) as client:
                path = client.post(f"/bot{TOKEN}/getFile", json={"file_id": "f1"}).json()["result"]["file_path"]
                fresh = client.get(f"/file/bot{TOKEN}/{path}").status_code
                time.sleep(0.4)
                stale = client.get(f"/file/bot{TOKEN}/{path}").status_code
                html = client.post(
                    f"/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "<x>", "parse_mode": "HTML"}
                ).status_code
        finally:
            handle.child.stop()
        assert (fresh, stale, html) == ((200, 404, 400) if strict else (200, 200, 200))
