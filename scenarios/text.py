"""Text scenario: prompts only, each forwarded to cursor-runner."""

from __future__ import annotations

from locust import task

from scenarios.payloads import text_update
from scenarios.webhook import WebhookUser

__all__ = ["TextUser"]


class TextUser(WebhookUser):
    @task
    def post_prompt(self) -> None:
        self.send(text_update(self.next_chat(), "List failing tests on main"), "text", forwarded=True)
