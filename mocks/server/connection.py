"""One HTTP/1.1 connection: httptools parsing, in-order answers, keep-alive, and flow control.

A handler that answers without awaiting is called inline (no task per request): that is most of
what the mocks serve, and what keeps them fast. A coroutine answer, or a streamed body, gets a
task; requests behind it on the same connection wait their turn (HTTP/1.1 answers in order).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
import time
import traceback
from collections import deque
from collections.abc import Awaitable
from enum import StrEnum
from typing import Any, Protocol, cast
from urllib.parse import unquote

import httptools

from mocks.server import wire
from mocks.server.message import Request, Response

# Reading pauses while this many requests wait on one connection (a client pipelining hard).
MAX_QUEUED = 32
# A request head past this is refused (431), so a runaway client cannot grow the mock's memory.
MAX_HEAD_BYTES = 64 * 1024


class Application(Protocol):
    """What a connection needs from the mock it serves."""

    max_body_bytes: int

    def dispatch(self, request: Request) -> Response | Awaitable[Response]: ...

    def finished(self, request: Request, status: int) -> None: ...

    def error(self, status: int, description: str) -> Response: ...

    def connection_made(self, connection: HttpConnection) -> None: ...

    def connection_lost(self, connection: HttpConnection) -> None: ...


class CloseCause(StrEnum):
    """Who ended a connection, for the mocks' churn accounting (a pool closes idle, a client per request at once)."""

    CLIENT = "client"  # FIN from the client
    CLIENT_RESET = "client_reset"  # RST from the client
    CLIENT_REQUESTED = "client_requested"  # the server closed after an answer the client asked to be the last
    SERVER_IDLE = "server_idle"  # the mock's keep-alive sweep
    SERVER_ERROR = "server_error"  # a malformed request, a reset fault, a streamed body cut short
    SERVER_SHUTDOWN = "server_shutdown"


class BodyTooLarge(Exception):
    pass


class HeadTooLarge(Exception):
    pass


