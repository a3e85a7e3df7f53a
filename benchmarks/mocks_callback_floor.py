"""Memory a cursor-runner callback leaves in the mocks, answered or timed out: the same number of
jobs every cycle (sync+callback, each callback on a connection of its own) to a receiver that
answers at once or never (the mock gives up after 30 s), and the lowest RSS of each cycle.

    python -m benchmarks.mocks_callback_floor --duration-s 600
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from benchmarks.mocks_memory import rss_bytes
from mocks.config import CursorRunnerConfig, MocksConfig

MIB = 2**20
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"


def _receiver(answers: bool) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if answers:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(ANSWER)
            await writer.drain()
        else:
            await reader.read()  # until the mock gives up (30 s) and closes the connection
        writer.close()

    return handle


async def _cycles(
    pid: int, url: str, callback_url: str, *, duration_s: float, cycle_s: float, jobs: int
) -> list[float]:
    floors: list[float] = []
    started, sent = time.monotonic(), 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

        async def job(index: int) -> None:
            body = {"id": f"job-{index}", "prompt": "p", "callbackUrl": callback_url}
            async with session.post(f"{url}/cursor/iterate", json=body) as response:
                await response.read()

        while time.monotonic() - started + cycle_s <= duration_s:
            cycle_started = time.monotonic()
            await asyncio.gather(*(job(sent + index) for index in range(jobs)))
            sent += jobs
            lowest = float("inf")
            while time.monotonic() - cycle_started < cycle_s:
                await asyncio.sleep(1.0)
                lowest = min(lowest, rss_bytes(pid) / MIB)
            floors.append(lowest)
    return floors


async def measure(answers: bool, duration_s: float, cycle_s: float, jobs: int) -> tuple[list[float], dict[str, int]]:
    """Each cycle's lowest RSS (MiB) and the mock's callback counters at the end."""
    work = Path(tempfile.mkdtemp(prefix="soak-bench-callbacks-"))
    cursor_runner = CursorRunnerConfig(mode="sync+callback", latency="20 ms", callback_delay="20 ms", max_concurrent=64)
    config = MocksConfig(cursor_runner=cursor_runner, correlation_file=str(work / "calls.jsonl"))
    (work / "mocks.json").write_text(config.model_dump_json())
    ready = work / "ready.json"
    argv = [sys.executable, "-m", "mocks", "--config", str(work / "mocks.json"), "--ready-file", str(ready)]
    mocks = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    receiver = await asyncio.start_server(_receiver(answers), "127.0.0.1", 0, backlog=4096)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        url = json.loads(ready.read_text())["cursor_runner"]
        callback_url = f"http://127.0.0.1:{receiver.sockets[0].getsockname()[1]}/cursor-runner/callback"
        floors = await _cycles(mocks.pid, url, callback_url, duration_s=duration_s, cycle_s=cycle_s, jobs=jobs)
        async with aiohttp.ClientSession() as session, session.get(f"{url}/__mock__/callbacks") as response:
            stats = await response.json()
    finally:
        receiver.close()
        mocks.terminate()
        mocks.wait(timeout=30)
    return floors, {key: int(stats[key]) for key in ("callbacks_sent", "callbacks_failed")}


def main(duration_s: float = 600.0, cycle_s: float = 45.0, jobs: int = 500) -> None:
    print(f"mocks' RSS floor after {jobs} cursor-runner callbacks every {cycle_s:g} s, {duration_s:.0f} s each")
    for answers in (True, False):
        floors, counts = asyncio.run(measure(answers, duration_s, cycle_s, jobs))
        label = "answered at once" if answers else "never answered (timed out)"
        print(f"  {label:28} sent {counts['callbacks_sent']:,}, failed {counts['callbacks_failed']:,}; "
              f"floors {' '.join(f'{floor:.1f}' for floor in floors)} MiB")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument("--cycle-s", type=float, default=45.0)
    parser.add_argument("--jobs", type=int, default=500)
    arguments = parser.parse_args()
    main(arguments.duration_s, arguments.cycle_s, arguments.jobs)
