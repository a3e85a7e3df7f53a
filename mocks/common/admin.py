"""The per-mock state, and the /__mock__/ admin routes every mock serves (stats, faults)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from mocks.common.connections import ConnectionStats
from mocks.common.faults import ErrorShape, FaultTable
from mocks.common.recorder import CorrelationLog, EventWriter
from mocks.common.stats import RouteStats
from mocks.config import FaultSpec, check_routes
from mocks.server.message import Request, Response, json_response
from vocab.events import EventKind

if TYPE_CHECKING:
    from mocks.common.app import MockApp

_FAULTS = TypeAdapter(tuple[FaultSpec, ...])


@dataclass
class MockState:
    """Everything common a mock keeps: counters, connections, faults and where records go."""

    upstream: str
    shape: ErrorShape
    faults: FaultTable
    correlation: CorrelationLog
    events: EventWriter
    stats: RouteStats = field(default_factory=RouteStats)
    connections: ConnectionStats = field(default_factory=ConnectionStats)
    # Upstream-specific figures (e.g. cursor-runner's queue and callbacks), merged into the stats.
    extra: Callable[[], dict[str, Any]] = dict

    def snapshot(self) -> dict[str, Any]:
        return {
            **self.stats.snapshot(),
            "upstream": self.upstream,
            "connections": self.connections.snapshot(),
            "faults_runtime": len(self.faults.runtime),
            "correlation_records": self.correlation.written,
            "correlation_dropped": self.correlation.dropped,
            **self.extra(),
        }


def violation(request: Request) -> None:
    """Mark a request that breaks the upstream's API: counted against the service under test."""
    request.violation = True


def correlate(request: Request, **keys: object) -> None:
    """Attach correlation keys (chat_id, reply_to, file_id, request_id...) to this request's record."""
    request.corr = {k: v for k, v in keys.items() if v not in (None, "")}


def _get_faults(state: MockState) -> Response:
    table = state.faults
    dump = _FAULTS.dump_python
    return json_response({"profile": dump(table.profile, mode="json"), "runtime": dump(table.runtime, mode="json")})


def _first_error(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else error["msg"]
    return str(exc)


def _set_faults(state: MockState, routes: Sequence[str], request: Request) -> Response:
    """Replace the run-time faults with the posted list ({"faults": [...]}); profile faults stay."""
    try:
        body = request.json()
        if not isinstance(body, dict):
            raise ValueError('expected {"faults": [...]}')
        faults = _FAULTS.validate_python(body.get("faults", []))
        check_routes(state.upstream, routes, faults)
    except ValueError as exc:  # ValidationError is one
        return json_response({"ok": False, "error": _first_error(exc)}, status=400)
    state.faults.runtime = faults
    state.events.emit(
        EventKind.MOCK_FAULTS_SET, upstream=state.upstream, faults=_FAULTS.dump_python(faults, mode="json")
    )
    return json_response({"ok": True, "runtime": len(faults)})


def _clear_faults(state: MockState) -> Response:
    state.faults.runtime = ()
    state.events.emit(EventKind.MOCK_FAULTS_CLEARED, upstream=state.upstream)
    return json_response({"ok": True, "runtime": 0})


def add_admin_routes(app: MockApp) -> None:
    state = app.state
    app.admin_route("GET", "/__mock__/stats", lambda request: json_response(state.snapshot()))
    app.admin_route("GET", "/__mock__/faults", lambda request: _get_faults(state))
    # The app's own route names (filled in as it registers them), so a fault can only name one it has.
    app.admin_route("POST", "/__mock__/faults", lambda request: _set_faults(state, app.route_names, request))
    app.admin_route("DELETE", "/__mock__/faults", lambda request: _clear_faults(state))
