"""Serving aiohttp apps on 127.0.0.1, each on ports the kernel picks (port 0), plain and TLS."""

from __future__ import annotations

import ssl

from aiohttp import web

from mocks.common.admin import STATE_KEY
from mocks.common.connections import watch_server
from mocks.config import TlsFiles


def tls_context(files: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.cert_file, files.key_file)
    return context


async def start_app(
    app: web.Application, host: str = "127.0.0.1", tls: TlsFiles | None = None
) -> tuple[web.AppRunner, int, int | None]:
    """Start app on host:0 (and, with tls, on a second host:0 with TLS); return runner and ports.

    Both listeners share one runner, hence one aiohttp Server, so its connection accounting
    counts the TLS connections too.
    """
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    if runner.server is not None and STATE_KEY in app:
        watch_server(runner.server, app[STATE_KEY].connections)
    await web.TCPSite(runner, host, 0).start()
    port: int = runner.addresses[0][1]
    tls_port: int | None = None
    if tls is not None:
        await web.TCPSite(runner, host, 0, ssl_context=tls_context(tls)).start()
        tls_port = runner.addresses[1][1]
    return runner, port, tls_port
