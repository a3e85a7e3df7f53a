"""ElevenLabs mock: speech-to-text (multipart, transcript per file id) and text-to-speech (+stream)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from mocks.common.admin import correlate, violation
from mocks.common.app import MockApp, MockEnv
from mocks.config import ElevenLabsConfig
from mocks.server import multipart
from mocks.server.message import BodyWriter, Request, Response, json_response
from vocab.upstreams import Upstream

# The SUT names the upload telegram_<file_id>_<basename>; file ids never hold "_" in practice,
# but Telegram's do hold "-", so take everything up to the next underscore.
_FILE_ID = re.compile(r"^telegram_([^_]+)_")
_MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413
STREAM_CHUNK_BYTES = 16_384


_STATUS_NAMES = {401: "invalid_api_key", 429: "too_many_concurrent_requests"}
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def error_shape(status: int, description: str, retry_after_s: int | None) -> dict[str, Any]:
    return {"detail": {"status": _STATUS_NAMES.get(status, "internal_error"), "message": description}}


def _detail(status: int, detail: Any) -> Response:
    return json_response({"detail": detail}, status=status)


def _unauthorized(request: Request, config: ElevenLabsConfig) -> Response | None:
    if request.headers.get("xi-api-key") == config.api_key:
        return None
    return _detail(401, {"status": "invalid_api_key", "message": "Invalid API key"})


def _violation(request: Request, status: int, detail: Any) -> Response:
    violation(request)
    return _detail(status, detail)


def mp3_bytes(size_bytes: int) -> bytes:
    frames = _MP3_FRAME * (size_bytes // len(_MP3_FRAME) + 1)
    return frames[:size_bytes]


def _missing(request: Request, field: str) -> Response:
    return _violation(request, 422, [{"loc": ["body", field], "msg": "field required", "type": "missing"}])


def _file_id_of(filename: str) -> str:
    match = _FILE_ID.match(filename)
    return match.group(1) if match else ""


def stt_keys(request: Request) -> dict[str, object]:
    """The uploaded file's id, also for a request a fault answered."""
    form = multipart.form(request.body, request.headers.get("content-type", ""))
    upload = form.get("file") if form is not None else None
    return {"file_id": _file_id_of(upload.filename)} if isinstance(upload, multipart.Part) and upload.filename else {}


def _speech_to_text(config: ElevenLabsConfig) -> Callable[[Request], Response]:
    def speech_to_text(request: Request) -> Response:
        denied = _unauthorized(request, config)
        if denied is not None:
            return denied
        form = multipart.form(request.body, request.headers.get("content-type", ""))
        upload = form.get("file") if form is not None else None
        if not isinstance(upload, multipart.Part) or not upload.filename:
            return _missing(request, "file")
        if not form or not form.get("model_id"):
            return _missing(request, "model_id")
        file_id = _file_id_of(upload.filename)
        correlate(request, file_id=file_id)
        # "{file_id}" in a transcript names the file, so the prompt it becomes can be traced to it.
        text = config.transcripts.get(file_id, config.default_transcript).replace("{file_id}", file_id)
        return json_response({"language_code": "en", "language_probability": 0.97, "text": text, "words": []})

    return speech_to_text


def _tts_text(request: Request) -> str | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    text = body.get("text")
    return text if isinstance(text, str) and text else None


def _text_to_speech(config: ElevenLabsConfig, streamed: bool) -> Callable[[Request], Response]:
    def text_to_speech(request: Request) -> Response:
        denied = _unauthorized(request, config)
        if denied is not None:
            return denied
        if _tts_text(request) is None:
            return _missing(request, "text")
        audio = mp3_bytes(config.tts_size_bytes)
        if not streamed:
            return Response(body=audio, content_type="audio/mpeg")

        async def chunks(writer: BodyWriter) -> None:
            for start in range(0, len(audio), STREAM_CHUNK_BYTES):
                await writer.write(audio[start : start + STREAM_CHUNK_BYTES])

        return Response(content_type="audio/mpeg", stream=chunks)

    return text_to_speech


def not_found(request: Request) -> Response:
    return _detail(404, "Not Found")


def create_app(config: ElevenLabsConfig, env: MockEnv | None = None) -> MockApp:
    app = MockApp(Upstream.ELEVENLABS, error_shape, config.faults, env, MAX_UPLOAD_BYTES)
    app.route("POST", "/v1/speech-to-text", _speech_to_text(config), "speech_to_text", stt_keys)
    app.route("POST", "/v1/text-to-speech/{voice_id}", _text_to_speech(config, streamed=False), "text_to_speech")
    stream = _text_to_speech(config, streamed=True)
    app.route("POST", "/v1/text-to-speech/{voice_id}/stream", stream, "text_to_speech_stream")
    app.route("*", "/{tail:.*}", not_found, "unknown")
    return app
