"""The mocks' fault table (the seam tests and /__mock__/faults switch) and how each fault acts.

Latency faults add delay and let the request go on; every other kind answers in its own way.
"""

from __future__ import annotations

import asyncio
import math
import random
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mocks.config import FaultSpec, LatencySpec

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Builds an upstream's own error payload: (status, description, retry_after_s or None) -> JSON.
ErrorShape = Callable[[int, str, int | None], dict[str, Any]]
HANG_POLL_S = 0.25


def draw_latency_s(spec: LatencySpec, rng: random.Random) -> float:
    if spec.kind == "fixed":
        value = spec.fixed_s
    elif spec.kind == "uniform":
        value = rng.uniform(spec.low_s, spec.high_s)
    else:
        value = spec.median_s * math.exp(rng.gauss(0.0, spec.sigma)) if spec.median_s > 0 else 0.0
    return min(value, spec.cap_s) if spec.cap_s is not None else value


def in_window(spec: FaultSpec, elapsed_s: float) -> bool:
    after_start = spec.start_s is None or elapsed_s >= spec.start_s
    before_end = spec.end_s is None or elapsed_s < spec.end_s
    return after_start and before_end


@dataclass
class FaultTable:
    """Profile faults (fixed for the run) plus run-time faults (replaced through the admin route)."""

    profile: tuple[FaultSpec, ...] = ()
    runtime: tuple[FaultSpec, ...] = ()
    t0_monotonic: float = field(default_factory=time.monotonic)
    rng: random.Random = field(default_factory=random.Random)

    @property
    def empty(self) -> bool:
        return not self.profile and not self.runtime

    def active(self, route: str) -> list[FaultSpec]:
        """Faults that hit this request: matching route, inside their window, and drawn by rate."""
        elapsed_s = time.monotonic() - self.t0_monotonic
        hits = []
        for spec in (*self.runtime, *self.profile):
            if spec.route not in ("*", route) or not in_window(spec, elapsed_s):
                continue
            if spec.rate >= 1.0 or self.rng.random() < spec.rate:
                hits.append(spec)
        return hits


async def apply_faults(
    request: web.Request, handler: Handler, hits: list[FaultSpec], table: FaultTable, shape: ErrorShape
) -> web.StreamResponse:
    for spec in hits:
        if spec.kind == "latency":
            await asyncio.sleep(draw_latency_s(spec.latency, table.rng))
    terminal = next((spec for spec in hits if spec.kind != "latency"), None)
    if terminal is None:
        return await handler(request)
    return await _answer(request, handler, terminal, shape)


async def _answer(request: web.Request, handler: Handler, spec: FaultSpec, shape: ErrorShape) -> web.StreamResponse:
    if spec.kind in ("error", "rate_limit"):
        return _error(spec, shape)
    if spec.kind == "hang":
        return await _hang(request)
    if spec.kind == "reset":
        return _reset(request)
    real = await handler(request)
    return _malformed(real) if spec.kind == "malformed" else await _dribble(request, real, spec.dribble_bytes_per_s)


def _error(spec: FaultSpec, shape: ErrorShape) -> web.Response:
    if spec.kind == "rate_limit":
        payload = shape(429, f"Too Many Requests: retry after {spec.retry_after_s}", spec.retry_after_s)
        response = web.json_response(payload, status=429)
        response.headers["Retry-After"] = str(spec.retry_after_s)
        return response
    if spec.body is not None:
        return web.Response(status=spec.status, text=spec.body, content_type="application/json")
    return web.json_response(shape(spec.status, "Internal Server Error", None), status=spec.status)


async def _hang(request: web.Request) -> web.StreamResponse:
    """Never answer; give up only when the client has gone, so no task outlives its connection."""
    while request.transport is not None and not request.transport.is_closing():
        await asyncio.sleep(HANG_POLL_S)
    return web.Response(status=499)


def _reset(request: web.Request) -> web.StreamResponse:
    """Send a TCP RST (linger 0, then abort) instead of an answer."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=499)


def _body_of(response: web.StreamResponse) -> bytes:
    body = response.body if isinstance(response, web.Response) else None
    return body if isinstance(body, bytes) else b""


def _malformed(real: web.StreamResponse) -> web.Response:
    """The real status and content type, with a body cut in half (JSON that does not parse)."""
    body = _body_of(real)
    content_type = real.content_type or "application/json"
    return web.Response(status=real.status, body=body[: max(1, len(body) // 2)], content_type=content_type)


async def _dribble(request: web.Request, real: web.StreamResponse, bytes_per_s: float) -> web.StreamResponse:
    """The real answer, its body sent a few bytes at a time at bytes_per_s."""
    body = _body_of(real)
    response = web.StreamResponse(status=real.status, headers={"Content-Type": real.content_type})
    response.content_length = len(body)
    await response.prepare(request)
    chunk_bytes = max(1, int(bytes_per_s / 10))
    for start in range(0, len(body), chunk_bytes):
        await response.write(body[start : start + chunk_bytes])
        await asyncio.sleep(chunk_bytes / bytes_per_s)
    await response.write_eof()
    return response
