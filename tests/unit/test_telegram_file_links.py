"""The Telegram mock's file links: bounded by their expiry, not only by MAX_FILE_LINKS."""

from __future__ import annotations

import time

from mocks.config import TelegramConfig
from mocks.telegram.app import MAX_FILE_LINKS, TelegramState


def test_links_older_than_the_ttl_are_forgotten_as_new_ones_are_issued() -> None:
    state = TelegramState(config=TelegramConfig(file_link_ttl="10 s"))
    start_s = time.monotonic() - 1000.0
    # A new file id every 10 ms for 100 s: 10,000 links issued, the last 10 s of them alive.
    for index in range(10_000):
        state.issue_link(f"f{index}", now_s=start_s + index * 0.01)
    assert 990 <= len(state.file_links) <= 1001
    assert min(state.file_links.values()) >= start_s + 99.99 - 10.0
    assert len(state.file_links) < MAX_FILE_LINKS


def test_a_link_issued_again_is_kept_and_expiry_still_reads_as_expired() -> None:
    state = TelegramState(config=TelegramConfig(file_link_ttl="10 s"))
    now_s = time.monotonic()
    state.issue_link("kept", now_s=now_s - 30.0)
    state.issue_link("old", now_s=now_s - 25.0)
    state.issue_link("kept", now_s=now_s - 5.0)  # getFile again: a fresh link, moved to the end
    state.issue_link("new", now_s=now_s)
    assert list(state.file_links) == ["kept", "new"]
    assert state.link_valid("kept") and state.link_valid("new")
    assert not state.link_valid("old")
