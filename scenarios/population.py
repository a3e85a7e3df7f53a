"""Which chat each update comes from: the chat population of the profile's [load].

By default each user is one chat for ever (a fixed population of `users` chats). `chat_pool = K`
makes the updates of every user come from K chats in turn instead: each chat is seen within the
first K updates, and the population stays that size. `new_chat_share = s` sends exactly that
share of updates from a chat never seen before, as a real bot meets new users all day: state kept
per chat (a per-user map, cache or rate limiter) grows with them, and only with them. A callback's
message sits in one of 16 chats of its user's for buttons, in turn (payloads.button_chat): a fixed
population shows the service 17 chats per user chat, never more.
Pure: no Locust import.
"""

from __future__ import annotations

import math

from scenarios import payloads
from scenarios.pacing import ExactShare


class ChatPopulation:
    """One per Locust process; pool_share is this process's part of the pool (1/N of N workers)."""

    def __init__(self, new_chat_share: float, pool_size: int, pool_share: float = 1.0) -> None:
        self.new_chat = ExactShare(new_chat_share)
        self.pool_size = math.ceil(pool_size * pool_share) if pool_size > 0 else 0
        self._pool: list[int] = []
        self._turn = 0
        self.new_chats = 0

    def user_chat(self) -> int:
        """The chat a new user starts with (its own, unless the run has a shared pool)."""
        return payloads.new_chat_id() if self.pool_size == 0 else self._from_pool()

    def _from_pool(self) -> int:
        if not self._pool:
            self._pool = [payloads.new_chat_id() for _ in range(self.pool_size)]
        self._turn = (self._turn + 1) % self.pool_size
        return self._pool[self._turn]

    def chat_for(self, own_chat: int) -> int:
        """The chat of a user's next update."""
        if self.new_chat():
            self.new_chats += 1
            return payloads.new_chat_id()
        return own_chat if self.pool_size == 0 else self._from_pool()
