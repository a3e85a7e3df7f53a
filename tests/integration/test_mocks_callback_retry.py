"""The cursor-runner mock's callback survives the keep-alive race: a target that closes the socket
without reading the request gets it again on a new connection, and nothing else is sent twice."""

from __future__ import annotations

import asyncio
import random

import aiohttp

from mocks.common.recorder import CorrelationLog
from mocks.config import CursorRunnerConfig
from mocks.cursor_runner.jobs import Jobs

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


async def _serve(closes_first: int) -> tuple[asyncio.Server, list[str]]:
    """A loopback server that hangs up on its first `closes_first` connections before reading
    anything (as Node does with a socket its keep-alive timer just expired), then answers 200."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(seen) < closes_first:
            seen.append("closed")
            writer.close()
            return
        await reader.readuntil(b"\r\n\r\n")
        seen.append("answered")
        writer.write(ANSWER)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), seen


async def _callback(closes_first: int) -> tuple[Jobs, list[str]]:
    server, seen = await _serve(closes_first)
    port = server.sockets[0].getsockname()[1]
    jobs = Jobs(CursorRunnerConfig(), CorrelationLog(None), asyncio.Semaphore(1), rng=random.Random(1))
    async with aiohttp.ClientSession() as client:
        jobs.client = client
        await jobs._post(f"http://127.0.0.1:{port}/cursor-runner/callback", {"requestId": "r-1"}, {})
    server.close()
    await server.wait_closed()
    return jobs, seen


def test_a_callback_hung_up_on_before_it_was_read_is_sent_again_once() -> None:
    jobs, seen = asyncio.run(_callback(closes_first=1))
    assert seen == ["closed", "answered"]
    assert (jobs.callbacks_sent, jobs.callbacks_failed) == (1, 0)


def test_a_target_that_keeps_hanging_up_fails_the_callback_after_one_more_try() -> None:
    jobs, seen = asyncio.run(_callback(closes_first=5))
    assert seen == ["closed", "closed"]
    assert (jobs.callbacks_sent, jobs.callbacks_failed) == (0, 1)
