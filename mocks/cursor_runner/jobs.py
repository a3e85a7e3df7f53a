"""cursor-runner's job side: a few run slots with a FIFO queue, and callbacks sent once, never retried.

Callbacks go out on a connection of their own each (see callback_client in app.py).
"""

from __future__ import annotations

import asyncio
import errno
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import aiohttp

from mocks.common.faults import draw_latency_s
from mocks.common.recorder import CorrelationLog
from mocks.config import CursorRunnerConfig, LatencySpec
from mocks.cursor_runner import payloads
from vocab.upstreams import Upstream


@dataclass
class Jobs:
    """Run slots, queue gauges and callback counters of the cursor-runner mock."""

    config: CursorRunnerConfig
    correlation: CorrelationLog
    slots: asyncio.Semaphore
    client: aiohttp.ClientSession | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    rng: random.Random = field(default_factory=random.Random)
    running: int = 0
    waiting: int = 0
    callbacks_sent: int = 0
    callbacks_failed: int = 0
    callbacks_dropped: int = 0

    def latency_s(self) -> float:
        spec = self.config.latency_distribution or LatencySpec(fixed=self.config.latency_s)
        return draw_latency_s(spec, self.rng)

    async def run(self) -> float:
        """Wait for a slot (FIFO: asyncio wakes semaphore waiters in order), run, return duration."""
        self.waiting += 1
        async with self.slots:
            self.waiting -= 1
            self.running += 1
            try:
                latency_s = self.latency_s()
                await asyncio.sleep(latency_s)
            finally:
                self.running -= 1
        return latency_s

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def queue_snapshot(self) -> dict[str, Any]:
        available = self.config.max_concurrent - self.running
        return {"available": available, "waiting": self.waiting, "maxConcurrent": self.config.max_concurrent}

    def stats(self) -> dict[str, Any]:
        return {
            "queue": self.queue_snapshot(),
            "callbacks_sent": self.callbacks_sent,
            "callbacks_failed": self.callbacks_failed,
            "callbacks_dropped": self.callbacks_dropped,
            "callbacks_pending": len(self.tasks),
        }

    async def callback(self, job: dict[str, Any], body: dict[str, Any]) -> None:
        """Send the result once, with the configured callback faults drawn; never retry."""
        target = self._target(job)
        if target is None or self.client is None:
            return
        url, secret = target
        faults = self.config.callback_faults
        if self.rng.random() < faults.drop:
            self.callbacks_dropped += 1
            return
        body = self._faulted_body(body)
        headers = self._headers(secret)
        copies = 2 if self.rng.random() < faults.duplicate else 1
        for _ in range(copies):
            await self._post(url, body, headers)

    def _faulted_body(self, body: dict[str, Any]) -> dict[str, Any]:
        faults = self.config.callback_faults
        if self.rng.random() < faults.failure:
            body = payloads.failed(body)
        if self.rng.random() < faults.unknown_id:
            body = {**body, "requestId": f"telegram-0-{self.rng.getrandbits(32):08x}"}
        if self.rng.random() < faults.huge_output:
            body = {**body, "output": "x" * payloads.HUGE_OUTPUT_CHARS}
        return body

    def _headers(self, secret: str) -> dict[str, str]:
        faults = self.config.callback_faults
        headers = {"User-Agent": "cursor-runner/1.0"}
        if self.rng.random() < faults.missing_secret:
            return headers
        if self.rng.random() < faults.bad_secret:
            secret = "wrong-" + (secret or "secret")
        if secret:
            headers["X-Webhook-Secret"] = secret
            headers["X-Cursor-Runner-Secret"] = secret
        return headers

    async def _post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        assert self.client is not None
        started_s = time.monotonic()
        status, error = await self._send(url, body, headers)
        if 200 <= status < 300:
            self.callbacks_sent += 1
        else:
            self.callbacks_failed += 1
        # Shaped like the records of inbound calls (t at the answer, ms the round trip), so a
        # callback is placed in time and its delivery latency judged like any call.
        record: dict[str, Any] = {
            "t": round(time.time(), 3),
            "up": Upstream.CURSOR_RUNNER,
            "route": "callback_out",
            "status": status,
            "ms": round((time.monotonic() - started_s) * 1000.0, 2),
            "request_id": body.get("requestId"),
        }
        if error is not None:
            record["error"] = error
        self.correlation.add(record)

    async def _send(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str | None]:
        """The answer's status, or 0 and the exception's name when none came."""
        try:
            assert self.client is not None
            async with self.client.post(url, json=body, headers=headers) as response:
                await response.read()
                return response.status, None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            reset = isinstance(exc, OSError | aiohttp.ClientOSError) and exc.errno in (errno.ECONNRESET, errno.EPIPE)
            return 0, "ConnectionReset" if reset else type(exc).__name__

    def _target(self, job: dict[str, Any]) -> tuple[str, str] | None:
        """The callback URL without its secret query parameter, and the secret to send."""
        url = job.get("callbackUrl") or job.get("callback_url") or self.config.callback_url
        if not url:
            return None
        parts = urlsplit(str(url))
        query = parse_qs(parts.query)
        secret = (query.pop("secret", [""])[0]) or self.config.callback_secret
        clean = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
        return clean, secret
