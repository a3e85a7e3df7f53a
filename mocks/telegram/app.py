"""Telegram Bot API mock: the methods the service calls, file downloads, envelopes and validation.

Parameters are read as Telegram reads them: from the query string, a JSON body, a form body or,
for sendVoice, a multipart body. A request that breaks the API gets 400 and counts as a violation.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mocks.common.admin import correlate, violation
from mocks.common.app import MockApp, MockEnv
from mocks.config import TelegramConfig
from mocks.server import multipart
from mocks.server.message import Request, Response, json_response
from mocks.telegram import payloads
from mocks.telegram.html_check import html_error
from vocab.upstreams import Upstream

MAX_TEXT_CHARS = 4096
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Bots cannot download files over 20 MB: getFile refuses them.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# File links remembered for expiry; past this many the oldest are forgotten (read as expired).
# About 170 bytes a link (measured with tracemalloc): at most ~17 MiB.
MAX_FILE_LINKS = 100_000


@dataclass
class TelegramState:
    """What the Telegram mock remembers between calls.

    file_links holds the links issued within the last file_link_ttl_s (an expired link reads as
    one never issued), so it fills for one TTL at the rate of new file ids, then stays level: a
    voice note a second fills ~3,600 links (~0.6 MiB) in the default hour; without the expiry it grew
    ~4.6 MiB/h in the self-soak benchmark (475 new file ids a minute) until MAX_FILE_LINKS.
    """

    config: TelegramConfig
    next_message_id: int = 9000
    webhook_url: str = ""
    # file id -> when getFile last issued its path (monotonic s), oldest first.
    file_links: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def new_message_id(self) -> int:
        self.next_message_id += 1
        return self.next_message_id

    def issue_link(self, file_id: str, now_s: float | None = None) -> None:
        now_s = time.monotonic() if now_s is None else now_s
        self.file_links[file_id] = now_s
        self.file_links.move_to_end(file_id)
        self._forget_expired(now_s)
        if len(self.file_links) > MAX_FILE_LINKS:
            self.file_links.popitem(last=False)

    def _forget_expired(self, now_s: float) -> None:
        """Drop the oldest links while expired: issue order is time order, so the rest are younger."""
        cutoff_s = now_s - self.config.file_link_ttl_s
        links = self.file_links
        while links:
            oldest_id, issued_s = next(iter(links.items()))
            if issued_s >= cutoff_s:
                return
            del links[oldest_id]

    def link_valid(self, file_id: str) -> bool:
        issued_s = self.file_links.get(file_id)
        return issued_s is not None and time.monotonic() - issued_s <= self.config.file_link_ttl_s


Method = Callable[[Request, dict[str, Any], TelegramState], Response]


def _bad(request: Request, description: str) -> Response:
    violation(request)
    return payloads.error(400, f"Bad Request: {description}")


def _params(request: Request) -> dict[str, Any] | None:
    """Query plus body parameters (form, multipart or JSON object); None for a body that is none of them."""
    params: dict[str, Any] = request.query
    if not request.body:
        return params
    content_type = request.content_type
    if content_type == "application/x-www-form-urlencoded":
        params.update(request.form())
        return params
    if content_type.startswith("multipart/"):
        form = _multipart_form(request)
        return None if form is None else {**params, **form}
    try:
        body = request.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    params.update(body)
    return params


def _reply_to(params: dict[str, Any]) -> Any:
    return params.get("reply_to_message_id") or (params.get("reply_parameters") or {}).get("message_id")


# The contract's leading markers (status, success, error): which reply of an update a message is.
MARKERS = {"\N{MICROPHONE}": "status", "\N{HOURGLASS WITH FLOWING SAND}": "status", "\N{WHITE HEAVY CHECK MARK}": "ok",
           "\N{CROSS MARK}": "error"}  # fmt: skip


def _mark(text: Any) -> str | None:
    return MARKERS.get(text.lstrip()[:1]) if isinstance(text, str) else None


def _message_keys(params: dict[str, Any]) -> dict[str, object]:
    return {"chat_id": params.get("chat_id"), "reply_to": _reply_to(params), "mark": _mark(params.get("text"))}


def _file_keys(params: dict[str, Any]) -> dict[str, object]:
    return {"file_id": params.get("file_id")}


def _query_keys(params: dict[str, Any]) -> dict[str, object]:
    return {"callback_query_id": params.get("callback_query_id")}


def _voice_keys(form: dict[str, Any]) -> dict[str, object]:
    return {"chat_id": form.get("chat_id"), "reply_to": form.get("reply_to_message_id")}


def send_message(request: Request, params: dict[str, Any], state: TelegramState) -> Response:
    correlate(request, **_message_keys(params))
    if params.get("chat_id") in (None, ""):
        return _bad(request, "chat_id is empty")
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        return _bad(request, "message text is empty")
    if len(text) > MAX_TEXT_CHARS:
        return _bad(request, "message is too long")
    if state.config.strict and str(params.get("parse_mode") or "").upper() == "HTML":
        problem = html_error(text)
        if problem is not None:
            return _bad(request, problem)
    return payloads.ok(payloads.message(state.new_message_id(), params["chat_id"], text=text))


def get_file(request: Request, params: dict[str, Any], state: TelegramState) -> Response:
    file_id = params.get("file_id")
    correlate(request, **_file_keys(params))
    if not isinstance(file_id, str) or not file_id.strip():
        return _bad(request, "invalid file_id")
    size = state.config.file_size_bytes
    if state.config.strict and size > MAX_DOWNLOAD_BYTES:
        return payloads.error(400, "Bad Request: file is too big")
    state.issue_link(file_id)
    result = {
        "file_id": file_id,
        "file_unique_id": f"u{abs(hash(file_id)) % 10**10}",
        "file_size": size,
        "file_path": payloads.file_path_for(file_id),
    }
    return payloads.ok(result)


def answer_callback_query(request: Request, params: dict[str, Any], state: TelegramState) -> Response:
    query_id = params.get("callback_query_id")
    correlate(request, **_query_keys(params))
    if query_id in (None, ""):
        return _bad(request, "query is too old and response timeout expired or query ID is invalid")
    return payloads.ok(True)


def set_webhook(request: Request, params: dict[str, Any], state: TelegramState) -> Response:
    url = params.get("url")
    if url is None:
        return _bad(request, "url is required")
    state.webhook_url = str(url)
    body = {"ok": True, "result": True, "description": "Webhook was set" if url else "Webhook is already deleted"}
    return json_response(body)


def get_webhook_info(request: Request, params: dict[str, Any], state: TelegramState) -> Response:
    url = state.webhook_url
    return payloads.ok({"url": url, "has_custom_certificate": False, "pending_update_count": 0})


def delete_webhook(request: Request, params: dict[str, Any], state: TelegramState) -> Response:
    state.webhook_url = ""
    return json_response({"ok": True, "result": True, "description": "Webhook was deleted"})


def _multipart_form(request: Request) -> dict[str, Any] | None:
    """Multipart parameters; a file stands as its byte count (all a method checks of it)."""
    fields = multipart.form(request.body, request.headers.get("content-type", ""))
    if fields is None:
        return None
    return {name: len(v.data) if isinstance(v, multipart.Part) else v for name, v in fields.items()}


def _voice_form(request: Request) -> dict[str, Any] | None:
    form = _multipart_form(request)
    return None if form is None else {**request.query, **form}


def _send_voice(state: TelegramState) -> Callable[[Request], Response]:
    def send_voice(request: Request) -> Response:
        form = _voice_form(request)
        if form is None:
            return _bad(request, "there is no voice in the request")
        correlate(request, **_voice_keys(form))
        if form.get("chat_id") in (None, ""):
            return _bad(request, "chat_id is empty")
        if not isinstance(form.get("voice"), int):
            return _bad(request, "there is no voice in the request")
        message = payloads.message(state.new_message_id(), form["chat_id"], voice=payloads.voice(form["voice"]))
        return payloads.ok(message)

    return send_voice


def _method(state: TelegramState, handler: Method) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        params = _params(request)
        if params is None:
            return _bad(request, "can't parse request body as JSON")
        return handler(request, params, state)

    return route


def _download(state: TelegramState) -> Callable[[Request], Response]:
    def download(request: Request) -> Response:
        file_id = payloads.file_id_from_path(request.match["path"])
        correlate(request, file_id=file_id)
        # A path getFile never issued, or issued too long ago, is gone, as on Telegram.
        if file_id is None or (state.config.strict and not state.link_valid(file_id)):
            return payloads.error(404, "Not Found")
        return Response(body=payloads.ogg_bytes(state.config.file_size_bytes), content_type="audio/ogg")

    return download


def _authorized(token: str, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """401 for a path whose bot token is not the configured one, as Telegram answers it."""

    def route(request: Request) -> Response:
        if request.match["token"] != token:
            return payloads.error(401, "Unauthorized")
        return handler(request)

    return route


def not_found(request: Request) -> Response:
    return payloads.error(404, "Not Found")


def _keys_reader(keys: Callable[[dict[str, Any]], dict[str, object]]) -> Callable[[Request], dict[str, object]]:
    """A method's correlation keys for a request a fault answered (no handler ran)."""

    def read(request: Request) -> dict[str, object]:
        return keys(_params(request) or {})

    return read


