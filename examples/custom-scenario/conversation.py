"""A custom soak scenario: each user holds a conversation the way people use the bot.

A session opens with /start, asks a few questions, sometimes corrects the last one (an edit) or
speaks one (a voice note), then checks /status. Run it through soak's accounting with

    soak run examples/custom-scenario/profile.toml

or point any profile's `[load] scenario` at this file. soak adds its load model and events; the
chats come from the profile's chat population (`self.next_chat()`), and every update sent through
`self.send` is recorded for the per-update accounting.
"""

from __future__ import annotations

from locust import task

from scenarios import payloads
from scenarios.webhook import WebhookUser

QUESTIONS = (
    "Which tests failed on main last night?",
    "Open a branch fixing the flaky auth test",
    "Summarise the diff of the last merge",
)


class ConversationUser(WebhookUser):
    @task
    def session(self) -> None:
        chat = self.next_chat()
        self.send(payloads.command_update(chat, "/start"), "command")
        for question in self.rng.sample(QUESTIONS, k=2):
            self.send(payloads.text_update(chat, question), "text")
        if self.rng.random() < 0.3:
            self.send(payloads.edited_text_update(chat, QUESTIONS[0]), "edited")
        if self.rng.random() < 0.3:
            self.send(payloads.voice_update(chat, self.rng, repeat_share=self.soak.settings.file_reuse_share), "voice")
        self.send(payloads.command_update(chat, "/status"), "command")
