"""The cursor-runner mock's callback survives the keep-alive race: a target that closes the socket
without reading the request gets it again on a new connection, and nothing else is sent twice;
when the target closed every idle socket at once (its keep-alive timers run late after its event
loop stalled), the resend does not pick another of them."""

from __future__ import annotations

import asyncio
import random
import socket
import struct

import aiohttp
import pytest

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


def _fresh() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))


async def _callback(closes_first: int) -> tuple[Jobs, list[str]]:
    server, seen = await _serve(closes_first)
    port = server.sockets[0].getsockname()[1]
    jobs = Jobs(CursorRunnerConfig(), CorrelationLog(None), asyncio.Semaphore(1), rng=random.Random(1))
    async with aiohttp.ClientSession() as client, _fresh() as fresh:
        jobs.client, jobs.fresh_client = client, fresh
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


KEPT = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n\r\n{}"


async def _swept_pool(reset: bool) -> tuple[Jobs, list[str]]:
    """Three callbacks at once open three kept-alive sockets; the target then hangs up on each
    one as the next request arrives on it, unread (a sweep of late keep-alive timers): closed, or
    reset (Node destroys a socket with the request still in it)."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(len(b'{"requestId": "r-0"}'))
        seen.append("answered")
        writer.write(KEPT)
        await writer.drain()
        if await reader.read(1):
            seen.append("closed")
        if reset:
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/cursor-runner/callback"
    jobs = Jobs(CursorRunnerConfig(), CorrelationLog(None), asyncio.Semaphore(1), rng=random.Random(1))
    async with aiohttp.ClientSession() as client, _fresh() as fresh:
        jobs.client, jobs.fresh_client = client, fresh
        await asyncio.gather(*(jobs._post(url, {"requestId": f"r-{n}"}, {}) for n in range(3)))
        await jobs._post(url, {"requestId": "r-3"}, {})
    server.close()
    await server.wait_closed()
    return jobs, seen


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_callback_sent_into_a_swept_pool_is_sent_again_on_a_new_connection(reset: bool) -> None:
    jobs, seen = asyncio.run(_swept_pool(reset))
    assert seen == ["answered"] * 3 + ["closed", "answered"], seen
    assert (jobs.callbacks_sent, jobs.callbacks_failed) == (4, 0)