def _voice_reader(request: Request) -> dict[str, object]:
    return _voice_keys(_voice_form(request) or {})


def _download_reader(request: Request) -> dict[str, object]:
    return {"file_id": payloads.file_id_from_path(request.match.get("path", ""))}


METHOD_KEYS: dict[str, Callable[[dict[str, Any]], dict[str, object]]] = {
    "sendMessage": _message_keys,
    "getFile": _file_keys,
    "answerCallbackQuery": _query_keys,
}


METHODS: dict[str, Method] = {
    "sendMessage": send_message,
    "getFile": get_file,
    "answerCallbackQuery": answer_callback_query,
    "setWebhook": set_webhook,
    "getWebhookInfo": get_webhook_info,
    "deleteWebhook": delete_webhook,
}


def create_app(config: TelegramConfig, env: MockEnv | None = None) -> MockApp:
    app = MockApp(Upstream.TELEGRAM, payloads.error_shape, config.faults, env, MAX_UPLOAD_BYTES)
    state = TelegramState(config=config)
    token = config.token
    for name, handler in METHODS.items():
        keys = _keys_reader(METHOD_KEYS[name]) if name in METHOD_KEYS else None
        app.route("*", f"/bot{{token}}/{name}", _authorized(token, _method(state, handler)), name, keys)
    app.route("POST", "/bot{token}/sendVoice", _authorized(token, _send_voice(state)), "sendVoice", _voice_reader)
    app.route("GET", "/file/bot{token}/{path:.+}", _authorized(token, _download(state)), "file", _download_reader)
    app.route("*", "/{tail:.*}", not_found, "unknown")
    return app
