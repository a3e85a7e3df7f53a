"""A connection the client closed is freed at once by reference counting, plain or TLS, on asyncio and
uvloop: left to the cyclic GC, closed TLS connections piled up between full collections, each holding
some 300 KiB of OpenSSL and uvloop memory, and the mocks' RSS grew for hours."""

from __future__ import annotations

import asyncio
import gc
import ssl
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
import uvloop

from mocks.config import TelegramConfig, TlsFiles
from mocks.server.connection import HttpConnection
from mocks.server.listen import listen
from mocks.telegram.app import create_app

TOKEN = TelegramConfig().token
CONNECTIONS = 20
Refs = list[weakref.ref[HttpConnection]]


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _tls(tmp_path: Path) -> tuple[TlsFiles, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    for blob in cert.cert_chain_pems:
        blob.write_to_path(str(tmp_path / "chain.pem"), append=True)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return TlsFiles(cert_file=str(tmp_path / "chain.pem"), key_file=str(tmp_path / "key.pem")), client


async def _open_and_close(files: TlsFiles | None, client: ssl.SSLContext | None) -> tuple[Refs, int]:
    """CONNECTIONS connections of one request each, closed by the client; weak references to the server's side."""
    app = create_app(TelegramConfig())
    refs: Refs = []
    made = app.connection_made

    def track(connection: HttpConnection) -> None:
        refs.append(weakref.ref(connection))
        made(connection)

    app.connection_made = track  # type: ignore[method-assign]
    server, port = await listen(app, tls=files)
    body = b'{"chat_id": 7, "text": "hi"}'
    request = (
        f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    for _ in range(CONNECTIONS):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client)
        writer.write(request)
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        writer.close()
        await writer.wait_closed()
    for _ in range(200):
        if app.state.connections.snapshot()["open"] == 0:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # connection_lost callbacks the loop still has queued
    server.close()
    await server.wait_closed()
    return refs, app.state.connections.snapshot()["opened"]


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_a_closed_connection_is_freed_without_the_cyclic_gc(
    tmp_path: Path, no_cyclic_gc: None, loop: str, tls: bool
) -> None:
    files, client = _tls(tmp_path) if tls else (None, None)
    run = uvloop.run if loop == "uvloop" else asyncio.run
    refs, opened = run(_open_and_close(files, client))
    assert opened == CONNECTIONS and len(refs) == CONNECTIONS
    alive = [ref for ref in refs if ref() is not None]
    assert alive == [], f"{len(alive)} of {CONNECTIONS} closed connections still held (a reference cycle)"
