"""Redis and the mocks with a cursor-runner answering at once: what the integration tests that
drive the reference bot directly (no soak run) stand it up against."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.mocks_launcher import MocksHandle, start_mocks
from harness.redis_backend import RedisHandle, start_redis
from mocks.config import CursorRunnerConfig, MocksConfig


@dataclass
class Upstreams:
    mocks: MocksHandle
    redis: RedisHandle
    work_dir: Path


def started_upstreams(work_dir: Path) -> Iterator[Upstreams]:
    """For a module fixture to yield from: both stopped when the module is done."""
    redis_handle = start_redis("redis-server", work_dir, work_dir / "redis.log")
    config = MocksConfig(cursor_runner=CursorRunnerConfig(mode="sync", latency=0.0))
    mocks = start_mocks(config.model_dump_json(), work_dir)
    yield Upstreams(mocks=mocks, redis=redis_handle, work_dir=work_dir)
    mocks.child.stop()
    redis_handle.child.stop()
