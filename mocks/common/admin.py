"""The /__mock__/ admin routes every mock serves, and the key under which its stats live."""

from __future__ import annotations

from aiohttp import web

from mocks.common.stats import RouteStats

STATS_KEY = web.AppKey("stats", RouteStats)


async def handle_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATS_KEY].snapshot())


def add_admin_routes(app: web.Application) -> None:
    app[STATS_KEY] = RouteStats()
    app.router.add_get("/__mock__/stats", handle_stats)


def record(request: web.Request, route: str, response: web.StreamResponse) -> web.StreamResponse:
    """Count a handled request by its route name and the status being returned."""
    request.app[STATS_KEY].record(route, response.status)
    return response
