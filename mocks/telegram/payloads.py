"""Canned Telegram Bot API payloads and errors, in one place."""

from __future__ import annotations

import time
from typing import Any

from mocks.server.message import Response, json_response

# An OGG page header, repeated: enough for clients that sniff the type; the content is never decoded.
_OGG_PAGE = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead" + b"\x00" * 482


def ogg_bytes(size_bytes: int) -> bytes:
    return (_OGG_PAGE * (size_bytes // len(_OGG_PAGE) + 1))[:size_bytes]


def error_shape(status: int, description: str, retry_after_s: int | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after_s is not None:
        payload["parameters"] = {"retry_after": retry_after_s}
    return payload


def error(status: int, description: str) -> Response:
    return json_response(error_shape(status, description, None), status=status)


def ok(result: Any) -> Response:
    return json_response({"ok": True, "result": result})


def message(message_id: int, chat_id: Any, **content: Any) -> dict[str, Any]:
    return {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}, **content}


def file_path_for(file_id: str) -> str:
    """The file id is embedded in the path, so a download can be tied to its getFile (and update)."""
    return f"voice/{file_id}.oga"


def file_id_from_path(path: str) -> str | None:
    if not path.startswith("voice/") or not path.endswith(".oga"):
        return None
    file_id = path[len("voice/") : -len(".oga")]
    return file_id or None


def voice(file_size: int) -> dict[str, Any]:
    return {
        "duration": max(1, file_size // 3000),
        "mime_type": "audio/ogg",
        "file_id": f"AwACAgIAAxkDAAE-voice{file_size}",
        "file_unique_id": f"AgADvoice{file_size}",
        "file_size": file_size,
    }
