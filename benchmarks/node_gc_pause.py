"""The pause a forced GC costs the target, and whether the external memory it reads is exact.

A Node process keeps ~30 MiB of JS objects, keeps a 20 KiB Buffer every 5 ms and drops 320 KiB
of Buffers and some objects every 5 ms. For each way of collecting, over several rounds:
the median wall time of the call (the target's event loop is blocked for about that long), and
the spread of (external memory read - Buffers kept), which is 0 when no garbage is counted.
Figures are medians on a shared 2-core machine: read them as orders of magnitude.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from benchmarks.inspected import inspected_node
from harness.collector.node_probe import AFTER_GC_JS, NodeInspectorProbe

ROUNDS = 12
KEPT_BYTES = 21_034
TARGET_JS = """
globalThis.objects = Array.from({ length: 200000 }, (_, i) => ({ a: i, b: 'x' + i, c: [i] }));
globalThis.kept = [];
setInterval(() => {
  for (let i = 0; i < 200; i++) ({ a: i, s: 'y'.repeat(100), arr: new Array(20).fill(i) });
  for (let i = 0; i < 5; i++) Buffer.alloc(64 * 1024);
  globalThis.kept.push(Buffer.alloc(21034));
}, 5);
"""
READ_JS = "(() => { const m = process.memoryUsage(); return [m.heapUsed, m.external, m.arrayBuffers]; })()"
KEPT_JS = "globalThis.kept.length"
TWO_GCS_JS = AFTER_GC_JS.replace(
    "v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');\n"
    "  try { g.__soakGc(); } finally { v8.setFlagsFromString('--concurrent-array-buffer-sweeping'); }",
    "g.__soakGc(); g.__soakGc();",
)
ONE_GC_JS = TWO_GCS_JS.replace("g.__soakGc(); g.__soakGc();", "g.__soakGc();")


async def _cdp_collect_then_read(probe: NodeInspectorProbe) -> list[float]:
    await probe.command("HeapProfiler.collectGarbage")
    return list(await probe.evaluate(READ_JS))


WAYS = {
    "one gc(), ArrayBuffers swept inside it (soak)": lambda probe: probe.evaluate(AFTER_GC_JS),
    "two gc() in one evaluate": lambda probe: probe.evaluate(TWO_GCS_JS),
    "one gc() alone": lambda probe: probe.evaluate(ONE_GC_JS),
    "HeapProfiler.collectGarbage, then a read": _cdp_collect_then_read,
}


async def _measure(probe: NodeInspectorProbe) -> dict[str, tuple[float, float]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in WAYS}
    await probe.evaluate(AFTER_GC_JS)  # installs gc() and warms up
    for _ in range(ROUNDS):
        for name, way in WAYS.items():
            started = time.perf_counter()
            _, external, _ = await way(probe)
            pause_s = time.perf_counter() - started
            kept = await probe.evaluate(KEPT_JS)
            samples[name].append((pause_s, float(external) - kept * KEPT_BYTES))
            await asyncio.sleep(0.2)
    results = {}
    for name, rows in samples.items():
        extra = [extra for _, extra in rows]
        results[name] = (statistics.median(pause for pause, _ in rows), max(extra) - min(extra))
    return results


def main() -> None:
    with inspected_node(TARGET_JS) as probe:
        results = probe.run(_measure(probe))
    print(f"forced GC on a ~30 MiB heap, {ROUNDS} rounds (median pause; spread of external memory minus kept)")
    for name, (pause_s, spread) in results.items():
        print(f"  {name:48} pause {pause_s * 1000:7.1f} ms   garbage counted varies by {spread / 2**20:6.2f} MiB")


if __name__ == "__main__":
    main()
