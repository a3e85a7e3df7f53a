"""A mock upstream: its routes, the accounting and faults around them, admin routes, background ticker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from mocks.common.admin import MockState, add_admin_routes
from mocks.common.faults import ErrorShape, FaultTable, apply_faults, in_window
from mocks.common.recorder import CorrelationLog, EventWriter
from mocks.config import ROUTES, FaultSpec, MocksConfig
from mocks.server.connection import CloseCause, HttpConnection
from mocks.server.message import Request, Response, json_response
from mocks.server.routing import Handler, Route, Router
from vocab.events import EventKind

TICK_S = 0.25
# Idle keep-alive connections are closed after this long, as nginx (in front of Telegram) does by
# default; a client that leaks pooled connections still shows it in its own socket count.
KEEPALIVE_IDLE_S = 75.0
SWEEP_EVERY_TICKS = 20
Hook = Callable[[], Awaitable[None]]
# Reads a request's correlation keys without answering it: a faulted request never reaches its
# handler, yet must carry the same keys as a healthy one so its calls are still attributed.
KeyReader = Callable[[Request], dict[str, object]]


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


class MockApp:
    """One upstream: what the server calls per connection and per request (see server.Application)."""

    def __init__(
        self, upstream: str, shape: ErrorShape, faults: tuple[FaultSpec, ...], env: MockEnv | None, max_body_bytes: int
    ) -> None:
        env = env or MockEnv()
        self.state = MockState(
            upstream=upstream,
            shape=shape,
            faults=FaultTable(profile=faults, t0_monotonic=env.t0_monotonic),
            correlation=env.correlation,
            events=env.events or EventWriter(None, env.t0_monotonic),
        )
        self.max_body_bytes = max_body_bytes
        self.router = Router()
        self.route_names: list[str] = []
        self.on_start: list[Hook] = []
        self.on_close: list[Hook] = []
        self._live: set[HttpConnection] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._windows_active: dict[int, bool] = {}
        self._key_readers: dict[str, KeyReader] = {}
        add_admin_routes(self)

    def route(self, method: str, path: str, handler: Handler, name: str, keys: KeyReader | None = None) -> None:
        """An upstream route: its requests are counted, timed, faulted and correlation-recorded.

        keys reads the request's correlation keys when a fault answers in the handler's place.
        """
        declared = ROUTES.get(self.state.upstream)
        if declared is not None and name not in declared:
            # A profile's faults are checked against ROUTES: a name missing there could never be faulted.
            raise ValueError(f"route {name!r} is not in mocks.config.ROUTES[{self.state.upstream!r}]")
        if name not in self.route_names:
            self.route_names.append(name)
        self.router.add(method, path, Route(name, handler))
        if keys is not None:
            self._key_readers[name] = keys

    def admin_route(self, method: str, path: str, handler: Handler) -> None:
        self.router.add(method, path, Route("", handler, accounted=False))

    # server.Application

    def dispatch(self, request: Request) -> Response | Awaitable[Response]:
        found = self.router.resolve(request.method, request.path)
        if found is None:
            return self.error(404, "Not Found")
        route, request.match = found
        if not route.accounted:
            return route.handler(request)
        state = self.state
        request.route = route.name
        request.started_s = time.monotonic()
        request.connection_seq = state.connections.on_request(request.connection, request.headers.get("user-agent", ""))
        state.stats.in_flight += 1
        hits = None if state.faults.empty else state.faults.active(route.name)
        if hits:
            request.fault = "+".join(sorted({spec.kind for spec in hits}))
            return apply_faults(request, route.handler, hits, state.faults, state.shape)
        return route.handler(request)

    def finished(self, request: Request, status: int) -> None:
        if not request.route:
            return
        state = self.state
        state.stats.in_flight -= 1
        latency_s = time.monotonic() - request.started_s
        state.stats.record(request.route, status, latency_s)
        if request.violation:
            state.stats.contract_violations += 1
        if state.correlation.enabled:
            if request.corr is None and request.fault:
                request.corr = _keys_of(request, self._key_readers.get(request.route))
            _correlation_record(request, state, status, latency_s)

    def error(self, status: int, description: str) -> Response:
        return json_response(self.state.shape(status, description, None), status=status)

    def connection_made(self, connection: HttpConnection) -> None:
        self._live.add(connection)
        self.state.connections.accepted_total += 1

    def connection_lost(self, connection: HttpConnection) -> None:
        self._live.discard(connection)
        self.state.connections.on_lost(connection)

    # lifecycle

    async def start(self) -> None:
        for hook in self.on_start:
            await hook()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def close(self) -> None:
        """Stop the ticker, close every connection, run the close hooks, flush what is buffered."""
        if self._ticker is not None:
            self._ticker.cancel()
        for connection in list(self._live):
            connection.close()
        for hook in self.on_close:
            await hook()
        self._watch_windows()
        self.state.correlation.flush()

    async def _tick(self) -> None:
        ticks = 0
        while True:
            self._watch_windows()
            self.state.correlation.flush()
            ticks += 1
            if ticks % SWEEP_EVERY_TICKS == 0:
                self.close_idle(KEEPALIVE_IDLE_S)
            await asyncio.sleep(TICK_S)

    def close_idle(self, idle_s: float) -> int:
        """Close the connections quiet for idle_s or longer; return how many."""
        cutoff_s = time.monotonic() - idle_s
        idle = [c for c in self._live if c.idle_since_s is not None and c.idle_since_s <= cutoff_s]
        for connection in idle:
            connection.close(CloseCause.SERVER_IDLE)
        return len(idle)

    def _watch_windows(self) -> None:
        """Log a fault window to events.jsonl when it opens and when it closes."""
        state = self.state
        elapsed_s = time.monotonic() - state.faults.t0_monotonic
        for index, spec in enumerate(state.faults.profile):
            if not spec.windowed:
                continue
            now_active = in_window(spec, elapsed_s)
            if now_active != self._windows_active.get(index, False):
                self._windows_active[index] = now_active
                event = EventKind.FAULT_WINDOW_START if now_active else EventKind.FAULT_WINDOW_END
                state.events.emit(event, upstream=state.upstream, **_describe(spec))


def _correlation_record(request: Request, state: MockState, status: int, latency_s: float) -> None:
    record: dict[str, object] = {
        "t": round(time.time(), 3),
        "up": state.upstream,
        "route": request.route,
        "status": status,
        "ms": round(latency_s * 1000.0, 2),
        "conn": request.connection_seq,
    }
    if request.corr:
        record.update(request.corr)
    if request.violation:
        record["violation"] = True
    if request.fault:
        record["fault"] = request.fault  # an injected fault answered or delayed it
    state.correlation.add(record)


def _keys_of(request: Request, reader: KeyReader | None) -> dict[str, object] | None:
    """The keys of a request its handler never saw; a body the reader cannot parse has none."""
    if reader is None:
        return None
    try:
        keys = reader(request)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    return {k: v for k, v in keys.items() if v not in (None, "")}


def _describe(spec: FaultSpec) -> dict[str, object]:
    return {"route": spec.route, "kind": spec.kind, "rate": spec.rate, "start_s": spec.start_s, "end_s": spec.end_s}