class HttpConnection(asyncio.Protocol):
    def __init__(self, app: Application) -> None:
        self._app = app
        # The parser holds bound methods of this connection: a reference cycle, dropped at
        # connection_lost so the connection and its transport are freed at once. Left to the
        # cyclic GC, closed TLS connections pile up between full collections, each holding some
        # 300 KiB outside Python's heap (OpenSSL state, uvloop's 256 KiB read buffer) that the
        # collector's object counts do not see: the mocks' RSS grew ~150 MiB/h under bursts.
        self._parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._body_bytes = 0
        self._head_bytes = 0
        # When the connection last went quiet (no request in progress); None while one is.
        self.idle_since_s: float | None = time.monotonic()
        # Set when the mock ends the connection; None at connection_lost means the client did.
        self.close_cause: CloseCause | None = None
        self.local_port = 0  # which listener (plain or TLS) took it: a client pools per host and port
        self.last_idle_s = 0.0  # how long it sat idle before its current request
        self._queue: deque[Request] = deque()
        self._busy = False
        self._closed = False
        self._reading_paused = False
        self._writable: asyncio.Event | None = None
        self._disconnected: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, though they behave as one.
        self._transport = cast(asyncio.Transport, transport)
        sockname = transport.get_extra_info("sockname")
        self.local_port = sockname[1] if isinstance(sockname, tuple) else 0
        self._app.connection_made(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self.close_cause is None:
            self.close_cause = CloseCause.CLIENT_RESET if isinstance(exc, ConnectionResetError) else CloseCause.CLIENT
        if self._disconnected is not None and not self._disconnected.done():
            self._disconnected.set_result(None)
        if self._writable is not None:
            self._writable.set()
        self._queue.clear()
        self._parser = None
        self._app.connection_lost(self)

    def data_received(self, data: bytes) -> None:
        if self._parser is None:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, "Bad Request: protocol upgrade is not supported")
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, HeadTooLarge):
                self._refuse(431, "Request Header Fields Too Large")
                return
            too_large = isinstance(exc.__context__, BodyTooLarge) or self._body_bytes > self._app.max_body_bytes
            if too_large:
                self._refuse(413, "Request Entity Too Large")
            else:
                self._refuse(400, "Bad Request: malformed HTTP request")

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.Event()
        self._writable.clear()

    def resume_writing(self) -> None:
        if self._writable is not None:
            self._writable.set()

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self.idle_since_s is not None:
            self.last_idle_s = time.monotonic() - self.idle_since_s
        self.idle_since_s = None
        self._url = b""
        self._headers = {}
        self._body = []
        self._body_bytes = 0
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_head(len(url))

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"

    def on_headers_complete(self) -> None:
        length = self._headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._app.max_body_bytes:
            raise BodyTooLarge
        if self._headers.get("expect", "").lower() == "100-continue" and self._transport is not None:
            self._transport.write(wire.CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self._app.max_body_bytes:
            raise BodyTooLarge
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self._parser
        assert parser is not None  # called from inside feed_data
        raw_path, _, query = self._url.decode("latin-1").partition("?")
        request = Request(
            method=parser.get_method().decode("latin-1"),
            path=unquote(raw_path) if "%" in raw_path else raw_path,
            query_string=query,
            headers=self._headers,
            body=b"".join(self._body) if len(self._body) != 1 else self._body[0],
            keep_alive=parser.should_keep_alive(),
            connection=self,
        )
        self._body = []
        self._queue.append(request)
        if len(self._queue) >= MAX_QUEUED and self._transport is not None:
            self._reading_paused = True
            self._transport.pause_reading()
        if not self._busy:
            self._answer_queued()

    # answering

    def close(self, cause: CloseCause = CloseCause.SERVER_SHUTDOWN) -> None:
        if self._transport is not None and not self._closed:
            self.close_cause = self.close_cause or cause
            self._transport.close()

    def disconnected(self) -> asyncio.Future[None]:
        """Resolves when the client has gone (for faults that never answer)."""
        if self._disconnected is None:
            self._disconnected = asyncio.get_running_loop().create_future()
            if self._closed:
                self._disconnected.set_result(None)
        return self._disconnected

    def _answer_queued(self) -> None:
        while self._queue and not self._busy and not self._closed:
            request = self._queue.popleft()
            try:
                result = self._app.dispatch(request)
            except Exception:  # noqa: BLE001 - a handler bug answers 500; the connection lives on
                result = self._crashed()
            if isinstance(result, Response) and result.stream is None:
                self._send(request, result)
            else:
                self._busy = True
                task = asyncio.get_running_loop().create_task(self._answer_later(request, result))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        if not self._queue and not self._busy:
            self.idle_since_s = time.monotonic()
        if self._reading_paused and len(self._queue) < MAX_QUEUED // 4 and self._transport is not None:
            self._reading_paused = False
            self._transport.resume_reading()

    async def _answer_later(self, request: Request, result: Response | Awaitable[Response]) -> None:
        try:
            try:
                response = result if isinstance(result, Response) else await result
            except Exception:  # noqa: BLE001 - as above
                response = self._crashed()
            if response.stream is None:
                self._send(request, response)
            else:
                await self._send_streamed(request, response)
        finally:
            self._busy = False
            if not self._closed:
                self._answer_queued()

    def _crashed(self) -> Response:
        traceback.print_exc(file=sys.stderr)
        return self._app.error(500, "Internal Server Error")

    def _send(self, request: Request, response: Response) -> None:
        transport = self._transport
        if transport is None or self._closed:
            self._app.finished(request, wire.NO_ANSWER)
            return
        if response.reset:
            self.close_cause = self.close_cause or CloseCause.SERVER_ERROR
            self._reset(transport)
            self._app.finished(request, wire.NO_ANSWER)
            return
        body = response.body
        head = wire.head(response, request.keep_alive, len(body))
        transport.write(head if request.method == "HEAD" or not body else head + body)
        self._app.finished(request, response.status)
        if not request.keep_alive:
            self.close(CloseCause.CLIENT_REQUESTED)

    async def _send_streamed(self, request: Request, response: Response) -> None:
        transport = self._transport
        assert transport is not None and response.stream is not None
        length = response.content_length
        transport.write(wire.head(response, request.keep_alive, length))
        writer = _BodyWriter(self, transport, chunked=length is None)
        status = response.status
        try:
            await response.stream(writer)
            if length is None:
                await writer.write_raw(wire.LAST_CHUNK)
        except ConnectionError:
            status = wire.NO_ANSWER
        except Exception:  # noqa: BLE001 - the head is out: the body can only be cut short
            traceback.print_exc(file=sys.stderr)
            status = wire.NO_ANSWER
            self.close_cause = self.close_cause or CloseCause.SERVER_ERROR
            transport.abort()
        self._app.finished(request, status)
        if not request.keep_alive:
            self.close(CloseCause.CLIENT_REQUESTED)

    async def drain(self) -> None:
        if self._closed:
            raise ConnectionResetError("client went away")
        if self._writable is not None and not self._writable.is_set():
            await self._writable.wait()
            if self._closed:
                raise ConnectionResetError("client went away")

    def _refuse(self, status: int, description: str) -> None:
        """Answer a request the parser could not take, then close: the stream is out of sync."""
        transport = self._transport
        if transport is None or self._closed:
            return
        response = self._app.error(status, description)
        transport.write(wire.head(response, False, len(response.body)) + response.body)
        self.close(CloseCause.SERVER_ERROR)

    @staticmethod
    def _reset(transport: asyncio.Transport) -> None:
        sock: Any = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()


class _BodyWriter:
    def __init__(self, connection: HttpConnection, transport: asyncio.Transport, chunked: bool) -> None:
        self._connection = connection
        self._transport = transport
        self._chunked = chunked

    async def write(self, chunk: bytes) -> None:
        if chunk:
            await self.write_raw(wire.chunk(chunk) if self._chunked else chunk)

    async def write_raw(self, data: bytes) -> None:
        await self._connection.drain()
        self._transport.write(data)
