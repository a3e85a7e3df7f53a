"""WebhookUser: the base of every soak scenario, soak's own and yours.

Subclass it, write Locust tasks that build updates (scenarios.payloads) and hand them to
`self.send(update, kind)`. It posts them to /telegram/webhook with the secret header, paces them
by the profile's load model, records each one for soak's per-update accounting (updates.jsonl),
and mixes in the profile's share of bad input. Your chats come from `self.next_chat()`, which
follows the profile's chat population. See examples/custom-scenario/ for a whole file.

    from locust import task
    from scenarios import payloads
    from scenarios.webhook import WebhookUser

    class PromptUser(WebhookUser):
        @task
        def prompt(self) -> None:
            self.send(payloads.text_update(self.next_chat(), "Summarise the failing tests"), "text")

`kind` is the update's flow as the accounting knows it: text, edited, voice, callback, command
or no_text (forwarded to cursor-runner or not, as payloads.forwards says).
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import gevent
from geventhttpclient.client import HTTPClientPool
from locust import FastHttpUser
from locust.env import Environment

# hooks registers soak's Locust events (options, worker relay, test start) wherever a user is defined.
from scenarios import bad_input, hooks, kinds, payloads, runtime, update_log  # noqa: F401

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Closed models: a user running late by more than this starts afresh instead of bursting to catch up.
MAX_CATCH_UP_S = 1.0


class WebhookUser(FastHttpUser):
    abstract = True

    def __init__(self, environment: Environment) -> None:
        if WebhookUser.client_pool is None:
            # One pool of keep-alive connections for every user of the process, most recently used
            # first, as Telegram delivers a bot's updates over a few connections: none sits idle
            # until the service's keep-alive timeout closes it under a request, and a start does not
            # open a connection per user at once. At most one connection per user, so it never
            # holds a send back.
            shape = runtime.current().settings.shape
            WebhookUser.client_pool = HTTPClientPool(
                concurrency=max(shape.users, shape.peak_users),
                network_timeout=self.network_timeout,
                connection_timeout=self.connection_timeout,
            )
        super().__init__(environment)

    def on_start(self) -> None:
        self.soak = runtime.current()
        self.rng = random.Random()
        self.chat_id = self.soak.population.user_chat()
        self._headers = {SECRET_HEADER: self.soak.settings.webhook_secret, "Content-Type": "application/json"}
        self._slot_s: float | None = None
        self._next_run_s = time.time()
        bad = self.soak.settings.bad_input_mix
        self._bad_kinds = [kind for kind, weight in bad.items() if weight > 0]
        self._bad_weights = [bad[kind] for kind in self._bad_kinds]

    def next_chat(self) -> int:
        """The chat of the next update: this user's own (or one of the pool), or a new one."""
        return self.soak.population.chat_for(self.chat_id)

    def wait_time(self) -> float:
        """Open models: until this user's next scheduled send; closed: rate_per_user task runs per second."""
        if self.soak.pacer is not None:
            self._slot_s = self._claim()
            return max(0.0, self._slot_s - time.time())
        now = time.time()
        self._next_run_s = max(self._next_run_s + 1.0 / self.soak.settings.rate_per_user, now - MAX_CATCH_UP_S)
        return max(0.0, self._next_run_s - now)

    def _claim(self) -> float:
        assert self.soak.pacer is not None
        while (slot := self.soak.pacer.claim(time.time() + 1.0)) is None:
            gevent.sleep(1.0)
        return slot

    def _due(self) -> float | None:
        """The scheduled send time of the next request (open models), waited for."""
        if self.soak.pacer is None:
            return None
        slot, self._slot_s = self._slot_s if self._slot_s is not None else self._claim(), None
        if (ahead_s := slot - time.time()) > 0:
            gevent.sleep(ahead_s)
        return slot

    def send(self, update: dict[str, Any], kind: str, *, forwarded: bool | None = None) -> int:
        """Post one update (and, first, any bad input due); returns the webhook's status (0: none)."""
        while self.soak.bad_input():
            self._send_bad_input(self.rng.choices(self._bad_kinds, self._bad_weights)[0])
        due = self._due()
        sent_at = time.time()
        status, answer_ms = 0, None
        why: str | None = kinds.LOAD_STOPPED  # until an answer or an error comes
        if forwarded is None:
            forwarded = payloads.forwards(kind, update)
        try:
            with self.client.post(WEBHOOK_PATH, json=update, headers=self._headers, name=kind,
                                  catch_response=True) as res:  # fmt: skip
                status = res.status_code or 0
                answer_ms = self._answer_ms(res.request_meta, due, sent_at)
                why = None if status else f"{res.error!r}"
                if 200 <= status < 300:
                    res.success()
                else:
                    res.failure(f"HTTP {status}" if status else f"no answer: {res.error!r}")
        finally:
            # Also when the user is killed waiting for the answer (Locust's stop): the service may be
            # working on it, and its calls must be accounted to it, not to another update.
            update_log.log_update(update, kind, sent_at, status, forwarded=forwarded, scheduled_at=due,
                                  answer_ms=answer_ms, why=why)  # fmt: skip
        return status

    @staticmethod
    def _answer_ms(meta: dict[str, Any], due: float | None, sent_at: float) -> float:
        """The answer's latency; in the open model counted from the scheduled send (Locust's figure too)."""
        if due is not None:
            meta["response_time"] += max(0.0, sent_at - due) * 1000
        return float(meta["response_time"])

    def _bad_body(self, bad: str) -> bytes:
        if bad == "malformed_json":
            return bad_input.MALFORMED_JSON
        if bad == "oversize":
            return bad_input.oversize_body(self.chat_id)
        return json.dumps(bad_input.unknown_kind_update(payloads.new_update_id(), self.chat_id)).encode()

    def _send_bad_input(self, bad: str) -> None:
        """One request of bad input; its answer must be the contract's (a Locust failure otherwise)."""
        due = self._due()
        sent_at = time.time()
        body = self._bad_body(bad)
        status, answer_ms, problem = 0, None, None
        why: str | None = kinds.LOAD_STOPPED
        try:
            with self.client.post(WEBHOOK_PATH, data=body, headers=self._headers, name=f"bad:{bad}",
                                  catch_response=True) as res:  # fmt: skip
                status = res.status_code or 0
                answer_ms = self._answer_ms(res.request_meta, due, sent_at)
                problem = bad_input.answer_problem(bad, status, res.content or b"")
                why = None if status else f"{res.error!r}"
                if problem is None:
                    res.success()
                else:
                    res.failure(f"{bad}: {problem}")
        finally:
            update_log.log_bad_input(bad, sent_at, status, kept_contract=problem is None and why is None,
                                     scheduled_at=due, answer_ms=answer_ms, why=why)  # fmt: skip
