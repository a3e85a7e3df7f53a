"""The calls that name no update: replies without reply_to, and text-to-speech before a spoken reply.

A reply without reply_to (a callback query's acknowledgement, the generic apology after an
unexpected error) carries only its chat. Each simulated user has its own chat and each callback
query a chat of its own, so the chat narrows it to a few updates; the apology follows the failed
call that caused it within moments, so the update of the chat whose call failed last before the
apology started is the one it is about. TTS calls carry no key at all (§4.3): each is credited to
the spoken reply (sendVoice) that follows it, or to the text fallback after a failed TTS.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from harness.accounting.pending import Pending
from harness.accounting.records import CallRecord

# An apology is sent right after the failure it reports; a failure older than this is not its cause.
APOLOGY_WITHIN_S = 5.0
# A spoken reply is sent right after its TTS answer (the bot writes the mp3 to a file in between).
TTS_GAP_S = 5.0
# Rounding of the records' times (to 1 ms) and durations: a call cannot start before its update was sent.
CLOCK_SLACK_S = 0.005
TTS_ROUTES = frozenset({"text_to_speech", "text_to_speech_stream"})
NO_UPDATE = "reply without reply_to in a chat with no update it can be about"
NO_SPOKEN_REPLY = "TTS with no spoken reply (or its text fallback) following it"


class Chats:
    """Each chat's updates still inside their timeout, oldest first."""

    def __init__(self) -> None:
        self.by_chat: dict[Any, deque[Pending]] = {}

    def add(self, update: Pending) -> None:
        self.by_chat.setdefault(update.chat, deque()).append(update)

    def drop_purged(self, chat: Any) -> None:
        waiting = self.by_chat.get(chat)
        while waiting and waiting[0].purged:
            waiting.popleft()
        if waiting is not None and not waiting:
            del self.by_chat[chat]

    def owner(self, chat: Any, start_s: float) -> Pending | None:
        """The update a reply without reply_to, started at start_s, is about; None when no rule names one.

        First the update whose last failed call ended latest before the reply started (within
        APOLOGY_WITHIN_S): the apology it caused. Else the chat's one update not yet completed (a
        callback query's chat holds only it: its acknowledgement). Several candidates: none, as
        crediting a guess could push a healthy flow over its budget.
        """
        waiting = [u for u in self.by_chat.get(chat, ()) if not u.purged and u.t_s <= start_s + CLOCK_SLACK_S]
        armed = [
            u
            for u in waiting
            if u.armed_s is not None and start_s - APOLOGY_WITHIN_S <= u.armed_s <= start_s + CLOCK_SLACK_S
        ]
        if armed:
            apologised = max(armed, key=lambda u: u.armed_s or 0.0)
            apologised.armed_s, apologised.apologised = None, True
            return apologised
        open_ = [u for u in waiting if u.done_s is None and not u.closed]
        return open_[0] if len(open_) == 1 else None


@dataclass
class _Speech:
    end_s: float
    ok: bool
    key: str
    faulted: bool


class Speech:
    """TTS calls waiting for the reply that follows them; a few seconds' worth at any rate."""

    def __init__(self) -> None:
        self.waiting: list[_Speech] = []

    def add(self, record: CallRecord, t_s: float) -> None:
        self.waiting.append(_Speech(t_s, record.ok, f"{record.up}.{record.route}", record.fault is not None))

    def claim(self, update: Pending, start_s: float, *, spoken: bool) -> None:
        """Credit to this voice update the TTS that ended last before its reply started: a successful
        one before a sendVoice, a failed one before a sendMessage (the text fallback)."""
        fits = [s for s in self.waiting if s.ok == spoken and start_s - TTS_GAP_S <= s.end_s <= start_s + CLOCK_SLACK_S]
        if not fits:
            return
        speech = max(fits, key=lambda s: s.end_s)
        self.waiting.remove(speech)
        update.calls[speech.key] = update.calls.get(speech.key, 0) + 1
        update.faulted = update.faulted or speech.faulted

    def expire(self, now_s: float) -> list[str]:
        """The TTS calls no reply can claim any more (upstream.route each)."""
        cutoff_s = now_s - TTS_GAP_S - CLOCK_SLACK_S
        if not self.waiting or self.waiting[0].end_s >= cutoff_s:  # kept in the order they ended
            return []
        old = [s.key for s in self.waiting if s.end_s < cutoff_s]
        self.waiting = [s for s in self.waiting if s.end_s >= cutoff_s]
        return old
