"""Launching the service under test with an injected environment and waiting for its health."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.config import TargetSection
from harness.placeholders import fill, used_placeholders
from harness.procs import Child, HarnessError, free_port, start_child, wait_until

LISTEN_HOST = "127.0.0.1"


@dataclass(frozen=True)
class TargetHandle:
    child: Child
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            status: int = response.status
            return 200 <= status < 300
    except (urllib.error.URLError, OSError):
        return False


def append_node_options(env: dict[str, str], *options: str) -> None:
    """Add flags to NODE_OPTIONS without dropping what is there (interception and the runtime
    probe each add their own)."""
    parts = env.get("NODE_OPTIONS", "").split()
    for option in options:
        words = option.split()
        present = any(parts[i : i + len(words)] == words for i in range(len(parts)))
        if not present:
            parts.extend(words)
    env["NODE_OPTIONS"] = " ".join(parts)


def target_env(
    spec: TargetSection,
    port: int,
    upstreams: Mapping[str, str],
    tmp_dir: Path,
    mock_urls: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment the target starts with: ours first, then the profile's own values, their
    placeholders ("{redis_url}") filled from ours."""
    env = dict(os.environ)
    ours = {
        "PORT": str(port),
        "HOST": LISTEN_HOST,
        "NODE_ENV": "production",
        "TELEGRAM_BOT_TOKEN": spec.telegram_token,
        "TELEGRAM_WEBHOOK_SECRET": spec.webhook_secret,
        "WEBHOOK_SECRET": spec.callback_secret,
        "ELEVENLABS_API_KEY": spec.elevenlabs_api_key,
        "TMPDIR": str(tmp_dir),
        **upstreams,
    }
    env.update(ours)
    values = placeholder_values(spec, ours, mock_urls or {})
    env.update({name: _filled(name, value, values) for name, value in spec.env.items()})
    return env


def placeholder_values(spec: TargetSection, ours: Mapping[str, str], mock_urls: Mapping[str, str]) -> dict[str, str]:
    """What each placeholder of harness.placeholders stands for in this run (absent: not known here)."""
    known = {
        "port": ours["PORT"],
        "host": ours["HOST"],
        "base_url": f"http://{ours['HOST']}:{ours['PORT']}",
        "redis_url": ours.get("REDIS_URL"),
        "cursor_runner_url": ours.get("CURSOR_RUNNER_URL"),
        "telegram_url": mock_urls.get("telegram_tls"),
        "elevenlabs_url": mock_urls.get("elevenlabs_tls"),
        "telegram_token": spec.telegram_token,
        "webhook_secret": spec.webhook_secret,
        "callback_secret": spec.callback_secret,
        "elevenlabs_api_key": spec.elevenlabs_api_key,
        "tmpdir": ours["TMPDIR"],
        "ca_cert": ours.get("NODE_EXTRA_CA_CERTS"),
    }
    return {name: value for name, value in known.items() if value is not None}


def _filled(name: str, value: str, values: Mapping[str, str]) -> str:
    missing = [placeholder for placeholder in used_placeholders(value) if placeholder not in values]
    if missing:
        raise HarnessError(f"target.env.{name}: {{{missing[0]}}} has no value in this run")
    return fill(value, values)


INSPECT_OPTION = "--inspect=127.0.0.1:0"
_INSPECTOR_URL = re.compile(r"Debugger listening on (ws://127\.0\.0\.1:\d+/[\w-]+)")


def inspector_url(log_path: Path) -> str | None:
    """The ws:// URL a Node target printed at start; the last one if several Node processes did
    (a wrapper such as npm starts first, the service itself last)."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    urls = _INSPECTOR_URL.findall(text)
    return urls[-1] if urls else None


def start_target(
    spec: TargetSection,
    upstreams: dict[str, str],
    run_dir: Path,
    tmp_dir: Path,
    port: int | None = None,
    *,
    inspect: bool = False,
    node_options: tuple[str, ...] = (),
    mock_urls: Mapping[str, str] | None = None,
) -> TargetHandle:
    port = port or free_port()
    cwd = Path(spec.cwd).resolve()
    if not cwd.is_dir():
        raise HarnessError(f"target cwd does not exist: {cwd}")
    env = target_env(spec, port, upstreams, tmp_dir, mock_urls)
    append_node_options(env, *node_options)  # interception's --require, after what the shell had
    if inspect:  # the runtime probe's loopback inspector; port 0 so runs never collide
        append_node_options(env, INSPECT_OPTION)
    child = start_child("target", spec.command, env=env, cwd=cwd, log_path=run_dir / "target.log")
    url = f"http://127.0.0.1:{port}{spec.health_path}"
    try:
        wait_until(lambda: health_ok(url), child, spec.startup_timeout_s, f"health at {url}", poll_s=0.1)
    except HarnessError:
        child.stop(spec.stop_timeout_s)
        raise
    return TargetHandle(child=child, port=port)
