"""Per-update accounting: updates.jsonl (what the scenario sent) joined with upstream-calls.jsonl
(what the mocks saw), streamed, so memory holds only the updates within twice their timeout.

Calls are attributed by the contract's correlation keys (§4.3): chat + reply_to, callback query id,
the prompt's "[soak m<message id>]" tag (or a transcript's "[soak f<file id>]"), the request id for
callbacks, and the file id (as files repeat, in the order of each update's steps); replies without
reply_to and TTS calls as harness/accounting/replies.py says. An update completes with its flow's
final call answered 2xx: the reply carrying its result (or, for local replies, any reply). It is
judged when its timeout has passed; a call for it after that is counted apart, as late. An update
sent without a webhook answer (the load stopped while it waited, a connection error) is joined like
any other, so the service's calls for it are never charged to another update; never completed, it
is not lost but counted by why (Accounting.unanswered). updates.jsonl is read in send order
(harness/accounting/sent_order.py).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from harness.accounting.pending import Pending
from harness.accounting.records import UPDATES, UPSTREAM_CALLS, CallRecord, Record, UpdateRecord, as_id, read_typed
from harness.accounting.replies import CLOCK_SLACK_S, NO_SPOKEN_REPLY, NO_UPDATE, TTS_ROUTES, Chats, Speech
from harness.accounting.sent_order import SentOrder
from harness.accounting.tally import Tally, Window
from harness.analysis.flows import Accounting
from harness.analysis.model import Span

SLACK_S = 5.0  # how far out of time order the two files' lines may be
LATE = "after its update's completion timeout (its update judged without it)"
AMBIGUOUS = "repeats a call of a file id several updates share, each of which made it already"
NO_ANSWER = "no answer"  # an unanswered update's why, when its record gives none
_TAG = re.compile(r"\[soak ([mf])([^\]\s]+)\]")
_JOB_ROUTES = frozenset({"iterate", "iterate_async", "execute", "execute_async"})
_FILE_ROUTES = frozenset({"getFile", "file", "speech_to_text"})
# A voice update's file calls come in this order: each step is made by an update that made the one before.
_FILE_STEP_BEFORE = {"telegram.file": "telegram.getFile", "elevenlabs.speech_to_text": "telegram.file"}
_REPLY_ROUTES = frozenset({"sendMessage", "sendVoice"})


class _Shared(Enum):
    """A call whose key several updates share, and that none of them can be named for."""

    AMBIGUOUS = "ambiguous"


class _Kind(Enum):
    """How a route's calls name their update."""

    REPLY = "chat + reply_to"
    QUERY = "callback query id"
    FILE = "file id"
    JOB = "prompt tag"
    CALLBACK = "request id"


_ROUTE_KIND = {
    **dict.fromkeys(_REPLY_ROUTES, _Kind.REPLY),
    "answerCallbackQuery": _Kind.QUERY,
    **dict.fromkeys(_FILE_ROUTES, _Kind.FILE),
    **dict.fromkeys(_JOB_ROUTES, _Kind.JOB),
    "callback_out": _Kind.CALLBACK,
}
# A failure the contract tolerates (§1.1 Q): no apology follows it.
_TOLERATED = frozenset({"answerCallbackQuery"})


@dataclass(frozen=True)
class JoinSettings:
    wall_minus_run_s: float
    window: Window
    timeout_s: float
    fault_spans: tuple[Span, ...] = ()
    results_by_callback: bool = True  # False: cursor-runner "sync", the job's answer is the result
    # Until when the run recorded (run clock): an update whose timeout ends by then is judged even
    # when no call came after it, so a service that stops working loses its updates, not its
    # verdict; lines written after it (by children orphaned when soak was killed) are left out.
    records_end_s: float = float("inf")


