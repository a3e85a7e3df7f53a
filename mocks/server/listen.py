"""Listening on 127.0.0.1 with a port the kernel picks (port 0), plain or TLS."""

from __future__ import annotations

import asyncio
import ssl

from mocks.config import TlsFiles
from mocks.server.connection import Application, HttpConnection

BACKLOG = 1024


def tls_context(files: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.cert_file, files.key_file)
    return context


async def listen(app: Application, host: str = "127.0.0.1", tls: TlsFiles | None = None) -> tuple[asyncio.Server, int]:
    loop = asyncio.get_running_loop()
    context = tls_context(tls) if tls is not None else None
    server = await loop.create_server(lambda: HttpConnection(app), host, 0, ssl=context, backlog=BACKLOG)
    port: int = server.sockets[0].getsockname()[1]
    return server, port
