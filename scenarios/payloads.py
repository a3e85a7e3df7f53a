"""Telegram Update factories: increasing update ids, a chat per simulated user, unique message ids."""

from __future__ import annotations

import itertools
import time
from typing import Any

_update_ids = itertools.count(90_000_001)
_message_ids = itertools.count(1)
_chat_ids = itertools.count(4_400_001)


def new_chat_id() -> int:
    return next(_chat_ids)


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    message_id = next(_message_ids)
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": f"{text} [soak m{message_id}]",
        },
    }
