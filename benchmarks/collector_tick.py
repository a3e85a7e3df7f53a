"""Cost of the collector against a Node target holding 10,000 open sockets (loopback only).

Prints: the cost of one inline tick (process + self probes + one SQLite transaction) against a
bare memory_info() call measured in the same run; the cost of each slow probe; and the CPU %
of a 1 Hz collector with every probe but the inspector, then with it, with tick lateness p99.
The machine is shared (2 cores, other engineers' runs): figures are noisy, read them as orders
of magnitude. The first fd census and slow-probe runs happen in a warm-up that is not measured.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from harness.collector.plan import Attachment, Collector
from harness.collector.procfs import fd_census
from harness.collector.store import SampleReader, SampleWriter
from harness.config import CollectorSection
from harness.mocks_launcher import start_mocks
from harness.redis_backend import start_redis
from harness.target import INSPECT_OPTION, inspector_url
from mocks.config import MocksConfig

HOLDER = Path(__file__).resolve().parents[1] / "tests" / "integration" / "node" / "holder.js"
SELF_CONNECTIONS = 5000  # both ends in the target: 10,000 sockets, plus its listener
ROUNDS = 5
WARMUP_S = 5.0
WINDOWS = 3
WINDOW_S = 10.0


def _median_ms(fn: Callable[[], object], count: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(count):
            fn()
        samples.append((time.perf_counter() - start) / count * 1e3)
    return statistics.median(samples)


@contextlib.contextmanager
def _world(tmp: Path) -> Iterator[Attachment]:
    """Redis, the mocks and a Node target holding the sockets; all stopped on exit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    redis = start_redis("auto", tmp, tmp / "redis.log")
    mocks = start_mocks(MocksConfig().model_dump_json(), tmp)
    target_tmp = tmp / "target-tmp"
    target_tmp.mkdir()
    config = {"bufferBytes": 0, "files": 10, "selfConnections": SELF_CONNECTIONS, "redisPort": redis.port,
              "redisConnections": 4, "timers": 10, "tmpFiles": [["telegram_1_a.ogg", 100]], "tmpOpen": False,
              "blockMs": 0, "lifetimeMs": 600_000}  # fmt: skip
    env = {**os.environ, "TMPDIR": str(target_tmp), "NODE_OPTIONS": INSPECT_OPTION}
    log = tmp / "target.log"
    with log.open("w") as stderr:
        node = subprocess.Popen(["node", str(HOLDER), json.dumps(config)], stdout=subprocess.PIPE, stderr=stderr,
                                text=True, env=env)  # fmt: skip
    try:
        assert node.stdout is not None
        port = int(json.loads(node.stdout.readline())["port"])
        yield Attachment(node.pid, str(target_tmp), mocks.urls, redis.url, frozenset({port}), inspector_url(log))
    finally:
        node.kill()
        node.wait()
        mocks.child.stop()
        redis.child.stop()


def _tick_costs(attachment: Attachment, tmp: Path) -> None:
    writer = SampleWriter(tmp / "ticks.db")
    collector = Collector(writer, attachment, CollectorSection(), 1.0, time.monotonic())
    collector.sampler.tick()  # primes CPU counters and takes the first fd census
    me = psutil.Process()
    baseline_ms = _median_ms(me.memory_info, 200)
    tick_ms = _median_ms(collector.sampler.tick, 10)
    census_ms = _median_ms(lambda: fd_census(attachment.target_pid), 2)
    print(f"target: {psutil.Process(attachment.target_pid).num_fds()} fds, {SELF_CONNECTIONS * 2} of them sockets")
    print(f"machine: {len(psutil.net_connections('tcp'))} TCP sockets in this network namespace (others' included)")
    print(f"inline tick (process + self probes + store), median: {tick_ms:8.2f} ms")
    print(
        f"  baseline memory_info(), median:                 {baseline_ms:8.3f} ms (tick = {tick_ms / baseline_ms:.0f}x)"
    )
    print(f"  fd census by kind (readlink per fd), median:    {census_ms:8.2f} ms (spaced to <= 0.3 % of a core)")
    target = psutil.Process(attachment.target_pid)
    psutil_ms = _median_ms(lambda: (target.net_connections("tcp"), target.open_files()), 1)
    print(f"  for scale, psutil net_connections()+open_files(): {psutil_ms:6.2f} ms")
    for slow in collector.sampler.slow:
        print(f"  slow probe {slow.name:6} median:                 {_median_ms(slow.probe.sample, 1):8.2f} ms")
    collector.stop()
    writer.close()


def _cpu_percent(attachment: Attachment, tmp: Path, inspector: bool) -> None:
    settings = CollectorSection.model_validate({"inspector": inspector, "forced_gc_every": 0})
    db = tmp / f"cpu-{inspector}.db"
    writer = SampleWriter(db)
    collector = Collector(writer, attachment, settings, 1.0, time.monotonic())
    collector.start()
    time.sleep(WARMUP_S)
    windows = []
    total_cpu, total_wall = 0.0, 0.0
    for _ in range(WINDOWS):
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(WINDOW_S)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        windows.append(cpu / wall * 100)
        total_cpu, total_wall = total_cpu + cpu, total_wall + wall
    collector.stop()
    writer.close()
    reader = SampleReader(db)
    lateness_ms = sorted(value * 1e3 for value in reader.lateness_s())
    p99 = lateness_ms[min(len(lateness_ms) - 1, int(0.99 * len(lateness_ms)))]
    label = "with inspector   " if inspector else "without inspector"
    target = "2 %" if inspector else "1 %"
    print(f"1 Hz collector {label}: {statistics.median(windows):5.2f} % of one core (median of {WINDOWS} x "
          f"{WINDOW_S:.0f} s; mean {total_cpu / total_wall * 100:.2f} %; target <= {target}); "
          f"lateness p99 {p99:.1f} ms over {len(lateness_ms)} ticks (target <= 50 ms)")  # fmt: skip


def main() -> None:
    print("collector cost (shared 2-core machine: noisy figures)")
    with tempfile.TemporaryDirectory() as tmp_name, _world(Path(tmp_name)) as attachment:
        tmp = Path(tmp_name)
        _tick_costs(attachment, tmp)
        _cpu_percent(attachment, tmp, inspector=False)
        _cpu_percent(attachment, tmp, inspector=True)


if __name__ == "__main__":
    main()
