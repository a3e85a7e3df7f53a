"""The live view's thread: about once a second it takes the collector's new ticks, new events and
(every few seconds) Locust's last figures, then redraws the status block on a terminal, writes a
plain line at most every `plain_every_s` elsewhere, and hands the snapshot to the metrics endpoint.

It only reads what soak already holds or what others append to files: it never probes the target,
and a failure in it stops the view, never the run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.live import Live

from harness.config import RunSpec
from harness.live.feed import TickFeed
from harness.live.metrics import MetricsServer, serve_metrics
from harness.live.render import plain_line, rich_block
from harness.live.tails import EventsTail, LoadFigures, read_load_figures
from harness.live.tracker import RunTracker, Snapshot
from harness.procs import HarnessError
from harness.rundir import EVENTS

REFRESH_S = 1.0
LOCUST_EVERY_S = 3.0
LOCUST_HISTORY = Path("locust") / "locust_stats_history.csv"
DEFAULT_PLAIN_EVERY_S = 30.0


class ViewMode(StrEnum):
    AUTO = "auto"  # rich on a terminal, plain lines otherwise
    RICH = "rich"
    PLAIN = "plain"
    OFF = "off"


@dataclass(frozen=True)
class LiveOptions:
    mode: ViewMode = ViewMode.AUTO
    plain_every_s: float = DEFAULT_PLAIN_EVERY_S
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None  # None: no endpoint; 0: a free port


def resolved_mode(mode: ViewMode, console: Console) -> ViewMode:
    if mode is not ViewMode.AUTO:
        return mode
    return ViewMode.RICH if console.is_terminal and not console.is_dumb_terminal else ViewMode.PLAIN


class LiveView:
    """Start after the run directory exists; stop before the verdict is printed."""

    def __init__(self, spec: RunSpec, run_dir: Path, t0: float, options: LiveOptions, stream: TextIO) -> None:
        self.feed = TickFeed()
        self._t0 = t0
        self._options = options
        self._tracker = RunTracker(spec, run_dir.name)
        self._events = EventsTail(run_dir / EVENTS)
        self._history = run_dir / LOCUST_HISTORY
        self._console = Console(file=stream, highlight=False)
        self._mode = resolved_mode(options.mode, self._console)
        self._load: LoadFigures | None = None
        self._load_read_at = float("-inf")
        self._plain_at = time.monotonic()
        self._live: Live | None = None
        self._metrics: MetricsServer | None = None
        self.snapshot: Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="soak-live", daemon=True)

    @property
    def mode(self) -> ViewMode:
        return self._mode

    @property
    def metrics_url(self) -> str | None:
        return self._metrics.url if self._metrics is not None else None

    def start(self) -> None:
        if self._options.metrics_port is not None:
            host, port = self._options.metrics_host, self._options.metrics_port
            try:
                self._metrics = serve_metrics(host, port, lambda: self.snapshot)
            except OSError as exc:
                raise HarnessError(f"--metrics-port: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
            self._say(f"soak: metrics at {self._metrics.url}")
        if self._mode is ViewMode.RICH:
            # stderr lines (phases, warnings) print above the block; stdout is left alone (--json).
            self._live = Live(console=self._console, auto_refresh=False, redirect_stdout=False, redirect_stderr=True)
            self._live.start()
        if self._mode is not ViewMode.OFF or self._metrics is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._metrics is not None:
            self._metrics.close()

    def update(self) -> Snapshot:
        """Take in what is new and build a snapshot (the thread calls this; tests may too)."""
        now = time.monotonic()
        self._tracker.on_events(self._events.read_new())
        ticks, dropped = self.feed.drain()
        self._tracker.on_ticks(ticks, dropped)
        if now - self._load_read_at >= LOCUST_EVERY_S:
            self._load_read_at = now
            self._load = read_load_figures(self._history) or self._load
        self.snapshot = self._tracker.snapshot(now - self._t0, self._load)
        return self.snapshot

    def _loop(self) -> None:
        try:
            while not self._stop.wait(REFRESH_S):
                self._show(self.update())
        except Exception as exc:  # noqa: BLE001 - the view must never stop the run
            self._say(f"soak: the live view stopped: {type(exc).__name__}: {exc}")

    def _show(self, snapshot: Snapshot) -> None:
        if self._live is not None:
            self._live.update(rich_block(snapshot), refresh=True)
        elif self._mode is ViewMode.PLAIN and time.monotonic() - self._plain_at >= self._options.plain_every_s:
            self._plain_at = time.monotonic()
            self._say(plain_line(snapshot))

    def _say(self, line: str) -> None:
        # Through the console: with the block on screen, the line goes above it.
        self._console.print(line, markup=False, highlight=False, soft_wrap=True)
