"""Taking a V8 heap snapshot of the target over its inspector, streamed to disk as it comes.

Its own inspector session, held for the whole run beside the collector's probe (Node accepts
several): V8 numbers objects per session's heap profiler, and ids comparable between snapshots
are what tells the objects made since the first snapshot from the old ones. The snapshot is
written chunk by chunk (HeapProfiler.addHeapSnapshotChunk), never held whole, to a `.partial`
file renamed when complete. The target's JavaScript is paused for the whole of it (measured and
reported as pause_s); progress events keep a slow snapshot of a big heap from timing out.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from harness.heapsnap.files import SCRIPTS_SUFFIX, SNAPSHOT_SUFFIX


class SnapshotError(Exception):
    """The inspector refused or the connection ended; the message is one line."""


@dataclass(frozen=True)
class Taken:
    path: Path
    size_bytes: int
    gc_s: float  # the forced GC before the snapshot
    pause_s: float  # the snapshot itself: the target ran no JavaScript meanwhile
    started_monotonic: float


Handler = Callable[[dict[str, Any]], None]


class InspectorSession:
    """One CDP session on a private event loop; not thread-safe (one thread uses it)."""

    def __init__(self, ws_url: str, idle_timeout_s: float = 60.0) -> None:
        self._url = ws_url
        self._idle_timeout_s = idle_timeout_s
        self._loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 0

    def run(self, coroutine: Any) -> Any:
        try:
            return self._loop.run_until_complete(coroutine)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._loop.run_until_complete(self._disconnect())
            raise SnapshotError(f"inspector: {type(exc).__name__}: {exc}".rstrip(": ")) from None

    async def command(self, method: str, params: dict[str, Any] | None = None, on: Handler | None = None) -> Any:
        """Send one command; notifications before its answer go to `on` (or are dropped)."""
        ws = await self._connect()
        self._next_id += 1
        await ws.send_str(json.dumps({"id": self._next_id, "method": method, "params": params or {}}))
        while True:
            message = await ws.receive(timeout=self._idle_timeout_s)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise SnapshotError(f"inspector connection ended during {method} ({message.type.name})")
            data: dict[str, Any] = json.loads(message.data)
            if data.get("id") == self._next_id:
                if "error" in data:
                    raise SnapshotError(f"{method}: {data['error'].get('message', data['error'])}")
                return data.get("result", {})
            if on is not None and "method" in data:
                on(data)

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None or self._ws.closed:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            self._ws = await self._session.ws_connect(self._url, max_msg_size=0)
        return self._ws

    async def _disconnect(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def close(self) -> None:
        if self._loop.is_running():
            return  # its thread is still inside a command; the process exit closes the socket
        self._loop.run_until_complete(self._disconnect())
        self._loop.close()


def take_snapshot(session: InspectorSession, path: Path) -> Taken:
    """Force a GC, then stream a snapshot to path; the script URLs go beside it."""
    return session.run(_take(session, path))  # type: ignore[no-any-return]


async def _take(session: InspectorSession, path: Path) -> Taken:
    started = time.monotonic()
    await session.command("HeapProfiler.collectGarbage")
    gc_s = time.monotonic() - started
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:

        def on_event(event: dict[str, Any]) -> None:
            if event["method"] == "HeapProfiler.addHeapSnapshotChunk":
                handle.write(event["params"]["chunk"])

        snapshot_started = time.monotonic()
        await session.command("HeapProfiler.takeHeapSnapshot", {"reportProgress": True}, on_event)
        pause_s = time.monotonic() - snapshot_started
    os.replace(partial, path)
    scripts = await _script_urls(session)
    path.with_name(path.name.removesuffix(SNAPSHOT_SUFFIX) + SCRIPTS_SUFFIX).write_text(
        json.dumps(scripts), encoding="utf-8"
    )
    return Taken(path, path.stat().st_size, gc_s, pause_s, started)


async def _script_urls(session: InspectorSession) -> dict[str, str]:
    """Script id -> URL, so a closure's location names its file: Debugger.enable reports every
    loaded script; it is switched off again at once."""
    urls: dict[str, str] = {}

    def on_event(event: dict[str, Any]) -> None:
        if event["method"] == "Debugger.scriptParsed":
            params = event["params"]
            if params.get("url"):
                urls[str(params["scriptId"])] = str(params["url"])

    await session.command("Debugger.enable", on=on_event)
    await session.command("Debugger.disable", on=on_event)
    return urls
