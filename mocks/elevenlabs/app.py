"""ElevenLabs mock: speech-to-text (multipart, transcript per file id) and text-to-speech (+stream)."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import BodyPartReader, web

from mocks.common.admin import correlate, violation
from mocks.common.app import MockEnv, add_route, new_mock_app
from mocks.config import ElevenLabsConfig

CONFIG_KEY = web.AppKey("elevenlabs_config", ElevenLabsConfig)
# The SUT names the upload telegram_<file_id>_<basename>; file ids never hold "_" in practice,
# but Telegram's do hold "-", so take everything up to the next underscore.
_FILE_ID = re.compile(r"^telegram_([^_]+)_")
_MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413


_STATUS_NAMES = {401: "invalid_api_key", 429: "too_many_concurrent_requests"}
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def error_shape(status: int, description: str, retry_after_s: int | None) -> dict[str, Any]:
    return {"detail": {"status": _STATUS_NAMES.get(status, "internal_error"), "message": description}}


def _detail(status: int, detail: Any) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


def _unauthorized(request: web.Request) -> web.Response | None:
    if request.headers.get("xi-api-key") == request.app[CONFIG_KEY].api_key:
        return None
    return _detail(401, {"status": "invalid_api_key", "message": "Invalid API key"})


def _violation(request: web.Request, status: int, detail: Any) -> web.Response:
    violation(request)
    return _detail(status, detail)


def mp3_bytes(size_bytes: int) -> bytes:
    frames = _MP3_FRAME * (size_bytes // len(_MP3_FRAME) + 1)
    return frames[:size_bytes]


async def _read_stt_form(request: web.Request) -> dict[str, Any] | None:
    """Parts by name: file -> (filename, byte count), others -> text; None if not multipart."""
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        return None
    parts: dict[str, Any] = {}
    try:
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await part.read()
            parts[part.name] = (part.filename or "", len(data)) if part.filename else data.decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return parts


async def speech_to_text(request: web.Request) -> web.StreamResponse:
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    form = await _read_stt_form(request)
    if form is None or "file" not in form or not isinstance(form["file"], tuple):
        missing = [{"loc": ["body", "file"], "msg": "field required", "type": "missing"}]
        return _violation(request, 422, missing)
    if not form.get("model_id"):
        missing = [{"loc": ["body", "model_id"], "msg": "field required", "type": "missing"}]
        return _violation(request, 422, missing)
    match = _FILE_ID.match(form["file"][0])
    file_id = match.group(1) if match else ""
    correlate(request, file_id=file_id)
    config = request.app[CONFIG_KEY]
    text = config.transcripts.get(file_id, config.default_transcript)
    body = {"language_code": "en", "language_probability": 0.97, "text": text, "words": []}
    return web.json_response(body)


async def _tts_text(request: web.Request) -> str | None:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    text = body.get("text")
    return text if isinstance(text, str) and text else None


async def text_to_speech(request: web.Request) -> web.StreamResponse:
    route = "text_to_speech_stream" if request.path.endswith("/stream") else "text_to_speech"
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    text = await _tts_text(request)
    if text is None:
        missing = [{"loc": ["body", "text"], "msg": "field required", "type": "missing"}]
        return _violation(request, 422, missing)
    audio = mp3_bytes(request.app[CONFIG_KEY].tts_bytes)
    if route == "text_to_speech":
        return web.Response(body=audio, content_type="audio/mpeg")
    response = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for start in range(0, len(audio), 16_384):
        await response.write(audio[start : start + 16_384])
    await response.write_eof()
    return response


async def not_found(request: web.Request) -> web.StreamResponse:
    return _detail(404, "Not Found")


def create_app(config: ElevenLabsConfig, env: MockEnv | None = None) -> web.Application:
    app = new_mock_app("elevenlabs", error_shape, config.faults, env, MAX_UPLOAD_BYTES)
    app[CONFIG_KEY] = config
    add_route(app, "POST", "/v1/speech-to-text", speech_to_text, "speech_to_text")
    add_route(app, "POST", "/v1/text-to-speech/{voice_id}", text_to_speech, "text_to_speech")
    add_route(app, "POST", "/v1/text-to-speech/{voice_id}/stream", text_to_speech, "text_to_speech_stream")
    add_route(app, "*", "/{tail:.*}", not_found, "unknown")
    return app
