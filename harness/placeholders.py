"""Placeholders in `[target.env]` values ("{redis_url}"), so a service's own variable names can be
given what soak injects under its names: checked when the profile loads, filled at the target's start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Name -> what it stands for. The runner fills every one of these when it starts the target.
PLACEHOLDERS: Mapping[str, str] = {
    "port": "the port the target must listen on (also in PORT)",
    "host": "the address the target must listen on: 127.0.0.1 (also in HOST)",
    "base_url": "the target's own URL, http://127.0.0.1:{port}",
    "redis_url": "the run's private Redis, redis://127.0.0.1:<port>/0 (also in REDIS_URL)",
    "cursor_runner_url": "the cursor-runner mock, http://127.0.0.1:<port> (also in CURSOR_RUNNER_URL)",
    "telegram_url": "the Telegram mock over TLS, https://127.0.0.1:<port> (what base-url mode sets)",
    "elevenlabs_url": "the ElevenLabs mock over TLS, https://127.0.0.1:<port> (what base-url mode sets)",
    "telegram_token": "target.telegram_token (also in TELEGRAM_BOT_TOKEN)",
    "webhook_secret": "target.webhook_secret (also in TELEGRAM_WEBHOOK_SECRET)",
    "callback_secret": "target.callback_secret (also in WEBHOOK_SECRET)",
    "elevenlabs_api_key": "target.elevenlabs_api_key (also in ELEVENLABS_API_KEY)",
    "tmpdir": "the target's private temporary directory (also in TMPDIR)",
    "ca_cert": "the run's CA certificate, PEM (also in NODE_EXTRA_CA_CERTS)",
}

# "{name}" is a placeholder, "{{name}}" a literal "{name}"; other braces (JSON) are left alone.
_PATTERN = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}|\{([a-z][a-z0-9_]*)\}")


def unknown_placeholders(value: str) -> list[str]:
    """Names in value that look like placeholders but are not ones soak fills."""
    return [match[2] for match in _PATTERN.finditer(value) if match[2] and match[2] not in PLACEHOLDERS]


def used_placeholders(value: str) -> list[str]:
    """Every placeholder name value uses (escaped ones are not uses)."""
    return [match[2] for match in _PATTERN.finditer(value) if match[2]]


def fill(value: str, values: Mapping[str, str]) -> str:
    """value with each placeholder replaced; a name without a value stays as it was written."""

    def replace(match: re.Match[str]) -> str:
        if match[1]:
            return "{" + match[1] + "}"
        return values.get(match[2], match[0])

    return _PATTERN.sub(replace, value)
