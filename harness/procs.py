"""Child processes of a run: started in their own session so the whole tree stops together."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


class HarnessError(Exception):
    """A failure of the harness or of a part it started (not a threshold verdict)."""


def free_port() -> int:
    """A loopback port that was free a moment ago, for services that cannot bind port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Child:
    """One started process; `stop` signals its whole process group."""

    name: str
    popen: subprocess.Popen[bytes]
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exit_code(self) -> int | None:
        return self.popen.poll()

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM the group, then SIGKILL what is left after timeout_s; returns the exit code."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _signal_group(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        # Grandchildren may outlive a leader that exited on its own.
        _signal_group(self.popen.pid, signal.SIGKILL)
        if self.log_file is not None:
            self.log_file.close()
        return self.popen.returncode


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def start_child(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path | None = None,
) -> Child:
    """Start argv in a new session, stdout and stderr to log_path (or discarded)."""
    log_file = open(log_path, "ab") if log_path else None  # noqa: SIM115 - owned by Child
    try:
        popen = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log_file else subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        if log_file:
            log_file.close()
        raise HarnessError(f"cannot start {name} ({argv[0]}): {exc.strerror or exc}") from None
    return Child(name=name, popen=popen, log_file=log_file)


def wait_until(ready: Callable[[], bool], child: Child, timeout_s: float, what: str, poll_s: float = 0.05) -> None:
    """Poll `ready` until true; fail early if the child dies, or after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        code = child.exit_code()
        if code is not None:
            raise HarnessError(f"{child.name} exited with code {code} before {what}")
        time.sleep(poll_s)
    raise HarnessError(f"{child.name}: timed out after {timeout_s:.0f} s waiting for {what}")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
