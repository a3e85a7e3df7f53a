"""The loopback forward proxy of `proxy` mode: absolute-form HTTP requests and CONNECT tunnels.

Absolute-form requests (axios sends `POST https://api.telegram.org/...` in plain text to an HTTP
proxy) are re-sent in origin form to the route's plain mock port, over one upstream connection per
client connection, so the client's own keep-alive shows through. A CONNECT opens a raw tunnel to
the route's TLS mock port: TLS ends at the mock, whose certificate for the real name comes from
the run CA, so the client verifies it as usual. Any host without a route is refused (403) and
recorded. Run as `python -m harness.interception --config FILE --ready-file FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import h11
from pydantic import BaseModel, ConfigDict

from vocab.events import EventKind

_READ_BYTES = 65536
_HOP_HEADERS = {b"proxy-connection", b"proxy-authorization", b"keep-alive"}


class ProxyRoute(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    plain: str  # "127.0.0.1:<port>" of the mock's plain HTTP listener
    tls: str  # "127.0.0.1:<port>" of the mock's TLS listener


class ProxyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    routes: dict[str, ProxyRoute]  # by "host:port" as the client names it
    events_file: str | None = None
    events_t0: float | None = None


@dataclass
class _Upstream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    conn: h11.Connection


def _split_host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]").lower().rstrip("."), int(port)


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> h11.Event:
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Event):
            return event
        if event is h11.PAUSED:
            raise ValueError("pipelined request: not supported")
        conn.receive_data(await reader.read(_READ_BYTES))


def _send(conn: h11.Connection, writer: asyncio.StreamWriter, event: h11.Event) -> None:
    data = conn.send(event)
    if data:
        writer.write(data)


async def _drain_request(conn: h11.Connection, reader: asyncio.StreamReader) -> None:
    """Read the rest of a request we answer ourselves, so the connection stays in step."""
    while not isinstance(event := await _next_event(conn, reader), h11.EndOfMessage):
        if isinstance(event, h11.ConnectionClosed):
            raise ConnectionError("client closed in the middle of its request")


async def _answer(conn: h11.Connection, writer: asyncio.StreamWriter, status: int, text: str) -> None:
    body = f"{text}\n".encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    _send(conn, writer, h11.Response(status_code=status, headers=headers))
    _send(conn, writer, h11.Data(data=body))
    _send(conn, writer, h11.EndOfMessage())
    await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_READ_BYTES):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


class Proxy:
    """Serves clients on one loopback port; state is only the routes and an event sink."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config

    def record_refusal(self, host: str, port: int, how: str) -> None:
        print(f"soak proxy: refused {how} to {host}:{port} (no route)", file=sys.stderr, flush=True)
        if self.config.events_file is None:
            return
        now = time.time()
        t_s = None if self.config.events_t0 is None else round(now - self.config.events_t0, 3)
        record = {"event": EventKind.EGRESS_REFUSED, "t_s": t_s, "time": now, "pid": os.getpid(), "host": host}
        line = json.dumps({**record, "port": port, "via": f"proxy {how}"}) + "\n"
        # O_APPEND and one write: lines from the target's preload and from here never interleave.
        fd = os.open(self.config.events_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    async def serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        upstreams: dict[str, _Upstream] = {}
        try:
            while isinstance(event := await _next_event(conn, reader), h11.Request):
                if event.method == b"CONNECT":
                    await self._tunnel(conn, event, reader, writer)
                    return
                await self._forward(conn, event, reader, writer, upstreams)
                await writer.drain()
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (h11.ProtocolError, OSError, ValueError) as exc:
            print(f"soak proxy: client connection ended: {exc!r}", file=sys.stderr, flush=True)
        finally:
            for upstream in upstreams.values():
                upstream.writer.close()
            writer.close()

    async def _refuse(self, conn: h11.Connection, writer: asyncio.StreamWriter, host: str, port: int, how: str) -> None:
        self.record_refusal(host, port, how)
        await _answer(conn, writer, 403, f"soak proxy: refused {host}:{port}, which has no route to a mock")

    async def _tunnel(
        self, conn: h11.Connection, request: h11.Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, port = _split_host_port(request.target.decode())
        await _drain_request(conn, reader)
        route = self.config.routes.get(f"{host}:{port}")
        if route is None:
            await self._refuse(conn, writer, host, port, "CONNECT")
            return
        up_host, up_port = _split_host_port(route.tls)
        try:
            up_reader, up_writer = await asyncio.open_connection(up_host, up_port)
        except OSError as exc:
            await _answer(conn, writer, 502, f"soak proxy: mock {route.tls} for {host}:{port} unreachable: {exc}")
            return
        _send(conn, writer, h11.Response(status_code=200, headers=[], reason=b"Connection Established"))
        leftover, _closed = conn.trailing_data
        if leftover:
            up_writer.write(leftover)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)

    async def _forward(
        self,
        conn: h11.Connection,
        request: h11.Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstreams: dict[str, _Upstream],
    ) -> None:
        url = urlsplit(request.target.decode())
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an absolute-form request target: {request.target!r}")
        host, port = url.hostname.lower().rstrip("."), url.port or (443 if url.scheme == "https" else 80)
        route = self.config.routes.get(f"{host}:{port}")
        if route is None:
            await _drain_request(conn, reader)
            await self._refuse(conn, writer, host, port, "absolute-form request")
            return
        try:
            upstream = upstreams.get(route.plain) or await _open_upstream(route.plain)
        except OSError as exc:
            await _drain_request(conn, reader)
            await _answer(conn, writer, 502, f"soak proxy: mock {route.plain} for {host}:{port} unreachable: {exc}")
            return
        upstreams[route.plain] = upstream
        origin = (url.path or "/") + (f"?{url.query}" if url.query else "")
        headers = [(name, value) for name, value in request.headers if name.lower() not in _HOP_HEADERS]
        _send(upstream.conn, upstream.writer, h11.Request(method=request.method, target=origin, headers=headers))
        while True:
            event = await _next_event(conn, reader)
            if isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("client closed in the middle of its request")
            _send(upstream.conn, upstream.writer, event)
            if isinstance(event, h11.EndOfMessage):
                break
        await self._relay_response(conn, writer, upstream)
        if upstream.conn.our_state is h11.DONE and upstream.conn.their_state is h11.DONE:
            upstream.conn.start_next_cycle()
        else:
            upstream.writer.close()
            del upstreams[route.plain]

    async def _relay_response(self, conn: h11.Connection, writer: asyncio.StreamWriter, upstream: _Upstream) -> None:
        await upstream.writer.drain()
        while True:
            event = await _next_event(upstream.conn, upstream.reader)
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                headers = [(name, value) for name, value in event.headers if name.lower() not in _HOP_HEADERS]
                event = h11.Response(status_code=event.status_code, headers=headers, reason=event.reason)
            if isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("upstream closed before its response ended")
            _send(conn, writer, event)
            if isinstance(event, h11.EndOfMessage):
                return


async def _open_upstream(address: str) -> _Upstream:
    host, port = _split_host_port(address)
    reader, writer = await asyncio.open_connection(host, port)
    return _Upstream(reader=reader, writer=writer, conn=h11.Connection(h11.CLIENT))


async def serve(config: ProxyConfig, ready_file: Path) -> None:
    proxy = Proxy(config)
    server = await asyncio.start_server(proxy.serve_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    partial = ready_file.with_suffix(".partial")
    partial.write_text(json.dumps({"url": f"http://127.0.0.1:{port}"}), encoding="utf-8")
    os.replace(partial, ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_closed(), timeout=2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description="soak loopback proxy for the proxy interception mode")
    parser.add_argument("--config", type=Path, required=True, help="JSON file of ProxyConfig")
    parser.add_argument("--ready-file", type=Path, required=True, help="where to write the proxy URL once serving")
    args = parser.parse_args()
    config = ProxyConfig.model_validate_json(args.config.read_text(encoding="utf-8"))
    asyncio.run(serve(config, args.ready_file))


if __name__ == "__main__":
    main()
