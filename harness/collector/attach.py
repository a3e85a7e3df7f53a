"""`soak collect`: attach to a service that is already running and record only.

The output directory is a run directory (run.json, events.jsonl, samples.db), so `soak report`
judges it like any run, also after the collector was killed: with the thresholds of the profile
given to `soak collect --profile`, else with default resource limits written into its run.json.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from harness import __version__
from harness.analysis.partial import RunState
from harness.collector.plan import Attachment, Collector
from harness.collector.procfs import TcpState, environ, fd_census, tcp_table
from harness.collector.store import SampleWriter
from harness.config import MIN_INTERVAL_S, CollectorSection, RunSpec
from harness.documents.events import EventLog, PhaseEvent
from harness.documents.run_info import write_run_info
from harness.rundir import SAMPLES
from harness.runstate import harness_identity
from vocab.events import Phase

# Without a profile: growth a healthy long-running service does not show whatever its load,
# judged like any run (trend significance, plateaus). Nothing counts the service's requests
# here, so there is no per-request check; heap after GC only where an inspector is given.
ATTACHED_THRESHOLDS: dict[str, object] = {
    "rss_slope_max": "8 MiB/h",
    "fds_growth_max": 16,
    "sockets_growth_max": 16,
    "threads_growth_max": 8,
}
ATTACHED_HEAP_THRESHOLDS: dict[str, object] = {"heap_slope_max": "4 MiB/h"}


class CollectError(Exception):
    """The process to attach to does not exist or cannot be read; the message is one line."""


@dataclass(frozen=True)
class CollectRequest:
    pid: int
    out_dir: Path
    duration_s: float | None = None
    interval_s: float = 1.0
    inspector_url: str | None = None
    profile: RunSpec | None = None  # its thresholds judge the record; None: ATTACHED_THRESHOLDS
    profile_path: Path | None = None


def listening_ports(pid: int) -> frozenset[int]:
    inodes = fd_census(pid).socket_inodes
    return frozenset(e.local_port for e in tcp_table(pid) if e.state is TcpState.LISTEN and e.inode in inodes)


def attachment_for(pid: int, inspector_url: str | None) -> Attachment:
    """What can be learnt from the process itself: its TMPDIR, REDIS_URL and listening ports."""
    try:
        env = environ(pid)
        ports = listening_ports(pid)
    except (FileNotFoundError, ProcessLookupError):
        raise CollectError(f"no process with pid {pid}") from None
    except PermissionError:
        raise CollectError(f"not allowed to read /proc/{pid} (run as the service's user)") from None
    return Attachment(
        target_pid=pid,
        tmp_dir=env.get("TMPDIR"),
        redis_url=env.get("REDIS_URL"),
        inbound_ports=ports,
        inspector_url=inspector_url,
    )


def attached_spec(command: list[str], *, inspector: bool) -> RunSpec:
    thresholds = ATTACHED_THRESHOLDS | (ATTACHED_HEAP_THRESHOLDS if inspector else {})
    return RunSpec.model_validate(
        {"run": {"name": "collect"}, "target": {"command": command}, "thresholds": thresholds}
    )


def _run_info(request: CollectRequest) -> dict[str, object]:
    pid = request.pid
    try:
        command = psutil.Process(pid).cmdline() or [str(pid)]
    except psutil.Error as exc:
        raise CollectError(f"cannot read process {pid}: {exc}") from None
    spec = request.profile or attached_spec(command, inspector=request.inspector_url is not None)
    info: dict[str, Any] = {
        "spec": spec.model_dump(by_alias=True, mode="json"),
        "mode": "collect",
        "versions": {"soak": __version__},
        "target_command": command,
        "target": {"pid": pid},
        "started_at": time.time(),
        "outcome": RunState.RUNNING.value,
        "harness": harness_identity(),
    }
    if request.profile_path is not None:
        info["profile"] = str(request.profile_path)
    return info


def collect(request: CollectRequest, settings: CollectorSection | None = None) -> int:
    """Record until the duration ends, the target exits, or SIGTERM/SIGINT; returns the tick count."""
    if not request.interval_s >= MIN_INTERVAL_S:
        got = f"{request.interval_s * 1000:g} ms"
        raise CollectError(f"--interval must be at least {MIN_INTERVAL_S * 1000:g} ms (got {got})")
    attachment = attachment_for(request.pid, request.inspector_url)
    info = _run_info(request)
    request.out_dir.mkdir(parents=True, exist_ok=True)
    write_run_info(request.out_dir, info)
    t0 = time.monotonic()
    events = EventLog(request.out_dir, t0)
    writer = SampleWriter(request.out_dir / SAMPLES)
    collector = Collector(writer, attachment, settings or CollectorSection(), request.interval_s, t0, events=events)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, _setter(stop)) for sig in (signal.SIGTERM, signal.SIGINT)}
    events.emit(PhaseEvent(phase=Phase.LOAD))
    collector.start()
    try:
        _wait(stop, collector, request.duration_s)
    finally:
        collector.stop()
        writer.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        events.emit(PhaseEvent(phase=Phase.COOLDOWN))
        info["outcome"] = (RunState.COMPLETED if collector.error is None else RunState.ERROR).value
        info["ended_at"] = time.time()
        write_run_info(request.out_dir, info)
    if collector.error is not None:
        raise CollectError(f"collector failed: {collector.error}")
    return collector.sampler.ticks


def _setter(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    return handler


def _wait(stop: threading.Event, collector: Collector, duration_s: float | None) -> None:
    deadline = None if duration_s is None else time.monotonic() + duration_s
    while not stop.is_set() and collector.error is None and not collector.process.gone:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return
        stop.wait(0.2 if remaining is None else min(0.2, remaining))
        if not os.path.exists(f"/proc/{collector.process.root_pid}"):
            return
