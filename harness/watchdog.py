"""A run's watchdog: a tiny process that stops the run's children when soak dies without doing so.

soak holds the write end of a pipe whose read end is the watchdog's stdin. A clean stop writes
"done" before closing it; a SIGKILL, the OOM killer or a crash closes it without a word, and
the watchdog SIGKILLs every process group with a pid file in the run, writes what it did to
events.jsonl, and exits. It covers what the parent-death signal cannot: grandchildren (a target
started through npm or a shell) and children started from another thread. It lives in a session
of its own, so signals sent to soak's process group (a terminal's Ctrl-C, a CI runner's kill of
the job's group) leave it standing to do its job.

Stdlib only, so it starts in a few milliseconds: `python -m harness.watchdog PID_DIR EVENTS T0`.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

from harness.pidfiles import stop_recorded
from vocab.events import EventKind

RELEASE = b"done"
LOST_EVENT = EventKind.HARNESS_LOST


def watch(pid_dir: Path, events_file: Path, t0_monotonic: float) -> list[str]:
    """Block until soak lets go of the pipe; stop the run's children unless it said "done"."""
    said = sys.stdin.buffer.read()
    if said.endswith(RELEASE):
        return []
    stopped = [f"{record.name} (pid {record.pid})" for record in stop_recorded(pid_dir)]
    event = {"event": LOST_EVENT, "t_s": round(time.monotonic() - t0_monotonic, 3), "time": time.time()}
    with contextlib.suppress(OSError), events_file.open("a", encoding="utf-8") as handle:
        # The shape of documents.events.HarnessLostEvent, by hand: this process imports little.
        handle.write(json.dumps(event | {"stopped": stopped}) + "\n")
    return stopped


class Watchdog:
    """The harness side: start it before the first child, release it after the last one stopped."""

    def __init__(self, pid_dir: Path, events_file: Path, t0_monotonic: float) -> None:
        argv = [sys.executable, "-m", "harness.watchdog", str(pid_dir), str(events_file), repr(t0_monotonic)]
        # Not a start_child: it must outlive soak (no parent-death signal) and needs no pid file.
        self._popen = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True, close_fds=True
        )

    @property
    def pid(self) -> int:
        return self._popen.pid

    def release(self, timeout_s: float = 5.0) -> None:
        """Everything was stopped: tell the watchdog to leave without acting, and reap it."""
        stdin = self._popen.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(BrokenPipeError, OSError):
                stdin.write(RELEASE)
                stdin.close()
        try:
            self._popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()


def main() -> None:
    pid_dir, events_file, t0 = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    watch(pid_dir, events_file, t0)


if __name__ == "__main__":
    main()
