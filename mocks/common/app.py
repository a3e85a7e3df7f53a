"""Building a mock app: the accounting-and-faults middleware, admin routes, background ticker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from mocks.common.admin import STATE_KEY, MockState, add_admin_routes
from mocks.common.faults import ErrorShape, FaultTable, Handler, apply_faults, in_window
from mocks.common.recorder import CorrelationLog, EventWriter
from mocks.config import FaultSpec, MocksConfig

TICK_S = 0.25
# Status recorded when the handler never produced one (client gone, hang or reset fault).
NO_ANSWER = 499


@dataclass
class MockEnv:
    """What the mocks of one process share: the correlation file, the event log, the run's start."""

    t0_monotonic: float = field(default_factory=time.monotonic)
    correlation: CorrelationLog = field(default_factory=lambda: CorrelationLog(None))
    events: EventWriter | None = None

    @classmethod
    def from_config(cls, config: MocksConfig) -> MockEnv:
        t0 = config.t0_monotonic if config.t0_monotonic is not None else time.monotonic()
        path = Path(config.correlation_file) if config.correlation_file else None
        correlation = CorrelationLog(path, config.correlation_max_records)
        events = EventWriter(Path(config.events_file) if config.events_file else None, t0)
        return cls(t0_monotonic=t0, correlation=correlation, events=events)


def add_route(app: web.Application, method: str, path: str, handler: Handler, name: str) -> None:
    """Register a route whose requests are counted, timed, faulted and correlation-recorded.

    A wrapper per route rather than an aiohttp middleware: it skips the middleware chain and the
    route-name lookup on every request, which the throughput benchmark showed to matter.
    """
    app.router.add_route(method, path, _accounted(app[STATE_KEY], name, handler), name=name)


def _accounted(state: MockState, route: str, handler: Handler) -> Handler:
    async def accounted(request: web.Request) -> web.StreamResponse:
        started_s = time.monotonic()
        connection = state.connections.on_request(request.protocol)
        state.stats.in_flight += 1
        status = NO_ANSWER
        try:
            hits = None if state.faults.empty else state.faults.active(route)
            if hits:
                response = await apply_faults(request, handler, hits, state.faults, state.shape)
            else:
                response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            state.stats.in_flight -= 1
            latency_s = time.monotonic() - started_s
            state.stats.record(route, status, latency_s)
            if state.correlation.enabled:
                _correlation_record(
                    request, state=state, route=route, status=status, latency_s=latency_s, connection=connection
                )

    return accounted


def _correlation_record(
    request: web.Request, *, state: MockState, route: str, status: int, latency_s: float, connection: int
) -> None:
    record: dict[str, object] = {
        "t": round(time.time(), 3),
        "up": state.upstream,
        "route": route,
        "status": status,
        "ms": round(latency_s * 1000.0, 2),
        "conn": connection,
    }
    record.update(request.get("corr") or {})
    if request.get("violation"):
        record["violation"] = True
    state.correlation.add(record)


def _watch_windows(state: MockState, was_active: dict[int, bool]) -> None:
    """Log a fault window to events.jsonl when it opens and when it closes."""
    elapsed_s = time.monotonic() - state.faults.t0_monotonic
    for index, spec in enumerate(state.faults.profile):
        if not spec.windowed:
            continue
        now_active = in_window(spec, elapsed_s)
        if now_active != was_active.get(index, False):
            was_active[index] = now_active
            event = "fault_window_start" if now_active else "fault_window_end"
            state.events.emit(event, upstream=state.upstream, **_describe(spec))


def _describe(spec: FaultSpec) -> dict[str, object]:
    return {"route": spec.route, "kind": spec.kind, "rate": spec.rate, "start_s": spec.start_s, "end_s": spec.end_s}


async def _ticker(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE_KEY]
    was_active: dict[int, bool] = {}

    async def tick() -> None:
        while True:
            _watch_windows(state, was_active)
            state.correlation.flush()
            await asyncio.sleep(TICK_S)

    task = asyncio.get_running_loop().create_task(tick())
    yield
    task.cancel()
    _watch_windows(state, was_active)
    state.correlation.flush()


def new_mock_app(
    upstream: str, shape: ErrorShape, faults: tuple[FaultSpec, ...], env: MockEnv | None, max_body_bytes: int
) -> web.Application:
    env = env or MockEnv()
    app = web.Application(client_max_size=max_body_bytes)
    app[STATE_KEY] = MockState(
        upstream=upstream,
        shape=shape,
        faults=FaultTable(profile=faults, t0_monotonic=env.t0_monotonic),
        correlation=env.correlation,
        events=env.events or EventWriter(None, env.t0_monotonic),
    )
    add_admin_routes(app)
    app.cleanup_ctx.append(_ticker)
    return app
