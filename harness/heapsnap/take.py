"""Taking a V8 heap snapshot of the target over its inspector, streamed to disk as it comes.

Its own inspector session (harness/collector/cdp.py: read all the time, so a target that exits
is let go at once), held for the whole run beside the collector's probe (Node accepts several):
V8 numbers objects for the heap profiler, and ids kept between snapshots are what tells the
objects made since the first snapshot from the old ones; V8 forgets them when any session
closes, so the probe waits on the pause lock rather than time out during a snapshot. The
snapshot is written chunk by chunk (HeapProfiler.addHeapSnapshotChunk), never held whole, to a
`.partial` file renamed when complete. The target's JavaScript is paused for the whole of it
(measured and reported as pause_s).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp

from harness.collector.cdp import CdpSession, InspectorError
from harness.collector.pause import INSPECTOR_PAUSE
from harness.heapsnap.files import SCRIPTS_SUFFIX, SNAPSHOT_SUFFIX

SNAPSHOT_TIMEOUT_S = 900.0  # a heap of GBs takes minutes


class SnapshotError(Exception):
    """The inspector refused or the connection ended; the message is one line."""


@dataclass(frozen=True)
class Taken:
    path: Path
    size_bytes: int
    gc_s: float  # the forced GC before the snapshot
    pause_s: float  # the snapshot itself: the target ran no JavaScript meanwhile
    started_monotonic: float


class InspectorSession:
    """The snapshotter's session; call take_snapshot from one thread at a time."""

    def __init__(self, ws_url: str, timeout_s: float = SNAPSHOT_TIMEOUT_S) -> None:
        self.cdp = CdpSession(ws_url)
        self.timeout_s = timeout_s

    def close(self) -> None:
        self.cdp.close()


def take_snapshot(session: InspectorSession, path: Path) -> Taken:
    """Force a GC, then stream a snapshot to path; the script URLs go beside it."""
    try:
        with INSPECTOR_PAUSE:
            taken: Taken = session.cdp.run(_take(session.cdp, path), session.timeout_s)
            return taken
    except (aiohttp.ClientError, OSError, TimeoutError, InspectorError) as exc:
        raise SnapshotError(f"inspector: {type(exc).__name__}: {exc}".rstrip(": ")) from None
    finally:
        session.cdp.on_event = None


async def _take(cdp: CdpSession, path: Path) -> Taken:
    started = time.monotonic()
    await cdp.command("HeapProfiler.collectGarbage")
    gc_s = time.monotonic() - started
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        cdp.on_event = _writer(handle)
        snapshot_started = time.monotonic()
        await cdp.command("HeapProfiler.takeHeapSnapshot", {"reportProgress": False})
        pause_s = time.monotonic() - snapshot_started
    os.replace(partial, path)
    scripts = await _script_urls(cdp)
    path.with_name(path.name.removesuffix(SNAPSHOT_SUFFIX) + SCRIPTS_SUFFIX).write_text(
        json.dumps(scripts), encoding="utf-8"
    )
    return Taken(path, path.stat().st_size, gc_s, pause_s, started)


def _writer(handle: IO[str]) -> Any:
    def on_event(event: dict[str, Any]) -> None:
        if event["method"] == "HeapProfiler.addHeapSnapshotChunk":
            handle.write(event["params"]["chunk"])

    return on_event


async def _script_urls(cdp: CdpSession) -> dict[str, str]:
    """Script id -> URL, so a closure's location names its file: Debugger.enable reports every
    loaded script; it is switched off again at once."""
    urls: dict[str, str] = {}

    def on_event(event: dict[str, Any]) -> None:
        if event["method"] == "Debugger.scriptParsed":
            params = event["params"]
            if params.get("url"):
                urls[str(params["scriptId"])] = str(params["url"])

    cdp.on_event = on_event
    await cdp.command("Debugger.enable")
    await cdp.command("Debugger.disable")
    return urls
