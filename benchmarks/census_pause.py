"""The pause a listener census costs the target: every class walked back to back (as before)
against one class per probe sample (soak's ListenerCensus), with a forced gc() of the same heap
for scale.

The target holds ~30 MiB of objects, 300 EventEmitters with listeners and two ioredis clients
(lazyConnect: ioredis mixes EventEmitter's methods into its Redis and Cluster classes, so each is a
heap walk of its own) and allocates garbage every 5 ms. Medians of several rounds, taken in turn
on one target; read them as orders of magnitude on a shared machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from benchmarks.inspected import inspected_node
from harness.collector.node_census import ListenerCensus
from harness.collector.node_probe import AFTER_GC_JS, NodeInspectorProbe

ROUNDS = 7
BOT = Path(__file__).resolve().parents[1] / "examples" / "reference-bot"
TARGET_JS = """
const { EventEmitter } = require('events');
const Redis = require(require.resolve('ioredis', { paths: [process.cwd()] }));
globalThis.clients = [new Redis({ lazyConnect: true }), new Redis({ lazyConnect: true })];
globalThis.objects = Array.from({ length: 200000 }, (_, i) => ({ a: i, b: 'x' + i, c: [i] }));
const listened = () => { const e = new EventEmitter(); e.on('x', () => 1); return e; };
globalThis.emitters = Array.from({ length: 300 }, listened);
setInterval(() => { for (let i = 0; i < 200; i++) ({ a: i, s: 'y'.repeat(100), arr: new Array(20).fill(i) }); }, 5);
"""


def _timed(probe: NodeInspectorProbe, work: Coroutine[Any, Any, Any]) -> float:
    started = time.perf_counter()
    probe.run(work, 60.0)
    return time.perf_counter() - started


def _measure(probe: NodeInspectorProbe) -> dict[str, float]:
    census = ListenerCensus()
    samples: dict[str, list[float]] = {name: [] for name in (BEFORE, LONGEST, ALL_STEPS, GC)}
    for _ in range(ROUNDS):
        samples[BEFORE].append(_timed(probe, census.count(probe.command)))
        time.sleep(0.3)
        steps = [_timed(probe, census.step(probe.command))]
        while census.in_progress:
            time.sleep(0.3)  # the probe's next sample: the target runs in between
            steps.append(_timed(probe, census.step(probe.command)))
        samples[LONGEST].append(max(steps))
        samples[ALL_STEPS].append(sum(steps))
        time.sleep(0.3)
        samples[GC].append(_timed(probe, probe.evaluate(AFTER_GC_JS)))
    print(f"  classes walked per census: {len(steps)} (EventEmitter and the mixed-in ones)")
    return {name: statistics.median(found) for name, found in samples.items()}


BEFORE = "every class back to back (soak): the pause"
LONGEST = "one class per probe sample (tried): longest pause"
ALL_STEPS = "one class per probe sample (tried): all pauses"
GC = "a forced gc() of the same heap"


def main() -> None:
    print(f"listener census pause on a ~30 MiB heap with ioredis loaded, {ROUNDS} rounds (median wall time)")
    with inspected_node(TARGET_JS, cwd=BOT) as probe:
        results = _measure(probe)
    before = results[BEFORE]
    for name, pause_s in results.items():
        print(f"  {name:52} pause {pause_s * 1000:7.1f} ms   {pause_s / before:5.2f} x before")


if __name__ == "__main__":
    main()