class Join:
    def __init__(self, settings: JoinSettings) -> None:
        self.settings = settings
        self.tally = Tally(settings.window, settings.timeout_s, settings.fault_spans)
        self.pending: deque[Pending] = deque()  # in send order (nearly: log lines follow answers)
        self.retained: deque[Pending] = deque()  # judged, still recognised for a timeout more
        self._keys: dict[tuple[Any, Any], str] = {}
        self.by_msg: dict[Any, Pending] = {}
        self.by_query: dict[Any, Pending] = {}
        self.chats = Chats()
        self.by_file: dict[Any, deque[Pending]] = {}
        self.by_job: dict[str, Pending] = {}
        self.voice_waiting: deque[Pending] = deque()
        self.speech = Speech()

    def add_update(self, record: UpdateRecord) -> None:
        if record.bad_input:
            return  # no work the service owes: its answer is judged apart (bad_input_answers)
        if record.answered and not record.accepted:
            self.tally.refused += 1  # refused: not the service's work to do
            return
        update = Pending(record.t - self.settings.wall_minus_run_s, record.kind, record.fwd, as_id(record.chat),
                         as_id(record.msg), record.file, as_id(record.cq))  # fmt: skip
        if not record.answered:
            update.no_answer = record.why or NO_ANSWER
        self.pending.append(update)
        self.by_msg[update.msg] = update
        self.chats.add(update)
        if update.query is not None:
            self.by_query[update.query] = update
        if update.file is not None:
            self.by_file.setdefault(update.file, deque()).append(update)
            self.voice_waiting.append(update)

    def add_call(self, record: CallRecord, t_s: float) -> None:
        up, route = record.up, record.route
        key = self._keys.get((up, route))
        if key is None:
            key = self._keys[(up, route)] = f"{up}.{route}"
        if route in TTS_ROUTES:
            self.speech.add(record, t_s)  # credited with the reply that follows it
            return
        bare = route in _REPLY_ROUTES and record.reply_to is None
        update = self._owner(record, route, t_s)
        if update is _Shared.AMBIGUOUS:
            self.tally.apart[f"{key}: {AMBIGUOUS}"] += 1
            return
        if update is None:
            if bare:
                self.tally.apart[f"{key}: {NO_UPDATE}"] += 1
            elif route != "callback_out":
                self.tally.unattributed[key] += 1
            return
        if update.closed:
            self.tally.apart[f"{key}: {LATE}"] += 1
            return
        if record.fault is not None:
            update.faulted = True
        if route == "callback_out":
            update.callbacks_s.append(record.started() - self.settings.wall_minus_run_s)
            return
        calls = update.calls
        calls[key] = calls.get(key, 0) + 1
        ok = record.ok
        if ok:
            update.ok_calls[key] = update.ok_calls.get(key, 0) + 1
        self._note(update, record, t_s, ok=ok, bare=bare)
        if ok and update.done_s is None and self._final(update, record, bare=bare):
            update.done_s = t_s

    def _note(self, update: Pending, record: CallRecord, t_s: float, *, ok: bool, bare: bool) -> None:
        """What this call says of the update beyond its count: jobs, transcript, error reply, failure."""
        route = record.route
        if route in _JOB_ROUTES and record.request_id:
            update.jobs.add(record.request_id)
            self.by_job[record.request_id] = update
        elif route == "speech_to_text" and ok:
            update.transcribed = True
        elif route in _REPLY_ROUTES:
            update.bare_replies += bare
            update.error_reply = update.error_reply or record.mark == "error"
            if update.file is not None:
                self.speech.claim(
                    update, record.started() - self.settings.wall_minus_run_s, spoken=route == "sendVoice"
                )
        if not bare and route not in _TOLERATED:
            update.armed_s = None if ok else t_s

    def _final(self, update: Pending, record: CallRecord, *, bare: bool) -> bool:
        """Whether this call, answered 2xx, ends the update's flow."""
        if record.route in _JOB_ROUTES:
            return not self.settings.results_by_callback
        return record.route in _REPLY_ROUTES and _final_reply(update, record, bare=bare)

    def _owner(self, record: CallRecord, route: str, t_s: float) -> Pending | _Shared | None:
        kind = _ROUTE_KIND.get(route)
        if kind is _Kind.REPLY:
            return self._reply_owner(record)
        if kind is _Kind.QUERY:
            return self.by_query.get(as_id(record.callback_query_id))
        if kind is _Kind.FILE:
            start_s = record.started() - self.settings.wall_minus_run_s
            return self._by_file(record.file_id, f"{record.up}.{route}", start_s)
        if kind is _Kind.JOB:
            return self._job_owner(record.prompt or "")
        if kind is _Kind.CALLBACK:
            return self.by_job.get(str(record.request_id))
        return None

    def _reply_owner(self, record: CallRecord) -> Pending | None:
        if record.reply_to is None:
            return self.chats.owner(as_id(record.chat_id), record.started() - self.settings.wall_minus_run_s)
        return self.by_msg.get(as_id(record.reply_to))

    def _job_owner(self, prompt: str) -> Pending | None:
        tag = _TAG.search(prompt)
        if tag is None:
            return self._voice_job(None)
        if tag.group(1) == "m":
            return self.by_msg.get(as_id(tag.group(2)))
        return self._voice_job(tag.group(2))

    def _by_file(self, file_id: Any, key: str, start_s: float) -> Pending | _Shared | None:
        """The update a call naming only a file id is for, among those with that file sent before the
        call started (a file id is shared when a file is sent again).

        First the ones that have not made this call: the oldest that made the step before (a
        download follows its getFile, speech-to-text its download; getFile follows a status reply),
        as the service works through them in order, also when it falls behind; else the latest still
        going (one whose flow stopped early never makes the call, and must not take a later
        update's). Two updates with one file may swap calls, which changes no flow's sums: the same
        file takes the same path. When all have made it, the call repeats one: the file's only
        update's, or the oldest still retrying a step that failed; otherwise which update repeated
        it cannot be told, and the call is counted apart (AMBIGUOUS) rather than doubling the cost
        of an update that made it once.
        """
        waiting = self.by_file.get(file_id)
        sent = [u for u in waiting or () if not u.purged and u.t_s <= start_s + CLOCK_SLACK_S]
        if not sent:
            return None
        fresh = [u for u in sent if key not in u.calls]
        before = _FILE_STEP_BEFORE.get(key)
        for update in fresh:
            if (before in update.ok_calls if before else update.ok_calls) and not update.stopped:
                return update
        going = [u for u in fresh if not u.stopped]
        if going or fresh:
            return going[-1] if going else fresh[-1]
        if len(sent) == 1:
            return sent[0]
        retrying = [u for u in sent if key not in u.ok_calls and not u.stopped]
        return retrying[0] if retrying else _Shared.AMBIGUOUS

    def _voice_job(self, file_id: str | None) -> Pending | None:
        """A voice update's job: the oldest transcribed one (with this file, when the transcript names
        it) still without a job and not stopped. With several candidates the others are its twins:
        the job may be theirs (same file, same path)."""
        waiting = self.voice_waiting if file_id is None else self.by_file.get(file_id, ())
        candidates = [u for u in waiting if not u.purged and not u.jobs and u.transcribed and not u.stopped]
        if not candidates:
            return None
        if len(candidates) > 1:
            for update in candidates:  # any of them may hold another's job: each is the others' twin
                update.twins = (*update.twins, *(u for u in candidates if u is not update and u not in update.twins))
        return candidates[0]

    def expire(self, now_s: float) -> None:
        """Judge the updates whose timeout has passed, forget those a timeout past that, and give up
        on TTS calls no reply followed."""
        self.give_up_speech(now_s)
        timeout_s = self.settings.timeout_s
        while self.pending and self.pending[0].t_s + timeout_s <= now_s:
            self.close(self.pending.popleft(), judged=True)
        while self.retained and self.retained[0].t_s + 2 * timeout_s <= now_s:
            self._forget(self.retained.popleft())

    def give_up_speech(self, now_s: float) -> None:
        for key in self.speech.expire(now_s):
            self.tally.apart[f"{key}: {NO_SPOKEN_REPLY}"] += 1

    def close(self, update: Pending, *, judged: bool) -> None:
        """Judge an update taken off `pending`; its late calls are still recognised for a while."""
        update.closed = True
        self.tally.add(update, judged=judged)
        self.retained.append(update)

    def _forget(self, update: Pending) -> None:
        update.purged = True
        for index, key in ((self.by_msg, update.msg), (self.by_query, update.query)):
            if index.get(key) is update:
                del index[key]
        self.chats.drop_purged(update.chat)
        for job in update.jobs:
            if self.by_job.get(job) is update:
                del self.by_job[job]
        waiting = self.by_file.get(update.file)
        while waiting and waiting[0].purged:
            waiting.popleft()
        if waiting is not None and not waiting:
            del self.by_file[update.file]
        while self.voice_waiting and self.voice_waiting[0].purged:
            self.voice_waiting.popleft()


