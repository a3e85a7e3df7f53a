"""Telegram's check of parse_mode=HTML text: the tags and entities it supports, balanced tags.

Descriptions follow Telegram's "can't parse entities: ..." wording; offsets count UTF-8 bytes.
"""

from __future__ import annotations

import re

SUPPORTED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre"}
    | {"blockquote", "tg-emoji"}
)
NAMED_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^<>]*)>")
_SPECIAL = re.compile(r"[<&]")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def html_error(text: str) -> str | None:
    """None for text Telegram would accept; otherwise the part of the 400 description after 'Bad Request: '."""
    open_tags: list[str] = []
    special = _SPECIAL.search(text)
    while special is not None:
        position = special.start()
        step = _entity(text, position) if text[position] == "&" else _tag(text, position, open_tags)
        if isinstance(step, str):
            return f"can't parse entities: {step}"
        special = _SPECIAL.search(text, step)
    if open_tags:
        return f"can't parse entities: Can't find end tag corresponding to start tag \"{open_tags[-1]}\""
    return None


def _entity(text: str, position: int) -> int | str:
    """The position after a known entity, or the error description."""
    match = _ENTITY.match(text, position)
    if match is None or (match.group(1)[0] != "#" and match.group(1).lower() not in NAMED_ENTITIES):
        return f"Can't find end of the entity starting at byte offset {_offset(text, position)}"
    return match.end()


def _tag(text: str, position: int, open_tags: list[str]) -> int | str:
    """The position after a well-formed tag, or the error description."""
    match = _TAG.match(text, position)
    offset = _offset(text, position)
    if match is None:
        return f"Unsupported start tag at byte offset {offset}"
    closing, name = match.group(1) == "/", match.group(2).lower()
    if name not in SUPPORTED_TAGS:
        return f'Unsupported start tag "{name}" at byte offset {offset}'
    if not closing:
        open_tags.append(name)
    elif not open_tags or open_tags[-1] != name:
        return f"Unexpected end tag at byte offset {offset}"
    else:
        open_tags.pop()
    return match.end()


def _offset(text: str, position: int) -> int:
    return len(text[:position].encode("utf-8"))
