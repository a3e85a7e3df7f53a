"""Telegram Bot API mock: sendMessage with Telegram's envelopes and validation errors."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from mocks.common.admin import STATS_KEY, add_admin_routes, record
from mocks.config import TelegramConfig

CONFIG_KEY = web.AppKey("telegram_config", TelegramConfig)
MESSAGE_ID_KEY = web.AppKey("next_message_id", list[int])


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _violation(request: web.Request, description: str) -> web.Response:
    """A request that breaks the Bot API: Telegram answers 400 and we count it against the SUT."""
    request.app[STATS_KEY].contract_violations += 1
    return _error(400, f"Bad Request: {description}")


async def send_message(request: web.Request) -> web.StreamResponse:
    if request.match_info["token"] != request.app[CONFIG_KEY].token:
        return record(request, "sendMessage", _error(401, "Unauthorized"))
    body = await _json_body(request)
    if body is None:
        return record(request, "sendMessage", _violation(request, "invalid JSON body"))
    if body.get("chat_id") in (None, ""):
        return record(request, "sendMessage", _violation(request, "chat_id is empty"))
    if not str(body.get("text") or "").strip():
        return record(request, "sendMessage", _violation(request, "message text is empty"))
    counter = request.app[MESSAGE_ID_KEY]
    counter[0] += 1
    result = {
        "message_id": counter[0],
        "date": int(time.time()),
        "chat": {"id": body["chat_id"], "type": "private"},
        "text": body["text"],
    }
    return record(request, "sendMessage", web.json_response({"ok": True, "result": result}))


def create_app(config: TelegramConfig) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config
    app[MESSAGE_ID_KEY] = [9000]
    add_admin_routes(app)
    app.router.add_post("/bot{token}/sendMessage", send_message)
    return app
