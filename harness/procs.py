"""Child processes of a run: each in a session of its own so its whole tree stops together, and
each bound to soak's life (a parent-death signal, and a pid file for the run's watchdog)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from harness.pidfiles import PidRecord, start_ticks, write_record


class HarnessError(Exception):
    """A failure of the harness or of a part it started (not a threshold verdict)."""


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PICKED_PORT = 10_000  # under it sit well-known services a developer's machine may run
PICK_ATTEMPTS = 64


def _ephemeral_range() -> tuple[int, int] | None:
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE.read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return None
    return low, high


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free loopback port for a service that cannot bind port 0 and report it (the target,
    redis-server, Locust's web UI): picked at random under the kernel's ephemeral range. A port
    bind(0) returned is in that range, where every outgoing connection takes its local port: under
    load (each cursor-runner callback a new connection) one took the target's port between soak's
    pick and the target's listen (EADDRINUSE). Below the range only explicit binds compete."""
    span = _ephemeral_range()
    if span is not None and span[0] - LOWEST_PICKED_PORT >= 1_000:
        picker = random.SystemRandom()
        for _ in range(PICK_ATTEMPTS):
            port = picker.randrange(LOWEST_PICKED_PORT, span[0])
            if _bindable(port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        chosen: int = sock.getsockname()[1]
        return chosen


@dataclass
class Child:
    """One started process; `stop` signals its whole process group."""

    name: str
    popen: subprocess.Popen[bytes]
    log_file: IO[bytes] | None = field(default=None, repr=False)
    log_path: Path | None = None
    pid_file: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exit_code(self) -> int | None:
        return self.popen.poll()

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM the group, then SIGKILL what is left after timeout_s; returns the exit code.
        Stopping twice is harmless (the runner stops Locust early when the target dies)."""
        if self._stopped:
            return self.popen.returncode
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
            self.log_file = None
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
            self.pid_file = None
        self._stopped = True
        return self.popen.returncode


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


_PR_SET_PDEATHSIG = 1


@dataclass
class _PidRecording:
    pid_dir: Path | None = None


_RECORDING = _PidRecording()


@contextlib.contextmanager
def recording_pids(pid_dir: Path) -> Iterator[None]:
    """Within this block, every started child leaves a pid file in pid_dir (removed when it is
    stopped), so the run's watchdog or the next run can stop what a killed soak left behind."""
    previous, _RECORDING.pid_dir = _RECORDING.pid_dir, pid_dir
    try:
        yield
    finally:
        _RECORDING.pid_dir = previous


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that has the kernel SIGKILL the child when soak dies (PR_SET_PDEATHSIG).

    The signal fires when the *thread* that forked exits, so only children started from the main
    thread (which lives as long as the process) get it; the watchdog covers the others and the
    grandchildren. prctl is looked up here, before the fork, so the child only makes the call.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent_pid = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent_pid:  # soak died before the call: the signal will never come
            os._exit(1)

    return preexec


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
            preexec_fn=_die_with_parent(),  # noqa: PLW1509 - one prctl call, looked up before the fork
        )
    except OSError as exc:
        if log_file:
            log_file.close()
        raise HarnessError(f"cannot start {name} ({argv[0]}): {exc.strerror or exc}") from None
    pid_file = None
    if _RECORDING.pid_dir is not None:
        pid_file = write_record(_RECORDING.pid_dir, PidRecord(name, popen.pid, start_ticks(popen.pid)))
    return Child(name=name, popen=popen, log_file=log_file, log_path=log_path, pid_file=pid_file)


def signal_name(code: int | None) -> str | None:
    """The signal that ended a process, from Popen's returncode (negative) or a shell's 128+N."""
    if code is None:
        return None
    number = -code if code < 0 else code - 128 if 128 < code < 128 + 65 else None
    if number is None:
        return None
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe_exit(code: int) -> str:
    """'code 1', 'SIGKILL', or 'code 137 (128+SIGKILL, as a shell reports it)': reads after "exited with"."""
    name = signal_name(code)
    if code < 0:
        return name or f"signal {-code}"
    if name is not None:
        return f"code {code} (128+{name}, as a shell reports it)"
    return f"code {code}"


def log_tail(path: Path | None, lines: int = 20, max_bytes: int = 64 * 1024) -> list[str]:
    """The last lines of a log, read from its end (logs grow for hours)."""
    if path is None:
        return []
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - max_bytes))
            data = handle.read()
    except OSError:
        return []
    return [line.rstrip() for line in data.decode("utf-8", errors="replace").splitlines()[-lines:]]


def with_log_tail(message: str, child: Child, lines: int = 20) -> str:
    tail = log_tail(child.log_path, lines)
    if not tail or child.log_path is None:
        return message
    return f"{message}; {child.log_path.name} ends with:\n" + "\n".join(f"    {line}" for line in tail)


def wait_until(ready: Callable[[], bool], child: Child, timeout_s: float, what: str, poll_s: float = 0.05) -> None:
    """Poll `ready` until true; fail early if the child dies, or after timeout_s (with its log's tail)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        code = child.exit_code()
        if code is not None:
            raise HarnessError(with_log_tail(f"{child.name} exited with {describe_exit(code)} before {what}", child))
        time.sleep(poll_s)
    raise HarnessError(with_log_tail(f"{child.name}: timed out after {timeout_s:.0f} s waiting for {what}", child))


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
