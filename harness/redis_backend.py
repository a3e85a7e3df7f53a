"""The run's private Redis: a real redis-server on a free port, else fakeredis's TCP server."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from harness.procs import Child, HarnessError, free_port, port_open, start_child, wait_until


class RedisBackend(StrEnum):
    REDIS_SERVER = "redis-server"
    FAKEREDIS = "fakeredis"


@dataclass(frozen=True)
class RedisHandle:
    backend: RedisBackend
    port: int
    child: Child

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def choose_backend(requested: str) -> RedisBackend:
    """'auto' prefers a real redis-server on PATH; an explicit choice must be available."""
    has_binary = shutil.which("redis-server") is not None
    if requested == "fakeredis":
        return RedisBackend.FAKEREDIS
    if requested == "redis-server" and not has_binary:
        raise HarnessError("redis backend 'redis-server' requested but no redis-server on PATH")
    return RedisBackend.REDIS_SERVER if has_binary else RedisBackend.FAKEREDIS


def _argv(backend: RedisBackend, port: int, workdir: Path) -> list[str]:
    if backend is RedisBackend.REDIS_SERVER:
        return [
            "redis-server",
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(workdir),
        ]  # fmt: skip
    return [sys.executable, "-m", "harness.fakeredis_server", "--port", str(port)]


def start_redis(requested: str, workdir: Path, log_path: Path, timeout_s: float = 15.0) -> RedisHandle:
    backend = choose_backend(requested)
    port = free_port()
    child = start_child(f"redis ({backend})", _argv(backend, port, workdir), log_path=log_path)
    try:
        wait_until(lambda: port_open("127.0.0.1", port), child, timeout_s, "accepting connections")
    except HarnessError:
        child.stop()
        raise
    return RedisHandle(backend=backend, port=port, child=child)
