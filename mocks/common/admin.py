"""The per-mock state, and the /__mock__/ admin routes every mock serves (stats, faults)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from mocks.common.connections import ConnectionStats
from mocks.common.faults import ErrorShape, FaultTable
from mocks.common.recorder import CorrelationLog, EventWriter
from mocks.common.stats import RouteStats
from mocks.config import FaultSpec

ADMIN_PREFIX = "mock_admin"
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


STATE_KEY = web.AppKey("mock_state", MockState)


def violation(request: web.Request) -> None:
    """Count a request that breaks the upstream's API against the service under test."""
    request.app[STATE_KEY].stats.contract_violations += 1
    request["violation"] = True


def correlate(request: web.Request, **keys: object) -> None:
    """Attach correlation keys (chat_id, reply_to, file_id, request_id...) to this request's record."""
    request["corr"] = {k: v for k, v in keys.items() if v not in (None, "")}


async def handle_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].snapshot())


async def handle_get_faults(request: web.Request) -> web.Response:
    table = request.app[STATE_KEY].faults
    dump = _FAULTS.dump_python
    return web.json_response({"profile": dump(table.profile, mode="json"), "runtime": dump(table.runtime, mode="json")})


async def handle_set_faults(request: web.Request) -> web.Response:
    """Replace the run-time faults with the posted list ({"faults": [...]}); profile faults stay."""
    state = request.app[STATE_KEY]
    try:
        body = await request.json()
        faults = _FAULTS.validate_python(body.get("faults", []) if isinstance(body, dict) else None)
    except (ValueError, ValidationError, AttributeError) as exc:
        return web.json_response({"ok": False, "error": str(exc).splitlines()[0]}, status=400)
    state.faults.runtime = faults
    state.events.emit("mock_faults_set", upstream=state.upstream, faults=_FAULTS.dump_python(faults, mode="json"))
    return web.json_response({"ok": True, "runtime": len(faults)})


async def handle_clear_faults(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    state.faults.runtime = ()
    state.events.emit("mock_faults_cleared", upstream=state.upstream)
    return web.json_response({"ok": True, "runtime": 0})


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/__mock__/stats", handle_stats, name=f"{ADMIN_PREFIX}_stats")
    app.router.add_get("/__mock__/faults", handle_get_faults, name=f"{ADMIN_PREFIX}_faults_get")
    app.router.add_post("/__mock__/faults", handle_set_faults, name=f"{ADMIN_PREFIX}_faults_set")
    app.router.add_delete("/__mock__/faults", handle_clear_faults, name=f"{ADMIN_PREFIX}_faults_clear")
