"""Every update a scenario sends, one JSON line each in the run's updates.jsonl, as it goes.

Lines are buffered and written at least every FLUSH_EVERY_S, so memory stays bounded however long
the run, and a killed Locust loses at most that much. SOAK_UPDATES_FILE names the file; without it
nothing is written (a scenario run by hand).
"""

from __future__ import annotations

import atexit
import json
import os
import time
from typing import Any

FLUSH_EVERY_S = 1.0
MAX_BUFFERED = 2_000
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class UpdateLog:
    def __init__(self, path: str | None) -> None:
        self._path = path
        self._lines: list[str] = []
        self._flushed_s = time.monotonic()

    def add(self, record: dict[str, Any]) -> None:
        if self._path is None:
            return
        self._lines.append(_dumps(record))
        if len(self._lines) >= MAX_BUFFERED or time.monotonic() - self._flushed_s >= FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        self._flushed_s = time.monotonic()
        if self._path is None or not self._lines:
            return
        lines, self._lines = self._lines, []
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


_LOG = UpdateLog(os.environ.get("SOAK_UPDATES_FILE") or None)
atexit.register(_LOG.flush)


def _keys(update: dict[str, Any]) -> dict[str, Any]:
    """The correlation keys the mocks will see for this update (TARGET-CONTRACT §4.3)."""
    query = update.get("callback_query")
    message = (query or {}).get("message") or update.get("message") or update.get("edited_message") or {}
    keys: dict[str, Any] = {"chat": (message.get("chat") or {}).get("id"), "msg": message.get("message_id")}
    for kind in ("voice", "audio", "document"):
        if isinstance(message.get(kind), dict):
            keys["file"] = message[kind].get("file_id")
    if query:
        keys["cq"] = query.get("id")
    return keys


def log_update(update: dict[str, Any], kind: str, sent_at: float, status: int, *, forwarded: bool) -> None:
    """One update: when it was sent (Unix s), its kind, whether its flow forwards to cursor-runner,
    the webhook's answer and its correlation keys."""
    record = {"t": round(sent_at, 3), "u": update.get("update_id"), "kind": kind, "fwd": forwarded, "status": status}
    _LOG.add(record | _keys(update))


def flush() -> None:
    _LOG.flush()
