"""Every update a scenario sends, one JSON line each in the run's updates.jsonl, as it goes.

Lines are buffered and written at least every FLUSH_EVERY_S, so memory stays bounded however long
the run, and a killed Locust loses at most that much. SOAK_UPDATES_FILE names the file; without it
nothing is written (a scenario run by hand). A Locust worker writes no file: it relays its records
to the master, which writes them all into the one file (scenarios/hooks.py), so a run with workers,
remote ones included, records exactly what one process would.

A record: "t" when it was sent (Unix s), "u" its update id, "kind", "fwd" (its flow forwards to
cursor-runner), "status" (the webhook's answer, 0 without one), its correlation keys ("chat",
"msg", "file", "cq"), "ms" the answer's latency, and in the open model "sched", when it was due
(the latency counts from there). An update without an answer (status 0) is recorded too, with
"why": the connection error, or "load stopped" when Locust stopped its user while it waited (the
service may still do its work, which the accounting then credits to it). Bad input has kind
"bad_input", "bad" (which) and "ok" (whether the answer kept to the contract); the accounting
leaves it out.
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections.abc import Callable
from typing import Any

from scenarios.kinds import BAD_INPUT

FLUSH_EVERY_S = 1.0
MAX_BUFFERED = 2_000
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

Record = dict[str, Any]
Relay = Callable[[list[Record]], None]
Observer = Callable[[Record], None]


class UpdateLog:
    def __init__(self, path: str | None) -> None:
        self._path = path
        self._records: list[Record] = []
        self._flushed_s = time.monotonic()
        self._relay: Relay | None = None
        self.observers: list[Observer] = []

    def relay_to(self, relay: Relay) -> None:
        """Send records on (a worker to its master) instead of writing them."""
        self._relay = relay

    def add(self, record: Record) -> None:
        if self._path is None and self._relay is None and not self.observers:
            return
        for observe in self.observers:
            observe(record)
        self._records.append(record)
        if len(self._records) >= MAX_BUFFERED or time.monotonic() - self._flushed_s >= FLUSH_EVERY_S:
            self.flush()

    def add_many(self, records: list[Record]) -> None:
        """Records relayed by a worker."""
        for record in records:
            self.add(record)

    def flush(self) -> None:
        self._flushed_s = time.monotonic()
        if not self._records:
            return
        records, self._records = self._records, []
        if self._relay is not None:
            self._relay(records)
        elif self._path is not None:
            with open(self._path, "a", encoding="utf-8") as handle:
                handle.write("\n".join(_dumps(record) for record in records) + "\n")


LOG = UpdateLog(os.environ.get("SOAK_UPDATES_FILE") or None)
atexit.register(LOG.flush)


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


def _timing(record: Record, scheduled_at: float | None, answer_ms: float | None) -> Record:
    if answer_ms is not None:
        record["ms"] = round(answer_ms, 2)
    if scheduled_at is not None:
        record["sched"] = round(scheduled_at, 4)
    return record


def log_update(
    update: dict[str, Any],
    kind: str,
    sent_at: float,
    status: int,
    *,
    forwarded: bool,
    scheduled_at: float | None = None,
    answer_ms: float | None = None,
    why: str | None = None,
) -> None:
    """One update: when it was sent (Unix s), its kind, whether its flow forwards to cursor-runner,
    the webhook's answer (why none, when status is 0) and its correlation keys."""
    record = {"t": round(sent_at, 3), "u": update.get("update_id"), "kind": kind, "fwd": forwarded, "status": status}
    if why is not None and not status:
        record["why"] = why
    LOG.add(_timing(record | _keys(update), scheduled_at, answer_ms))


def log_bad_input(
    bad: str,
    sent_at: float,
    status: int,
    *,
    kept_contract: bool,
    scheduled_at: float | None = None,
    answer_ms: float | None = None,
    why: str | None = None,
) -> None:
    """One request of bad input, and whether its answer kept to the contract's error envelopes."""
    record = {"t": round(sent_at, 3), "kind": BAD_INPUT, "bad": bad, "fwd": False, "status": status}
    record["ok"] = kept_contract
    if why is not None and not status:
        record["why"] = why
    LOG.add(_timing(record, scheduled_at, answer_ms))


def flush() -> None:
    LOG.flush()
