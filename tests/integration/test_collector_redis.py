"""The Redis probe on both backends: real figures from redis-server, and on fakeredis what it
cannot tell is recorded as missing (with a reason), never as zero. The target's clients are its
sockets, so they are counted on either (tests/integration/test_redis_target_clients.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis as redis_client

from harness.collector import metrics
from harness.collector.redis_probe import RedisProbe
from harness.collector.store import Missing, SampleReader, SampleWriter
from harness.redis_backend import RedisHandle, start_redis

PREFIXES = ("cursor_runner_callback:", "session:")


def _fill(handle: RedisHandle, callbacks: int, sessions: int) -> None:
    client = redis_client.Redis(port=handle.port)
    for i in range(callbacks):
        client.set(f"cursor_runner_callback:{i}", "x", ex=3600)
    for i in range(sessions):
        client.set(f"session:{i}", "y")
    client.close()


def test_fakeredis_records_what_it_can_and_marks_the_rest_missing(tmp_path: Path) -> None:
    handle = start_redis("fakeredis", tmp_path, tmp_path / "redis.log")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(handle.port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        _fill(handle, 30, 5)
        holder.stdin.write("4\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "4"
        probe = RedisProbe(handle.url, PREFIXES, holder.pid, budget_s=0.5)
        values = probe.sample()
        probe.close()
    finally:
        holder.kill()
        holder.wait()
        handle.child.stop()
    assert values[metrics.REDIS_DBSIZE] == 35
    assert values[metrics.redis_keys_of("cursor_runner_callback:")] == 30
    assert values[metrics.redis_keys_of("session:")] == 5
    assert values[metrics.REDIS_TARGET_CLIENTS] == 4
    for metric in (metrics.REDIS_CLIENTS, metrics.REDIS_USED_MEMORY):
        assert isinstance(values[metric], Missing), metric
    writer = SampleWriter(tmp_path / "s.db")
    writer.write_tick(1.0, 0.0, values)
    writer.close()
    reader = SampleReader(tmp_path / "s.db")
    assert reader.series(metrics.REDIS_CLIENTS.name).values.size == 0  # type: ignore[union-attr]
    assert "INFO" in reader.unavailable()[metrics.REDIS_USED_MEMORY.name]
    assert reader.series(metrics.REDIS_DBSIZE.name).values.tolist() == [35.0]  # type: ignore[union-attr]


def test_scan_resumes_across_samples_within_its_budget(tmp_path: Path) -> None:
    handle = start_redis("redis-server", tmp_path, tmp_path / "redis.log")
    try:
        _fill(handle, 4000, 10)
        # A budget too small for more than one batch: the pass spans several samples and
        # publishes only when complete, so no partial count is ever recorded.
        probe = RedisProbe(handle.url, PREFIXES, os.getpid(), budget_s=1e-6)
        samples = [probe.sample() for _ in range(20)]
        probe.close()
    finally:
        handle.child.stop()
    key = metrics.redis_keys_of("cursor_runner_callback:")
    published = [sample[key] for sample in samples if key in sample]
    assert samples[0].get(key) is None
    assert published and set(published) == {4000.0}
    assert all(sample[metrics.REDIS_TARGET_CLIENTS] == 0 for sample in samples)
    assert all(sample[metrics.REDIS_CLIENTS] == 1 for sample in samples)


# A child that holds N connections to Redis and grows them on request: the target's clients
# must read what it holds at each sample, not what an older TCP sample saw.
_HOLDER = """
import sys, redis
port = int(sys.argv[1])
held = []
for line in sys.stdin:
    for _ in range(int(line)):
        client = redis.Redis(port=port)
        client.ping()
        held.append(client)
    print(len(held), flush=True)
"""


def test_target_clients_are_counted_at_each_sample_from_the_sockets_held_now(tmp_path: Path) -> None:
    handle = start_redis("redis-server", tmp_path, tmp_path / "redis.log")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(handle.port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    other = redis_client.Redis(port=handle.port)
    other.ping()  # a client of someone else's: never the target's
    assert holder.stdin is not None and holder.stdout is not None
    probe = RedisProbe(handle.url, PREFIXES, holder.pid, budget_s=0.5)
    seen = []
    try:
        for batch in (3, 40, 200):
            holder.stdin.write(f"{batch}\n")
            holder.stdin.flush()
            held = int(holder.stdout.readline())
            values = probe.sample()
            seen.append((held, values[metrics.REDIS_TARGET_CLIENTS], values[metrics.REDIS_CLIENTS]))
    finally:
        probe.close()
        other.close()
        holder.kill()
        holder.wait()
        handle.child.stop()
    assert [target for _, target, _ in seen] == [3.0, 43.0, 243.0], seen
    # The server's count has the probe's own connection and the other client besides.
    assert [total for _, _, total in seen] == [5.0, 45.0, 245.0], seen
