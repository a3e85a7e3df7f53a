"""The per-mock state, and the /__mock__/ admin routes every mock serves (stats, faults)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from mocks.common.connections import ConnectionStats
from mocks.common.faults import ErrorShape, FaultTable
from mocks.common.recorder import CorrelationLog, EventWriter
from mocks.common.stats import RouteStats
from mocks.config import FaultSpec
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


def _set_faults(state: MockState, request: Request) -> Response:
    """Replace the run-time faults with the posted list ({"faults": [...]}); profile faults stay."""
    try:
        body = request.json()
        faults = _FAULTS.validate_python(body.get("faults", []) if isinstance(body, dict) else None)
    except (ValueError, ValidationError, AttributeError) as exc:
        return json_response({"ok": False, "error": str(exc).splitlines()[0]}, status=400)
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
    app.admin_route("POST", "/__mock__/faults", lambda request: _set_faults(state, request))
    app.admin_route("DELETE", "/__mock__/faults", lambda request: _clear_faults(state))
