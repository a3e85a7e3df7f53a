"""An update inside its completion timeout, as the join sees it so far (calls, jobs, failures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False, slots=True)
class Pending:
    """What has been seen of one accepted update (send time on the run's clock)."""

    t_s: float
    kind: str
    forwarded: bool
    chat: Any
    msg: Any
    file: Any
    query: Any
    calls: dict[str, int] = field(default_factory=dict)  # by "upstream.route"
    ok_calls: dict[str, int] = field(default_factory=dict)  # of those, answered 2xx
    jobs: set[str] = field(default_factory=set)
    callbacks_s: list[float] = field(default_factory=list)
    done_s: float | None = None
    faulted: bool = False
    closed: bool = False  # judged (its timeout passed); its late calls are still recognised
    purged: bool = False  # forgotten: no call is matched to it any more
    apologised: bool = False  # a reply without reply_to after its failure was credited to it
    # End of its last failed call that an apology may follow (None once a later call succeeded or
    # an apology was credited): how a reply naming no update finds the update it is about.
    armed_s: float | None = None
    bare_replies: int = 0  # replies to its chat without reply_to credited to it
    transcribed: bool = False  # speech-to-text answered 2xx
    error_reply: bool = False  # a ❌ reply was sent for it
    # Sent without a webhook answer (why; None: accepted): the service may have it or not, so it is
    # not lost when it never completes, and its calls are its own, never another update's.
    no_answer: str | None = None
    # Updates with the same file that could as well have made its job (a file sent twice at once):
    # the job's callback may be theirs, and its result their reply.
    twins: tuple[Pending, ...] = ()

    @property
    def stopped(self) -> bool:
        """Its flow has ended: completed, answered with an error, or apologised for."""
        return self.done_s is not None or self.error_reply or self.apologised

    @property
    def local_query(self) -> bool:
        """A callback query whose data is empty or a local command: acknowledged without reply_to."""
        return self.query is not None and not self.forwarded

    def result_after_s(self, callback_s: float) -> float | None:
        """When its result was sent after this callback, or its twins' (None: not sent)."""
        done = [u.done_s for u in (self, *self.twins) if u.done_s is not None and u.done_s >= callback_s]
        return min(done, default=None)

    def flow(self, kind_flow: dict[str, str]) -> str:
        """Its flow (§1.1); a voice update's depends on how it ended."""
        if self.kind in kind_flow:
            return kind_flow[self.kind]
        if self.jobs:
            return "voice_forwarded"
        return "voice_failed" if self.error_reply or not self.transcribed else "voice_local"
