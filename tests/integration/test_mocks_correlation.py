"""Correlation records over real loopback HTTP: a faulted request carries the same keys as a healthy
one (so its update is still known), marked with the fault; callbacks carry their time and latency."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import httpx

from harness.mocks_launcher import UPSTREAM_CALLS, start_mocks
from mocks.config import CursorRunnerConfig, ElevenLabsConfig, FaultSpec, MocksConfig, TelegramConfig
from tests.integration.test_mocks_cursor_runner import JOB, Receiver

TOKEN = "123456:TEST-soak-token"
ERROR_502 = FaultSpec(route="*", kind="error", status=502)


def read_calls(run_dir: Path, count: int) -> list[dict[str, object]]:
    """The records once count of them are flushed (the mocks flush every quarter second)."""
    path = run_dir / UPSTREAM_CALLS
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        if path.exists() and len(lines := path.read_text().splitlines()) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} records in {path}")


def _telegram_calls(client: httpx.Client) -> None:
    client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 44, "text": "✅ done", "reply_to_message_id": 310})
    client.post(f"/bot{TOKEN}/getFile", json={"file_id": "AwAC-v311"})
    client.get(f"/file/bot{TOKEN}/voice/AwAC-v311.oga")
    client.post(f"/bot{TOKEN}/answerCallbackQuery", json={"callback_query_id": "7719"})
    form = {"chat_id": "44", "reply_to_message_id": "311"}
    client.post(f"/bot{TOKEN}/sendVoice", data=form, files={"voice": ("a.mp3", b"\xff\xfb", "audio/mpeg")})


def _keys(record: dict[str, object]) -> dict[str, object]:
    return {
        k: v for k, v in record.items() if k in {"route", "chat_id", "reply_to", "mark", "file_id", "callback_query_id"}
    }


def test_faulted_telegram_requests_keep_their_keys(tmp_path: Path) -> None:
    healthy_dir, faulty_dir = tmp_path / "healthy", tmp_path / "faulty"
    healthy_dir.mkdir(), faulty_dir.mkdir()
    records = []
    for run_dir, faults in ((healthy_dir, ()), (faulty_dir, (ERROR_502,))):
        config = MocksConfig(telegram=TelegramConfig(faults=faults))
        handle = start_mocks(config.model_dump_json(), run_dir)
        try:
            with httpx.Client(base_url=handle.urls["telegram"], timeout=5.0) as client:
                _telegram_calls(client)
            records.append(read_calls(run_dir, 5))
        finally:
            handle.child.stop()
    healthy, faulty = records
    assert {r["status"] for r in faulty} == {502} and {r["fault"] for r in faulty} == {"error"}
    assert all("fault" not in r for r in healthy) and {r["status"] for r in healthy} == {200}
    assert [_keys(r) for r in faulty] == [_keys(r) for r in healthy]
    assert healthy[0]["mark"] == "ok" and healthy[4]["reply_to"] == "311"


def test_faulted_stt_and_cursor_runner_jobs_keep_their_keys(tmp_path: Path) -> None:
    receiver = Receiver()
    config = MocksConfig(
        elevenlabs=ElevenLabsConfig(api_key="k", faults=(FaultSpec(route="*", kind="reset"),)),
        cursor_runner=CursorRunnerConfig(callback_url=receiver.url, faults=(ERROR_502,)),
    )
    handle = start_mocks(config.model_dump_json(), tmp_path)
    try:
        upload = {"file": ("telegram_AwAC-v9_file.oga", b"ogg", "audio/ogg")}
        with contextlib.suppress(httpx.TransportError):  # the reset
            httpx.post(f"{handle.urls['elevenlabs']}/v1/speech-to-text", data={"model_id": "scribe_v1"},
                       files=upload, headers={"xi-api-key": "k"})  # fmt: skip
        reply = httpx.post(f"{handle.urls['cursor_runner']}/cursor/iterate", json=JOB)
        calls = read_calls(tmp_path, 2)
    finally:
        handle.child.stop()
        receiver.server.shutdown()
    by_up = {str(c["up"]): c for c in calls}
    assert reply.status_code == 502
    assert by_up["elevenlabs"]["file_id"] == "AwAC-v9" and by_up["elevenlabs"]["fault"] == "reset"
    assert by_up["cursor_runner"]["request_id"] == JOB["id"] and by_up["cursor_runner"]["prompt"] == JOB["prompt"]


def test_callback_records_carry_time_and_latency(tmp_path: Path) -> None:
    receiver = Receiver()
    config = CursorRunnerConfig(mode="ack+callback", latency=0, callback_url=receiver.url)
    handle = start_mocks(MocksConfig(cursor_runner=config).model_dump_json(), tmp_path)
    try:
        before = time.time()
        httpx.post(f"{handle.urls['cursor_runner']}/cursor/iterate", json=JOB)
        receiver.wait_for(1)
        calls = read_calls(tmp_path, 2)
    finally:
        handle.child.stop()
        receiver.server.shutdown()
    callback = next(c for c in calls if c["route"] == "callback_out")
    assert callback["request_id"] == JOB["id"] and callback["status"] == 200
    assert before <= float(str(callback["t"])) <= time.time() and 0 < float(str(callback["ms"])) < 5000
