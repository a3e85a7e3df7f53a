"""Per-update accounting: updates.jsonl (what the scenario sent) joined with upstream-calls.jsonl
(what the mocks saw), streamed, so memory holds only the updates still inside their timeout.

Calls are attributed by the contract's correlation keys (§4.3): chat + reply_to, callback query id,
the prompt's "[soak m<message id>]" tag, the request id for callbacks, and the file id (first
waiting update first, as files repeat). An update completes with its flow's final call answered
2xx: the reply carrying its result (or, for local replies, any reply).
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.accounting.calls import UPSTREAM_CALLS, read_records
from harness.accounting.tally import Tally, Window
from harness.analysis.flows import Accounting
from harness.analysis.model import Span

UPDATES = "updates.jsonl"
SLACK_S = 5.0  # how far out of time order the two files' lines may be
_TAG = re.compile(r"\[soak m(\d+)\]")
_JOB_ROUTES = frozenset({"iterate", "iterate_async", "execute", "execute_async"})
_FILE_ROUTES = frozenset({"getFile", "file", "speech_to_text"})


@dataclass(frozen=True)
class JoinSettings:
    wall_minus_run_s: float
    window: Window
    timeout_s: float
    fault_spans: tuple[Span, ...] = ()
    results_by_callback: bool = True  # False: cursor-runner "sync", the job's answer is the result


@dataclass(eq=False)
class Pending:
    """An update inside its timeout, and what has been seen of it so far."""

    t_s: float
    kind: str
    forwarded: bool
    chat: Any
    msg: Any
    file: Any
    query: Any
    calls: Counter[str] = field(default_factory=Counter)
    jobs: set[str] = field(default_factory=set)
    callbacks_s: list[float] = field(default_factory=list)
    done_s: float | None = None
    faulted: bool = False
    closed: bool = False


class Join:
    def __init__(self, settings: JoinSettings) -> None:
        self.settings = settings
        self.tally = Tally(settings.window, settings.timeout_s, settings.fault_spans)
        self.pending: OrderedDict[int, Pending] = OrderedDict()
        self.by_msg: dict[Any, Pending] = {}
        self.by_query: dict[Any, Pending] = {}
        self.by_chat: dict[Any, deque[Pending]] = {}
        self.by_file: dict[Any, deque[Pending]] = {}
        self.by_job: dict[str, Pending] = {}
        self.voice_waiting: deque[Pending] = deque()

    def add_update(self, record: dict[str, Any]) -> None:
        t = record.get("t")
        status = record.get("status")
        if not isinstance(t, int | float) or not isinstance(status, int) or not 200 <= status < 300:
            self.tally.refused += 1  # not accepted: not the service's work to do
            return
        update = Pending(float(t) - self.settings.wall_minus_run_s, str(record.get("kind")), bool(record.get("fwd")),
                         record.get("chat"), record.get("msg"), record.get("file"), record.get("cq"))  # fmt: skip
        self.pending[id(update)] = update
        self.by_msg[update.msg] = update
        if update.query is not None:
            self.by_query[update.query] = update
            if not update.forwarded:
                # Its acknowledgement is the one reply without reply_to: found by chat.
                self.by_chat.setdefault(update.chat, deque()).append(update)
        if update.file is not None:
            self.by_file.setdefault(update.file, deque()).append(update)
            self.voice_waiting.append(update)

    def add_call(self, record: dict[str, Any], t_s: float) -> None:
        route = str(record.get("route"))
        update = self._owner(record, route, t_s)
        key = f"{record.get('up')}.{route}"
        if update is None:
            if route != "callback_out":
                self.tally.unattributed[key] += 1
            return
        status = record.get("status")
        ok = isinstance(status, int) and 200 <= status < 300
        update.faulted = update.faulted or "fault" in record
        if route == "callback_out":
            update.callbacks_s.append(t_s - float(record.get("ms") or 0.0) / 1000.0)
            return
        update.calls[key] += 1
        if route in _JOB_ROUTES and record.get("request_id"):
            update.jobs.add(str(record["request_id"]))
            self.by_job[str(record["request_id"])] = update
        if update.done_s is None and self._final(update, record, route, ok):
            update.done_s = t_s

    def _final(self, update: Pending, record: dict[str, Any], route: str, ok: bool) -> bool:
        """Whether this call ends the update's flow (answered 2xx)."""
        if not ok:
            return False
        if route in _JOB_ROUTES:
            return not self.settings.results_by_callback
        if route not in ("sendMessage", "sendVoice"):
            return False
        if not update.forwarded or record.get("reply_to") is None:
            return True  # a local reply, or a callback query's acknowledgement
        return record.get("mark") in ("ok", "error") or route == "sendVoice"

    def _reply_owner(self, record: dict[str, Any], t_s: float) -> Pending | None:
        reply_to = record.get("reply_to")
        if reply_to is None:
            return self._by_chat(record.get("chat_id"), t_s)
        return self.by_msg.get(int(reply_to)) if str(reply_to).isdigit() else None

    def _by_chat(self, chat: Any, t_s: float) -> Pending | None:
        """A reply without reply_to: the oldest unanswered local callback query of the chat sent by then.

        Other such messages (an apology after an unexpected error) name no update: unattributed."""
        waiting = self.by_chat.get(chat, ())
        return next((u for u in waiting if not u.closed and u.done_s is None and u.t_s <= t_s), None)

    def _owner(self, record: dict[str, Any], route: str, t_s: float) -> Pending | None:
        if route in ("sendMessage", "sendVoice"):
            return self._reply_owner(record, t_s)
        if route == "answerCallbackQuery":
            return self.by_query.get(record.get("callback_query_id"))
        if route in _FILE_ROUTES:
            return self._by_file(record.get("file_id"), f"{record.get('up')}.{route}")
        if route in _JOB_ROUTES:
            tag = _TAG.search(str(record.get("prompt") or ""))
            return self.by_msg.get(int(tag.group(1))) if tag else self._voice_job()
        if route == "callback_out":
            return self.by_job.get(str(record.get("request_id")))
        return None

    def _by_file(self, file_id: Any, key: str) -> Pending | None:
        """The first waiting update with this file that has not made this call yet, else the last."""
        waiting = self.by_file.get(file_id)
        if not waiting:
            return None
        for update in waiting:
            if not update.closed and update.calls[key] == 0:
                return update
        return waiting[-1]

    def _voice_job(self) -> Pending | None:
        """A job with no tag: a voice update's transcript; the oldest transcribed one still without a job."""
        for update in self.voice_waiting:
            if not update.closed and not update.jobs and update.calls["elevenlabs.speech_to_text"]:
                return update
        return None

    def expire(self, now_s: float) -> None:
        """Close the updates whose timeout has passed."""
        while self.pending:
            update = next(iter(self.pending.values()))
            if update.t_s + self.settings.timeout_s > now_s:
                break
            self.close(update, judged=True)

    def close(self, update: Pending, *, judged: bool) -> None:
        del self.pending[id(update)]
        update.closed = True
        for index, key in ((self.by_msg, update.msg), (self.by_query, update.query)):
            if index.get(key) is update:
                del index[key]
        self._drop_closed(self.by_chat, update.chat)
        for job in update.jobs:
            self.by_job.pop(job, None)
        self._drop_closed(self.by_file, update.file)
        while self.voice_waiting and self.voice_waiting[0].closed:
            self.voice_waiting.popleft()
        self.tally.add(update, judged=judged)

    @staticmethod
    def _drop_closed(index: dict[Any, deque[Pending]], key: Any) -> None:
        waiting = index.get(key)
        while waiting and waiting[0].closed:
            waiting.popleft()
        if waiting is not None and not waiting:
            del index[key]


