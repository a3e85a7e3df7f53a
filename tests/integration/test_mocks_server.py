"""The mocks' HTTP/1.1 server over raw loopback sockets: ordering, framing, limits, errors, accounting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from mocks.common.app import MockApp
from mocks.server.listen import listen
from mocks.server.message import BodyWriter, Request, Response, json_response

MAX_BODY_BYTES = 1024


def _shape(status: int, description: str, retry_after_s: int | None) -> dict[str, Any]:
    return {"error": description, "status": status}


def _app() -> MockApp:
    app = MockApp("test", _shape, (), None, MAX_BODY_BYTES)

    def echo(request: Request) -> Response:
        return json_response({"n": request.query.get("n"), "bytes": len(request.body)})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.05)
        return json_response({"n": request.query.get("n")})

    def crash(request: Request) -> Response:
        raise RuntimeError("handler bug")

    def streamed(request: Request) -> Response:
        async def write(writer: BodyWriter) -> None:
            for piece in (b"abc", b"defg", b"h"):
                await writer.write(piece)

        return Response(content_type="text/plain", stream=write)

    def broken_stream(request: Request) -> Response:
        async def write(writer: BodyWriter) -> None:
            await writer.write(b"part")
            raise RuntimeError("stream bug")

        return Response(stream=write)

    app.route("GET", "/broken-stream", broken_stream, "broken_stream")
    app.route("*", "/echo", echo, "echo")
    app.route("GET", "/slow", slow, "slow")
    app.route("GET", "/crash", crash, "crash")
    app.route("GET", "/stream", streamed, "stream")
    return app


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                return status, headers, body
    return status, headers, await reader.readexactly(int(headers.get("content-length", "0")))


Scenario = Callable[[MockApp, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _run(scenario: Scenario) -> MockApp:
    async def main() -> MockApp:
        app = _app()
        await app.start()
        server, port = await listen(app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await asyncio.wait_for(scenario(app, reader, writer), timeout=10)
        finally:
            writer.close()
            server.close()
            await app.close()
        return app

    return asyncio.run(main())


def test_pipelined_requests_are_answered_in_order_behind_a_slow_one() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET /slow?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n")
        first, second = await _read_response(reader), await _read_response(reader)
        assert first[2] == b'{"n": "1"}'
        assert second[2] == b'{"n": "2", "bytes": 0}'

    app = _run(scenario)
    assert app.state.connections.snapshot()["requests"] == 2


def test_chunked_request_body_is_assembled() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n!!!\r\n0\r\n\r\n"
        )
        status, _, body = await _read_response(reader)
        assert status == 200 and body == b'{"n": null, "bytes": 8}'

    _run(scenario)


def test_too_large_body_gets_413_and_100_continue_is_sent_for_the_rest() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"abcd")
        assert (await _read_response(reader))[2] == b'{"n": null, "bytes": 4}'
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1))
        status, headers, _ = await _read_response(reader)
        assert status == 413 and headers["connection"] == "close"
        assert await reader.read() == b""  # closed by the server

    _run(scenario)


def test_malformed_request_gets_400_and_the_connection_closes() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        status, _, body = await _read_response(reader)
        assert status == 400 and b"malformed" in body
        assert await reader.read() == b""

    _run(scenario)


def test_handler_crash_answers_500_and_the_connection_lives_on() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET /crash HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await _read_response(reader))[0] == 500
        writer.write(b"GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await _read_response(reader))[0] == 200

    app = _run(scenario)
    assert app.state.stats.snapshot()["routes"] == {"crash": {"500": 1}, "echo": {"200": 1}}
    assert app.state.stats.in_flight == 0


def test_stream_that_fails_midway_cuts_the_connection_and_is_accounted() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET /broken-stream HTTP/1.1\r\nHost: x\r\n\r\n")
        received = await reader.read()  # until the server cuts the connection
        assert received.startswith(b"HTTP/1.1 200 OK") and not received.endswith(b"0\r\n\r\n")

    app = _run(scenario)
    assert app.state.stats.snapshot()["routes"] == {"broken_stream": {"499": 1}}
    assert app.state.stats.in_flight == 0


def test_head_has_length_but_no_body_and_http10_closes() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Content-Length: 23" in head
        writer.write(b"GET /echo?n=4 HTTP/1.0\r\n\r\n")
        status, headers, body = await _read_response(reader)
        assert status == 200 and headers["connection"] == "close" and body.startswith(b'{"n": "4"')
        assert await reader.read() == b""

    _run(scenario)


def test_streamed_body_is_chunked_and_unknown_paths_are_404() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = await _read_response(reader)
        assert status == 200 and headers["transfer-encoding"] == "chunked" and body == b"abcdefgh"
        writer.write(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await _read_response(reader))[0] == 404

    _run(scenario)


def test_closed_connection_is_accounted_by_its_request_count() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for n in range(3):
            writer.write(b"GET /echo?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
            await _read_response(reader)
        writer.close()
        await writer.wait_closed()
        for _ in range(100):
            if not app.state.connections.live:
                break
            await asyncio.sleep(0.01)

    connections = _run(scenario).state.connections.snapshot()
    assert connections["opened"] == 1 and connections["open"] == 0
    assert connections["closed_by_requests"] == {"le_4": 1}


def test_idle_connections_are_closed_and_busy_ones_kept() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        await _read_response(reader)
        writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.01)
        assert app.close_idle(0.0) == 0  # a request in progress keeps its connection
        await _read_response(reader)
        assert app.close_idle(0.0) == 1
        assert await reader.read() == b""

    _run(scenario)


def test_oversized_request_head_gets_431() -> None:
    async def scenario(app: MockApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
        status, headers, _ = await _read_response(reader)
        assert status == 431 and headers["connection"] == "close"

    _run(scenario)
