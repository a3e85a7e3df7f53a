"""Mixed scenario: text, voice/audio, callback queries, local commands and edits, weighted by
SOAK_MIX (JSON of kind -> weight), each user one chat at a constant rate."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

from locust import FastHttpUser, constant_throughput, task

from scenarios import payloads
from scenarios.bounded_stats import keep_stats_bounded
from scenarios.kinds import DEFAULT_MIX
from scenarios.shapes import SoakShape
from scenarios.update_log import log_update

__all__ = ["MixedUser", "SoakShape"]

WEBHOOK_SECRET = os.environ.get("SOAK_WEBHOOK_SECRET", "")
RATE_PER_USER = float(os.environ.get("SOAK_RATE_PER_USER", "1"))
MIX: dict[str, float] = json.loads(os.environ.get("SOAK_MIX") or "null") or DEFAULT_MIX
keep_stats_bounded()

COMMANDS = ("/start", "/help", "/status", "/STATUS now")


def _factories(rng: random.Random) -> dict[str, Callable[[int], dict[str, Any]]]:
    return {
        "text": lambda chat: payloads.text_update(chat, "List failing tests on main"),
        "voice": lambda chat: payloads.voice_update(chat, rng, rng.choice(("voice", "voice", "audio", "document"))),
        "callback": lambda chat: payloads.callback_update(chat, rng.choice(("rerun nightly build", "/status", ""))),
        "command": lambda chat: payloads.command_update(chat, rng.choice(COMMANDS)),
        "edited": lambda chat: payloads.edited_text_update(chat, "List failing tests on develop"),
        "no_text": payloads.no_text_update,
    }


class MixedUser(FastHttpUser):
    wait_time = constant_throughput(RATE_PER_USER)

    def on_start(self) -> None:
        self.chat_id = payloads.new_chat_id()
        self.rng = random.Random(self.chat_id)
        self.factories = _factories(self.rng)
        self.kinds = [kind for kind in MIX if kind in self.factories and MIX[kind] > 0]
        self.weights = [MIX[kind] for kind in self.kinds]

    @task
    def post_update(self) -> None:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        update = self.factories[kind](self.chat_id)
        sent_at = time.time()
        # Named by kind so Locust's stats show each flow's latency and failures apart.
        response = self.client.post("/telegram/webhook", json=update, headers=headers, name=kind)
        log_update(update, kind, sent_at, response.status_code or 0, forwarded=payloads.forwards(kind, update))
