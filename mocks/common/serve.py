"""Serving several aiohttp apps on 127.0.0.1, each on a port the kernel picks (port 0)."""

from __future__ import annotations

from aiohttp import web


async def start_app(app: web.Application, host: str = "127.0.0.1") -> tuple[web.AppRunner, int]:
    """Start app on host:0 and return its runner and the bound port."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port: int = runner.addresses[0][1]
    return runner, port
