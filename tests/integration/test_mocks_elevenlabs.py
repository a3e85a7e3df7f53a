"""ElevenLabs mock over real loopback HTTP: STT transcripts by file id, TTS bytes, the stream variant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import ElevenLabsConfig, MocksConfig

KEY = {"xi-api-key": "k-123"}
TTS_BYTES = 100_000


@pytest.fixture
def el(tmp_path: Path) -> Iterator[httpx.Client]:
    config = ElevenLabsConfig(api_key="k-123", transcripts={"AwACAgIAAxkDAAE-v311": "/status"}, tts_size=TTS_BYTES)
    handle: MocksHandle = start_mocks(MocksConfig(elevenlabs=config).model_dump_json(), tmp_path)
    with httpx.Client(base_url=handle.urls["elevenlabs"], headers=KEY) as client:
        yield client
    handle.child.stop()


def stt(client: httpx.Client, filename: str, model_id: str | None = "scribe_v1") -> httpx.Response:
    data = {"model_id": model_id} if model_id else {}
    return client.post("/v1/speech-to-text", files={"file": (filename, b"OggS" * 100, "audio/ogg")}, data=data)


def test_speech_to_text_transcript_by_file_id(el: httpx.Client) -> None:
    steered = stt(el, "telegram_AwACAgIAAxkDAAE-v311_file_311.oga")
    other = stt(el, "telegram_BQACAgIAAxkDAAE-d313_memo.ogg")
    assert steered.json() == {"language_code": "en", "language_probability": 0.97, "text": "/status", "words": []}
    assert other.json()["text"] == "list failing tests on main [soak fBQACAgIAAxkDAAE-d313]"


def test_speech_to_text_errors(el: httpx.Client) -> None:
    no_key = httpx.post(el.base_url.join("/v1/speech-to-text"), files={"file": ("a.oga", b"x")}, data={"model_id": "m"})
    no_model = stt(el, "telegram_x_a.oga", model_id=None)
    no_file = el.post("/v1/speech-to-text", data={"model_id": "m"})
    assert no_key.status_code == 401 and no_key.json()["detail"]["status"] == "invalid_api_key"
    assert no_model.status_code == 422 and no_model.json()["detail"][0]["loc"] == ["body", "model_id"]
    assert no_file.status_code == 422 and no_file.json()["detail"][0]["loc"] == ["body", "file"]
    stats = el.get("/__mock__/stats").json()
    assert stats["contract_violations"] == 2 and stats["routes"]["speech_to_text"] == {"401": 1, "422": 2}


def test_text_to_speech_and_stream(el: httpx.Client) -> None:
    body = {"text": "hello", "model_id": "eleven_turbo_v2_5"}
    plain = el.post("/v1/text-to-speech/v1", json=body, params={"output_format": "mp3_44100_128"})
    with el.stream("POST", "/v1/text-to-speech/v1/stream", json=body) as streamed:
        chunks = list(streamed.iter_raw())
        encoding = streamed.headers.get("transfer-encoding")
    assert plain.status_code == 200 and plain.headers["content-type"] == "audio/mpeg"
    assert len(plain.content) == TTS_BYTES and plain.content[:2] == b"\xff\xfb"
    assert encoding == "chunked" and sum(len(c) for c in chunks) == TTS_BYTES
    missing = el.post("/v1/text-to-speech/v1", json={"model_id": "m"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["msg"] == "field required"
