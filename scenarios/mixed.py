"""Mixed scenario: text, voice/audio, callback queries, local commands and edits, weighted by the
profile's mix (kind -> weight)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from locust import task

from scenarios import payloads
from scenarios.kinds import DEFAULT_MIX
from scenarios.webhook import WebhookUser

__all__ = ["MixedUser"]

COMMANDS = ("/start", "/help", "/status", "/STATUS now")


def _factories(rng: random.Random, file_reuse: float) -> dict[str, Callable[[int], dict[str, Any]]]:
    def voice(chat: int) -> dict[str, Any]:
        return payloads.voice_update(chat, rng, rng.choice(("voice", "voice", "audio", "document")), file_reuse)

    return {
        "text": lambda chat: payloads.text_update(chat, "List failing tests on main"),
        "voice": voice,
        "callback": lambda chat: payloads.callback_update(chat, rng.choice(("rerun nightly build", "/status", ""))),
        "command": lambda chat: payloads.command_update(chat, rng.choice(COMMANDS)),
        "edited": lambda chat: payloads.edited_text_update(chat, "List failing tests on develop"),
        "no_text": payloads.no_text_update,
    }


class MixedUser(WebhookUser):
    def on_start(self) -> None:
        super().on_start()
        self.factories = _factories(self.rng, self.soak.settings.file_reuse_share)
        mix = self.soak.settings.mix or DEFAULT_MIX
        self.kinds = [kind for kind in mix if kind in self.factories and mix[kind] > 0]
        self.weights = [mix[kind] for kind in self.kinds]

    @task
    def post_update(self) -> None:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        self.send(self.factories[kind](self.next_chat()), kind)
