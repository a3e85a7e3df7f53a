"""Upstream names: the services the target calls, as the mocks, the profile and every report name
them, and the peers the TCP probe names the target's connections by."""

from __future__ import annotations

from enum import StrEnum


class Upstream(StrEnum):
    """An upstream the mocks stand in for (a `[mocks.<name>]` section, a key of the calls budgets)."""

    TELEGRAM = "telegram"
    ELEVENLABS = "elevenlabs"
    CURSOR_RUNNER = "cursor_runner"


class Peer(StrEnum):
    """Whom a connection of the target goes to (target.tcp.peer.<peer>)."""

    TELEGRAM = "telegram"
    ELEVENLABS = "elevenlabs"
    CURSOR_RUNNER = "cursor-runner"
    REDIS = "redis"
    INBOUND = "inbound"  # to the target's own listening ports
    INSPECTOR = "inspector"  # the collector's own inspector session, kept apart from the target's
    OTHER = "other"


def peer_of(mock: str) -> str:
    """The peer name of a mock's port: its upstream's (cursor-runner), or its own for the mocks'
    other listeners (telegram-tls, ...), which Peer does not list."""
    return mock.replace("_", "-")
