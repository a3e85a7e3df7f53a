"""Telegram Bot API mock: the methods the service calls, file downloads, envelopes and validation.

Parameters are read as Telegram reads them: from the query string, a JSON body, a form body or,
for sendVoice, a multipart body. A request that breaks the API gets 400 and counts as a violation.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from mocks.common.admin import correlate, violation
from mocks.common.app import MockEnv, add_route, new_mock_app
from mocks.config import TelegramConfig
from mocks.telegram import payloads

MAX_TEXT_CHARS = 4096
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass
class TelegramState:
    config: TelegramConfig
    next_message_id: int = 9000
    webhook_url: str = ""

    def new_message_id(self) -> int:
        self.next_message_id += 1
        return self.next_message_id


STATE_KEY = web.AppKey("telegram_state", TelegramState)
Method = Callable[[web.Request, dict[str, Any], TelegramState], Awaitable[web.Response]]


def _bad(request: web.Request, description: str) -> web.Response:
    violation(request)
    return payloads.error(400, f"Bad Request: {description}")


async def _params(request: web.Request) -> dict[str, Any] | None:
    """Query plus body parameters; None when the body claims JSON or form and does not parse."""
    params: dict[str, Any] = dict(request.query) if request.query_string else {}
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/x-www-form-urlencoded":
        params.update(await request.post())
        return params
    raw = await request.read()
    if not raw:
        return params
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    params.update(body)
    return params


def _reply_to(params: dict[str, Any]) -> Any:
    return params.get("reply_to_message_id") or (params.get("reply_parameters") or {}).get("message_id")


async def send_message(request: web.Request, params: dict[str, Any], state: TelegramState) -> web.Response:
    correlate(request, chat_id=params.get("chat_id"), reply_to=_reply_to(params))
    if params.get("chat_id") in (None, ""):
        return _bad(request, "chat_id is empty")
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        return _bad(request, "message text is empty")
    if len(text) > MAX_TEXT_CHARS:
        return _bad(request, "message is too long")
    return payloads.ok(payloads.message(state.new_message_id(), params["chat_id"], text=text))


async def get_file(request: web.Request, params: dict[str, Any], state: TelegramState) -> web.Response:
    file_id = params.get("file_id")
    correlate(request, file_id=file_id)
    if not isinstance(file_id, str) or not file_id.strip():
        return _bad(request, "invalid file_id")
    size = state.config.file_bytes
    result = {
        "file_id": file_id,
        "file_unique_id": f"u{abs(hash(file_id)) % 10**10}",
        "file_size": size,
        "file_path": payloads.file_path_for(file_id),
    }
    return payloads.ok(result)


async def answer_callback_query(request: web.Request, params: dict[str, Any], state: TelegramState) -> web.Response:
    query_id = params.get("callback_query_id")
    correlate(request, callback_query_id=query_id)
    if query_id in (None, ""):
        return _bad(request, "query is too old and response timeout expired or query ID is invalid")
    return payloads.ok(True)


async def set_webhook(request: web.Request, params: dict[str, Any], state: TelegramState) -> web.Response:
    url = params.get("url")
    if url is None:
        return _bad(request, "url is required")
    state.webhook_url = str(url)
    body = {"ok": True, "result": True, "description": "Webhook was set" if url else "Webhook is already deleted"}
    return web.json_response(body)


async def get_webhook_info(request: web.Request, params: dict[str, Any], state: TelegramState) -> web.Response:
    url = state.webhook_url
    return payloads.ok({"url": url, "has_custom_certificate": False, "pending_update_count": 0})


async def delete_webhook(request: web.Request, params: dict[str, Any], state: TelegramState) -> web.Response:
    state.webhook_url = ""
    return web.json_response({"ok": True, "result": True, "description": "Webhook was deleted"})


async def _voice_form(request: web.Request) -> dict[str, Any] | None:
    """Multipart parts: the voice file as its byte count, the rest as text; None if unreadable."""
    try:
        reader = await request.multipart()
        form: dict[str, Any] = dict(request.query)
        async for part in reader:
            if not isinstance(part, BodyPartReader) or not part.name:
                return None
            data = await part.read()
            form[part.name] = len(data) if part.filename else data.decode()
    except (AssertionError, ValueError, KeyError, UnicodeDecodeError):
        return None
    return form


async def send_voice(request: web.Request) -> web.StreamResponse:
    if not _token_ok(request):
        return payloads.error(401, "Unauthorized")
    form = await _voice_form(request) if request.content_type.startswith("multipart/") else None
    if form is None:
        return _bad(request, "there is no voice in the request")
    correlate(request, chat_id=form.get("chat_id"), reply_to=form.get("reply_to_message_id"))
    if form.get("chat_id") in (None, ""):
        return _bad(request, "chat_id is empty")
    if not isinstance(form.get("voice"), int):
        return _bad(request, "there is no voice in the request")
    state = request.app[STATE_KEY]
    message = payloads.message(state.new_message_id(), form["chat_id"], voice=payloads.voice(form["voice"]))
    return payloads.ok(message)


def _token_ok(request: web.Request) -> bool:
    return request.match_info["token"] == request.app[STATE_KEY].config.token


def _method(state: TelegramState, handler: Method) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    token = state.config.token

    async def route(request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != token:
            return payloads.error(401, "Unauthorized")
        params = await _params(request)
        if params is None:
            return _bad(request, "can't parse request body as JSON")
        return await handler(request, params, state)

    return route


async def download(request: web.Request) -> web.StreamResponse:
    if not _token_ok(request):
        return payloads.error(401, "Unauthorized")
    file_id = payloads.file_id_from_path(request.match_info["path"])
    correlate(request, file_id=file_id)
    if file_id is None:
        return payloads.error(404, "Not Found")
    body = payloads.ogg_bytes(request.app[STATE_KEY].config.file_bytes)
    return web.Response(body=body, content_type="audio/ogg")


async def not_found(request: web.Request) -> web.StreamResponse:
    return payloads.error(404, "Not Found")


METHODS: dict[str, Method] = {
    "sendMessage": send_message,
    "getFile": get_file,
    "answerCallbackQuery": answer_callback_query,
    "setWebhook": set_webhook,
    "getWebhookInfo": get_webhook_info,
    "deleteWebhook": delete_webhook,
}


def create_app(config: TelegramConfig, env: MockEnv | None = None) -> web.Application:
    app = new_mock_app("telegram", payloads.error_shape, config.faults, env, MAX_UPLOAD_BYTES)
    state = app[STATE_KEY] = TelegramState(config=config)
    for name, handler in METHODS.items():
        add_route(app, "*", f"/bot{{token}}/{name}", _method(state, handler), name=name)
    add_route(app, "POST", "/bot{token}/sendVoice", send_voice, "sendVoice")
    add_route(app, "GET", "/file/bot{token}/{path:.+}", download, "file")
    add_route(app, "*", "/{tail:.*}", not_found, "unknown")
    return app
