"""Text scenario: each user is one chat posting prompts to the webhook at a constant rate."""

from __future__ import annotations

import os
import time

from locust import FastHttpUser, constant_throughput, task

from scenarios.bounded_stats import keep_stats_bounded
from scenarios.payloads import new_chat_id, text_update
from scenarios.shapes import SoakShape
from scenarios.update_log import log_update

__all__ = ["SoakShape", "TextUser"]

keep_stats_bounded()

WEBHOOK_SECRET = os.environ.get("SOAK_WEBHOOK_SECRET", "")
RATE_PER_USER = float(os.environ.get("SOAK_RATE_PER_USER", "1"))


class TextUser(FastHttpUser):
    wait_time = constant_throughput(RATE_PER_USER)

    def on_start(self) -> None:
        self.chat_id = new_chat_id()

    @task
    def post_prompt(self) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        update = text_update(self.chat_id, "List failing tests on main")
        sent_at = time.time()
        response = self.client.post("/telegram/webhook", json=update, headers=headers)
        log_update(update, "text", sent_at, response.status_code or 0, forwarded=True)
