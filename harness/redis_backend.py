"""The run's private Redis: a real redis-server on a free port, else fakeredis's TCP server.

A redis-server can be shut down with its data saved and started again on the same port, for the
profile's Redis-down windows (harness/redis_faults.py); the Child handle stays the same object.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from harness.procs import Child, HarnessError, free_port, port_open, start_child, wait_until

DUMP_FILE = "dump.rdb"


class RedisBackend(StrEnum):
    REDIS_SERVER = "redis-server"
    FAKEREDIS = "fakeredis"


@dataclass(frozen=True)
class RedisHandle:
    backend: RedisBackend
    port: int
    child: Child
    argv: tuple[str, ...]
    log_path: Path

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


@functools.cache
def redis_server_major() -> int:
    """The installed redis-server's major version (0 when it does not say)."""
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"v=(\d+)\.", out)
    return int(match.group(1)) if match else 0


def _argv(backend: RedisBackend, port: int, workdir: Path) -> list[str]:
    if backend is RedisBackend.REDIS_SERVER:
        # No snapshots while it runs; a Redis-down window saves on shutdown (SHUTDOWN SAVE) into
        # workdir/dump.rdb, which the restart loads. DEBUG SLEEP (the "slow" fault) is off by
        # default from Redis 7 and allowed here for local connections only.
        debug = ["--enable-debug-command", "local"] if redis_server_major() >= 7 else []
        return [
            "redis-server",
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(workdir),
            "--dbfilename", DUMP_FILE,
            *debug,
        ]  # fmt: skip
    return [sys.executable, "-m", "harness.fakeredis_server", "--port", str(port)]


def _launch(name: str, argv: tuple[str, ...], port: int, log_path: Path, timeout_s: float) -> Child:
    child = start_child(name, argv, log_path=log_path)
    try:
        wait_until(lambda: port_open("127.0.0.1", port), child, timeout_s, "accepting connections")
    except HarnessError:
        child.stop()
        raise
    return child


def start_redis(requested: str, workdir: Path, log_path: Path, timeout_s: float = 15.0) -> RedisHandle:
    backend = choose_backend(requested)
    port = free_port()
    argv = tuple(_argv(backend, port, workdir))
    child = _launch(f"redis ({backend})", argv, port, log_path, timeout_s)
    return RedisHandle(backend=backend, port=port, child=child, argv=argv, log_path=log_path)


def restart_redis(
    handle: RedisHandle, attempts: int = 5, timeout_s: float = 15.0, cancelled: Callable[[], bool] = lambda: False
) -> None:
    """Start the stopped server again, same port and data; handle.child then carries the new process.

    The port was free while Redis was down, so another process may have taken it meanwhile: a few
    tries a second apart (unless cancelled), then a HarnessError naming the port.
    """
    if handle.child.exit_code() is None:
        raise HarnessError("redis is still running; stop it before restarting it")
    for attempt in range(attempts):
        if cancelled():
            return
        try:
            new = _launch(handle.child.name, handle.argv, handle.port, handle.log_path, timeout_s)
        except HarnessError:
            if attempt == attempts - 1:
                raise HarnessError(f"redis could not be restarted on port {handle.port} (see redis.log)") from None
            time.sleep(1.0)
            continue
        _take_over(handle.child, new)
        return


def _take_over(child: Child, new: Child) -> None:
    """Make the run's Child handle stand for the new process, so every holder of it follows."""
    if child.log_file is not None:
        child.log_file.close()
    if child.pid_file is not None:  # the old process is gone: its record would only mislead a sweep
        child.pid_file.unlink(missing_ok=True)
    for item in dataclasses.fields(Child):
        setattr(child, item.name, getattr(new, item.name))