def _final_reply(update: Pending, record: CallRecord, *, bare: bool) -> bool:
    """Whether a reply answered 2xx is the one that ends its update's flow."""
    if bare:
        # A local callback query's acknowledgement is its first such reply; a later one is an apology.
        return update.local_query and update.bare_replies == 1
    mark = record.mark
    if mark == "status":
        return False
    if not update.forwarded or mark in ("ok", "error") or record.route == "sendVoice":
        return True
    # A voice update not forwarded (its transcript was a local command): any reply ends it.
    return update.file is not None and not update.jobs


def _timed(path: Path, kind: type[Record], wall_minus_run_s: float) -> Iterator[tuple[float, Record]]:
    return ((record.t - wall_minus_run_s, record) for record in read_typed(path, kind))


# Closing updates past their timeout is checked this often (s of records), not at every call.
EXPIRE_EVERY_S = 0.5


def account(run_dir: Path, settings: JoinSettings) -> Accounting | None:
    """The run's per-update accounting; None when the scenario logged no updates."""
    if not (run_dir / UPDATES).is_file():
        return None
    join = Join(settings)
    updates = SentOrder(_timed(run_dir / UPDATES, UpdateRecord, settings.wall_minus_run_s))
    watermark_s = next_expire_s = float("-inf")
    for t_s, record in _timed(run_dir / UPSTREAM_CALLS, CallRecord, settings.wall_minus_run_s):
        if t_s > settings.records_end_s:
            continue
        for _, sent in updates.until(t_s + SLACK_S):
            join.add_update(sent)
        join.add_call(record, t_s)
        if t_s > watermark_s:
            watermark_s = t_s
            if watermark_s >= next_expire_s:
                join.expire(watermark_s - SLACK_S)
                next_expire_s = watermark_s + EXPIRE_EVERY_S
    for _, sent in updates.until(settings.records_end_s):
        join.add_update(sent)
    join.give_up_speech(float("inf"))
    end_s = settings.records_end_s if settings.records_end_s < float("inf") else watermark_s
    while join.pending:
        update = join.pending.popleft()
        join.close(update, judged=update.t_s + settings.timeout_s <= end_s or update.done_s is not None)
    return join.tally.result()
