"""Telegram Update factories, for soak's scenarios and your own: increasing update ids, unique
message ids, chats from the chat population, and file ids partly unique and partly repeated (as
Telegram re-sends a file with its file_id). Pure functions: no Locust import.

Ids come from a block per Locust process (use_id_block, called with the worker's index before the
first update), so the updates of several workers never share an update, message or chat id.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import deque
from typing import Any

ID_BLOCK = 1_000_000_000  # ids per process; chat ids stay far below 2**53 with a thousand workers
REPEATED_FILE_IDS = tuple(f"AwACAgIAAxkDAAE-rep{index:03d}" for index in range(20))
_block = 0
_update_ids = itertools.count(90_000_001)
_message_ids = itertools.count(1)
_chat_ids = itertools.count(4_400_001)
_file_serial = itertools.count(1)
# A reply without reply_to (the acknowledgement of a local button) names only its chat, so the
# accounting needs each callback's message in a chat where nothing else is going on. A new chat per
# callback did that, but grew the chat population by one every ~10 updates, and with it any state
# the service keeps per chat. So each user chat has BUTTON_CHATS chats for its buttons, in turn: a
# chat is taken again 16 callbacks later, which at 1 update/s per user is minutes, long after the
# last one finished (a chat taken again whenever its last use was 2 minutes old grew the population
# with the busiest minutes of the run, slowly, as a leak grows).
BUTTON_CHATS = 16
MAX_BUTTON_OWNERS = 10_000  # user chats remembered; past it the oldest gets new ones (new-chat runs)
_button_chats: dict[int, deque[int]] = {}


def use_id_block(block: int) -> None:
    """Start every id counter in this process's block (0 alone, the worker index with workers)."""
    global _block, _update_ids, _message_ids, _chat_ids, _file_serial  # noqa: PLW0603 - one set of counters per process
    _block = block
    _update_ids = itertools.count(90_000_001 + block * ID_BLOCK)
    _message_ids = itertools.count(1 + block * ID_BLOCK)
    _chat_ids = itertools.count(4_400_001 + block * ID_BLOCK)
    _file_serial = itertools.count(1)
    _button_chats.clear()


def new_update_id() -> int:
    return next(_update_ids)


def new_chat_id() -> int:
    """A chat id never used before in this run."""
    return next(_chat_ids)


def button_chat(user_chat: int) -> int:
    """The chat of the message a callback's button is on: one of BUTTON_CHATS of this user chat's,
    in turn."""
    chats = _button_chats.get(user_chat)
    if chats is None:
        if len(_button_chats) >= MAX_BUTTON_OWNERS:
            del _button_chats[next(iter(_button_chats))]
        chats = _button_chats[user_chat] = deque(new_chat_id() for _ in range(BUTTON_CHATS))
    chats.rotate(-1)
    return chats[0]


def _message(chat_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        **fields,
    }


def _update(**kind: Any) -> dict[str, Any]:
    return {"update_id": next(_update_ids), **kind}


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    message = _message(chat_id)
    message["text"] = f"{text} [soak m{message['message_id']}]"
    return _update(message=message)


def edited_text_update(chat_id: int, text: str) -> dict[str, Any]:
    message = _message(chat_id, edit_date=int(time.time()))
    message["text"] = f"{text} (edited) [soak m{message['message_id']}]"
    return _update(edited_message=message)


def command_update(chat_id: int, command: str) -> dict[str, Any]:
    return _update(message=_message(chat_id, text=command))


def file_id(rng: random.Random, repeat_share: float = 0.5) -> str:
    """One of a few file ids sent again and again (with probability repeat_share), else a new one."""
    if rng.random() < repeat_share:
        return rng.choice(REPEATED_FILE_IDS)
    return f"AwACAgIAAxkDAAE-uniq{_block:03d}{next(_file_serial):08d}"


def voice_update(chat_id: int, rng: random.Random, kind: str = "voice", repeat_share: float = 0.5) -> dict[str, Any]:
    """kind: voice (OGG note), audio (an MP3), or document (an audio file sent as a document)."""
    fid = file_id(rng, repeat_share)
    if kind == "audio":
        attachment = {"audio": {"file_id": fid, "duration": 48, "mime_type": "audio/mpeg", "file_size": 77120}}
    elif kind == "document":
        attachment = {"document": {"file_id": fid, "file_name": "memo.ogg", "mime_type": "audio/ogg"}}
    else:
        attachment = {"voice": {"file_id": fid, "duration": 6, "mime_type": "audio/ogg", "file_size": 21034}}
    return _update(message=_message(chat_id, **attachment))


def _is_local(text: str) -> bool:
    return not text.strip() or text.lower().startswith(("/start", "/help", "/status"))


def callback_update(user_id: int, data: str) -> dict[str, Any]:
    """A button pressed by this user, on a message in one of its button chats (button_chat).

    Free-text data carries its message's tag, as prompts do, so its cursor-runner job is traced. The
    button chat lets a reply without reply_to (the acknowledgement of empty or local-command data,
    §1.1 Q) be told from another update's apology in the user's chat.
    """
    query_id = str(7_719_000_000_000_000_000 + next(_update_ids))
    chat_id = button_chat(user_id)
    message = _message(chat_id, text="Choose:")
    if not _is_local(data):
        data = f"{data} [soak m{message['message_id']}]"
    return _update(
        callback_query={
            "id": query_id,
            "chat_instance": f"-{chat_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Soak"},
            "data": data,
            "message": message,
        }
    )


def forwards(kind: str, update: dict[str, Any]) -> bool:
    """Whether the contract forwards this update to cursor-runner (§1.1; voice: its transcript)."""
    if kind == "callback":
        return not _is_local(str(update["callback_query"].get("data") or ""))
    return kind in ("text", "edited", "voice")


def no_text_update(chat_id: int) -> dict[str, Any]:
    return _update(message=_message(chat_id, sticker={"file_id": "CAACAgIAAxkBAAE-stk", "emoji": "👍"}))
