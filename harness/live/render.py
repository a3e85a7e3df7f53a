"""The live figures as a person reads them: a rich block for a terminal, one plain line for a log."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from harness.analysis.rules import FDS, HEAP, HEAP_AFTER_GC, REDIS_TARGET_CLIENTS, RSS, SOCKETS
from harness.live.tracker import Snapshot
from shared import human


def clock(seconds: float) -> str:
    """1:05, 1:02:05."""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _bytes(snapshot: Snapshot, name: str) -> str:
    value = snapshot.value(name)
    return "-" if value is None else human.size(value)


def _count(snapshot: Snapshot, name: str) -> str:
    value = snapshot.value(name)
    return "-" if value is None else human.count(value)


def _time_line(snapshot: Snapshot) -> str:
    left = "" if snapshot.remaining_s is None else f", {clock(snapshot.remaining_s)} left"
    return f"{snapshot.phase} {clock(snapshot.elapsed_s)} elapsed{left}"


def _heap(snapshot: Snapshot) -> str:
    heap = _bytes(snapshot, HEAP)
    after_gc = snapshot.value(HEAP_AFTER_GC)
    return heap if after_gc is None else f"{heap} ({human.size(after_gc)} after GC)"


def _load_cells(snapshot: Snapshot) -> dict[str, str]:
    load = snapshot.load
    if load is None:
        return {"updates/s": "-", "errors": "-", "webhook p95": "-"}
    p95 = "-" if load.p95_s is None else human.duration(load.p95_s)
    ratio = f" ({human.percent(load.failures_total / load.updates_total)})" if load.updates_total else ""
    # Locust's last row stays in its file after it stopped: its rate is not the present one.
    stopped = snapshot.phase in {"cooldown", "stop"}
    rate = (
        f"0 (load stopped, {human.count(load.updates_total)} sent)"
        if stopped
        else f"{human.number(load.updates_per_s)} ({load.users} users, {human.count(load.updates_total)} sent)"
    )
    return {
        "updates/s": rate,
        "errors": f"{human.count(load.failures_total)}{ratio}",
        "webhook p95": p95,
    }


def figures(snapshot: Snapshot) -> dict[str, str]:
    """Label -> figure, in the order a person scans them."""
    cells = _load_cells(snapshot)
    cells.update(
        {
            "RSS": _bytes(snapshot, RSS),
            "heap": _heap(snapshot),
            "fds": _count(snapshot, FDS),
            "sockets": _count(snapshot, SOCKETS),
            "Redis clients": _count(snapshot, REDIS_TARGET_CLIENTS),
            "fault window": ", ".join(snapshot.faults_active) or "none",
        }
    )
    return cells


def failing_text(snapshot: Snapshot) -> str:
    return "; ".join(f"{failure.check} ({failure.detail})" for failure in snapshot.failing) or "none"


def plain_line(snapshot: Snapshot) -> str:
    """One line for a log that is not a terminal (CI)."""
    cells = " | ".join(f"{label} {value}" for label, value in figures(snapshot).items())
    return f"soak: {_time_line(snapshot)} | {cells} | failing: {failing_text(snapshot)}"


def rich_block(snapshot: Snapshot) -> RenderableType:
    """The status block redrawn in place on a terminal (plain Text: a Table costs 10x to render)."""
    rows = [(label, value, "yellow" if label == "fault window" and snapshot.faults_active else "")
            for label, value in figures(snapshot).items()]  # fmt: skip
    rows.append(("failing", failing_text(snapshot), "bold red" if snapshot.failing else "green"))
    if snapshot.dropped_ticks:
        rows.append(("note", f"{snapshot.dropped_ticks} ticks not seen by this view", "dim"))
    width = max(len(label) for label, _, _ in rows)
    block = Text.assemble(("soak ", "bold"), (snapshot.run, "cyan"), "  ", (_time_line(snapshot), "bold"))
    for label, value, style in rows:
        block.append("\n")
        block.append(label.rjust(width), style="dim")
        block.append("  ")
        block.append(value, style=style)
    return block
