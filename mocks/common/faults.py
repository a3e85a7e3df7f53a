"""The mocks' fault table (the seam tests and /__mock__/faults switch) and how each fault acts.

Latency faults add delay and let the request go on; every other kind answers in its own way.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from mocks.config import FaultSpec, LatencySpec
from mocks.server.message import BodyWriter, Request, Response, json_response
from mocks.server.routing import Handler
from mocks.server.wire import NO_ANSWER

# Builds an upstream's own error payload: (status, description, retry_after_s or None) -> JSON.
ErrorShape = Callable[[int, str, int | None], dict[str, Any]]


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
    request: Request, handler: Handler, hits: list[FaultSpec], table: FaultTable, shape: ErrorShape
) -> Response:
    for spec in hits:
        if spec.kind == "latency":
            await asyncio.sleep(draw_latency_s(spec.latency, table.rng))
    terminal = next((spec for spec in hits if spec.kind != "latency"), None)
    if terminal is None:
        return await answer_of(handler, request)
    return await _answer(request, handler, terminal, shape)


async def answer_of(handler: Handler, request: Request) -> Response:
    """The handler's response, whether it answered at once or returned an awaitable."""
    result = handler(request)
    return result if isinstance(result, Response) else await result


async def _answer(request: Request, handler: Handler, spec: FaultSpec, shape: ErrorShape) -> Response:
    if spec.kind in ("error", "rate_limit"):
        return _error(spec, shape)
    if spec.kind == "hang":
        # Never answer; the request ends when the client gives up, so no task outlives it.
        await request.connection.disconnected()
        return Response(status=NO_ANSWER)
    if spec.kind == "reset":
        return Response(status=NO_ANSWER, reset=True)
    real = await answer_of(handler, request)
    return _malformed(real) if spec.kind == "malformed" else _dribble(real, spec.dribble_bytes_per_s)


def _error(spec: FaultSpec, shape: ErrorShape) -> Response:
    if spec.kind == "rate_limit":
        retry_after_s = int(spec.retry_after_s)
        payload = shape(429, f"Too Many Requests: retry after {retry_after_s}", retry_after_s)
        return json_response(payload, status=429, headers=(("Retry-After", str(retry_after_s)),))
    if spec.body is not None:
        return Response(status=spec.status, body=spec.body.encode())
    return json_response(shape(spec.status, _reason(spec.status), None), status=spec.status)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"  # a status HTTP does not name (e.g. 599)


def _malformed(real: Response) -> Response:
    """The real status and content type, with a body cut in half (JSON that does not parse)."""
    body = real.body[: max(1, len(real.body) // 2)]
    return Response(status=real.status, body=body, content_type=real.content_type, headers=real.headers)


def _dribble(real: Response, bytes_per_s: float) -> Response:
    """The real answer, its body sent a few bytes at a time at bytes_per_s."""
    body = real.body
    chunk_bytes = max(1, int(bytes_per_s / 10))

    async def write(writer: BodyWriter) -> None:
        for start in range(0, len(body), chunk_bytes):
            await writer.write(body[start : start + chunk_bytes])
            await asyncio.sleep(chunk_bytes / bytes_per_s)

    return Response(
        status=real.status, content_type=real.content_type, headers=real.headers, stream=write, content_length=len(body)
    )