def _timed(records: Iterator[dict[str, Any]], wall_minus_run_s: float) -> Iterator[tuple[float, dict[str, Any]]]:
    for record in records:
        t = record.get("t")
        if isinstance(t, int | float):
            yield float(t) - wall_minus_run_s, record


def account(run_dir: Path, settings: JoinSettings) -> Accounting | None:
    """The run's per-update accounting; None when the scenario logged no updates."""
    if not (run_dir / UPDATES).is_file():
        return None
    join = Join(settings)
    updates = _timed(read_records(run_dir / UPDATES), settings.wall_minus_run_s)
    next_update = next(updates, None)
    watermark_s = float("-inf")
    for t_s, record in _timed(read_records(run_dir / UPSTREAM_CALLS), settings.wall_minus_run_s):
        while next_update is not None and next_update[0] <= t_s + SLACK_S:
            join.add_update(next_update[1])
            next_update = next(updates, None)
        join.add_call(record, t_s)
        watermark_s = max(watermark_s, t_s)
        join.expire(watermark_s - SLACK_S)
    while next_update is not None:
        join.add_update(next_update[1])
        next_update = next(updates, None)
    for update in list(join.pending.values()):
        join.close(update, judged=update.t_s + settings.timeout_s <= watermark_s or update.done_s is not None)
    return join.tally.result()
