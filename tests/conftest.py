"""Fixtures that start real parts on loopback: the mocks process and a private Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.mocks_launcher import MocksHandle, start_mocks
from harness.redis_backend import RedisHandle, start_redis
from mocks.config import MocksConfig

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def mocks(tmp_path: Path) -> Iterator[MocksHandle]:
    handle = start_mocks(MocksConfig().model_dump_json(), tmp_path)
    yield handle
    handle.child.stop()


@pytest.fixture(params=["redis-server", "fakeredis"])
def redis_handle(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisHandle]:
    import shutil

    if request.param == "redis-server" and shutil.which("redis-server") is None:
        pytest.skip("no redis-server on PATH (make setup installs it as root)")
    handle = start_redis(request.param, tmp_path, tmp_path / "redis.log")
    yield handle
    handle.child.stop()


def read_json(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


BOT_DIR = ROOT / "examples" / "reference-bot"


def shipped_profile_text(name: str) -> str:
    """A shipped profile's text for a copy in another directory: its target cwd, relative to the
    profiles folder, made absolute."""
    text = (ROOT / "profiles" / name).read_text()
    relative = 'cwd = "../examples/reference-bot"'
    assert relative in text, f"profiles/{name} no longer starts the reference bot from {relative}"
    return text.replace(relative, f'cwd = "{BOT_DIR}"')


def cpu_quota_group(name: str, share: float) -> Path | None:
    """A cgroup holding processes to share of one CPU (v1 or v2), where this machine lets us make one."""
    v2, v1 = Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/cpu")
    try:
        controllers = v2 / "cgroup.subtree_control"
        if controllers.exists() and "cpu" in controllers.read_text().split():
            group = v2 / name
            group.mkdir(exist_ok=True)
            (group / "cpu.max").write_text(f"{int(share * 100_000)} 100000")
            return group
        if (v1 / "cpu.cfs_quota_us").exists():
            group = v1 / name
            group.mkdir(exist_ok=True)
            (group / "cpu.cfs_period_us").write_text("100000")
            (group / "cpu.cfs_quota_us").write_text(str(int(share * 100_000)))
            return group
    except OSError:
        return None
    return None
