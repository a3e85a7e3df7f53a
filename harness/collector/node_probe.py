"""Node runtime probe over the inspector protocol (CDP): heap, handles, event-loop delay.

The target runs with --inspect=127.0.0.1:0; we evaluate one expression per sample, which also
installs perf_hooks.monitorEventLoopDelay on first use, and reset the histogram each time, so
the percentiles are per sample interval. A forced GC (HeapProfiler.collectGarbage) runs on its
own slow cadence, or never.

Cost, measured here (`make bench`): ~3 ms wall and ~0.5 ms of our CPU per sample, so at the
default 5 s cadence it is lost in the noise of the 1 Hz collector's ~0.6 % of a core. A forced
GC blocks the target's event loop for ~7-9 ms on a small heap (more on a big one): keep it
slow (default 60 s) and set `forced_gc_every = 0` in peak-latency runs.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import aiohttp

from harness.collector import metrics
from harness.collector.cdp import CdpSession, InspectorError
from harness.collector.store import Metric, Value

# The histogram records each timer period, resolution included; we subtract it to get the delay.
SNAPSHOT_JS = """(() => {
  const g = globalThis, RES_NS = 10e6;
  if (!g.__soakLoopDelay) {
    const ph = process.getBuiltinModule ? process.getBuiltinModule('perf_hooks') : require('perf_hooks');
    g.__soakLoopDelay = ph.monitorEventLoopDelay({ resolution: 10 });
    g.__soakLoopDelay.enable();
  }
  const h = g.__soakLoopDelay;
  const m = process.memoryUsage();
  const resources = {};
  for (const t of process.getActiveResourcesInfo()) resources[t] = (resources[t] || 0) + 1;
  const out = { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
    arrayBuffers: m.arrayBuffers, handles: process._getActiveHandles().length,
    requests: process._getActiveRequests().length, resources,
    delayCount: h.count, p50: h.percentile(50) - RES_NS, p99: h.percentile(99) - RES_NS, max: h.max - RES_NS };
  h.reset();
  return out;
})()"""

HEAP_USED_JS = "process.memoryUsage().heapUsed"
_NS = 1e-9


class NodeInspectorProbe:
    """Not thread-safe: one thread calls sample(); the session does its I/O on its own thread
    (so it sees the target start exiting and lets it go at once; see cdp.py)."""

    name = "node"

    def __init__(self, ws_url: str, gc_every_s: float = 0.0, timeout_s: float = 1.0) -> None:
        self._gc_every_s = gc_every_s
        self._timeout_s = timeout_s
        self._next_gc = time.monotonic() + gc_every_s
        self._session = CdpSession(ws_url)

    def sample(self) -> dict[Metric, Value]:
        try:
            return self._session.run(self._sample(), self._timeout_s)
        except (aiohttp.ClientError, OSError, TimeoutError, InspectorError):
            with contextlib.suppress(Exception):
                self._session.run(self._session.disconnect(), self._timeout_s)
            return {metrics.NODE_INSPECTOR_UP: 0.0}

    async def _sample(self) -> dict[Metric, Value]:
        snap = await self.evaluate(SNAPSHOT_JS)
        values = _snapshot_values(snap)
        if self._gc_every_s > 0 and time.monotonic() >= self._next_gc:
            self._next_gc = time.monotonic() + self._gc_every_s
            await self.command("HeapProfiler.collectGarbage")
            values[metrics.NODE_HEAP_AFTER_GC] = float(await self.evaluate(HEAP_USED_JS))
        return values

    async def evaluate(self, expression: str) -> Any:
        result = await self.command("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise InspectorError(str(result["exceptionDetails"].get("text", "exception")))
        return result["result"].get("value")

    async def command(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._session.command(method, params)

    def close(self) -> None:
        self._session.close()


ALWAYS_RECORDED_RESOURCES = ("Timeout", "Immediate", "TCPSocketWrap", "FSReqCallback")


def _snapshot_values(snap: dict[str, Any]) -> dict[Metric, Value]:
    values: dict[Metric, Value] = {
        metrics.NODE_INSPECTOR_UP: 1.0,
        metrics.NODE_HEAP_USED: float(snap["heapUsed"]),
        metrics.NODE_HEAP_TOTAL: float(snap["heapTotal"]),
        metrics.NODE_EXTERNAL: float(snap["external"]),
        metrics.NODE_ARRAY_BUFFERS: float(snap["arrayBuffers"]),
        metrics.NODE_ACTIVE_HANDLES: float(snap["handles"]),
        metrics.NODE_ACTIVE_REQUESTS: float(snap["requests"]),
    }
    # Kinds that leak must read 0 while absent, or a curve would start only once the leak does.
    resources = {kind: 0 for kind in ALWAYS_RECORDED_RESOURCES} | snap["resources"]
    for kind, count in resources.items():
        values[metrics.node_resource(str(kind))] = float(count)
    if snap["delayCount"] > 0:
        values[metrics.NODE_LOOP_DELAY_P50] = max(0.0, float(snap["p50"]) * _NS)
        values[metrics.NODE_LOOP_DELAY_P99] = max(0.0, float(snap["p99"]) * _NS)
        values[metrics.NODE_LOOP_DELAY_MAX] = max(0.0, float(snap["max"]) * _NS)
    return values
