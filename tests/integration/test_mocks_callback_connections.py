"""The cursor-runner mock sends each callback on a connection of its own: the service's inbound
sockets do not follow soak's own callback bursts, no callback goes out on a socket the service's
keep-alive timer is closing, and a target that hangs up on one fails it once, sent once."""

from __future__ import annotations

import asyncio
import random

from mocks.common.recorder import CorrelationLog
from mocks.config import CursorRunnerConfig
from mocks.cursor_runner.app import callback_client
from mocks.cursor_runner.jobs import Jobs

KEPT = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n\r\n{}"
BODY_BYTES = len(b'{"requestId": "r-0"}')


class Target:
    """A loopback server that answers each request on a connection kept alive (as Node does), or,
    with hang_up, closes every connection before reading anything; it counts what it saw."""

    def __init__(self, *, hang_up: bool = False) -> None:
        self.hang_up = hang_up
        self.connections = 0
        self.requests_per_connection: list[int] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while not self.hang_up:
                await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(BODY_BYTES)
                served += 1
                writer.write(KEPT)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection after its answer
        finally:
            self.requests_per_connection.append(served)
            writer.close()


async def _callbacks(target: Target, bursts: tuple[int, ...]) -> tuple[Jobs, list[dict[str, object]]]:
    server = await asyncio.start_server(target.handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/cursor-runner/callback"
    records = CorrelationLog(None)
    added: list[dict[str, object]] = []
    records.add = added.append  # type: ignore[method-assign]
    jobs = Jobs(CursorRunnerConfig(), records, asyncio.Semaphore(1), rng=random.Random(1))
    async with callback_client() as client:
        jobs.client = client
        sent = 0
        for size in bursts:
            await asyncio.gather(*(jobs._post(url, {"requestId": f"r-{(sent + n) % 10}"}, {}) for n in range(size)))
            sent += size
    await asyncio.sleep(0.1)  # the target's side sees each close
    server.close()
    await server.wait_closed()
    return jobs, added


def test_each_callback_goes_on_a_connection_of_its_own() -> None:
    target = Target()
    jobs, records = asyncio.run(_callbacks(target, bursts=(3, 1, 1)))
    assert (jobs.callbacks_sent, jobs.callbacks_failed) == (5, 0)
    assert target.connections == 5 and target.requests_per_connection == [1] * 5
    assert [r["status"] for r in records] == [200] * 5 and all("error" not in r for r in records)


def test_a_target_that_hangs_up_fails_the_callback_once_and_says_why() -> None:
    target = Target(hang_up=True)
    jobs, records = asyncio.run(_callbacks(target, bursts=(1,)))
    assert (jobs.callbacks_sent, jobs.callbacks_failed) == (0, 1)
    assert target.connections == 1  # never sent again: the contract's cursor-runner does not retry
    assert records[0]["status"] == 0 and records[0]["error"] in {"ServerDisconnectedError", "ConnectionReset"}
