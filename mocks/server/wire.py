"""Bytes on the wire: status lines, response heads, chunk framing, and a Date header cached per second."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

from mocks.server.message import Response

SERVER = "soak-mock"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"
_status_lines: dict[int, bytes] = {}


@dataclass(slots=True)
class _DateLines:
    """The Date and Server header lines, made once per second rather than per response."""

    second: int = 0
    lines: bytes = b""


_date = _DateLines()


def status_line(status: int) -> bytes:
    line = _status_lines.get(status)
    if line is None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        line = _status_lines[status] = f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")
    return line


def _date_line() -> bytes:
    now_s = int(time.time())
    if now_s != _date.second:
        _date.second, _date.lines = now_s, f"Date: {formatdate(now_s, usegmt=True)}\r\nServer: {SERVER}\r\n".encode()
    return _date.lines


def head(response: Response, keep_alive: bool, length: int | None) -> bytes:
    """The status line and headers; no Content-Length means a chunked body."""
    parts = [status_line(response.status), _date_line(), b"Content-Type: ", response.content_type.encode("latin-1")]
    if length is None:
        parts.append(b"\r\nTransfer-Encoding: chunked")
    else:
        parts.append(b"\r\nContent-Length: %d" % length)
    for name, value in response.headers:
        parts.append(f"\r\n{name}: {value}".encode("latin-1"))
    parts.append(b"\r\n\r\n" if keep_alive else b"\r\nConnection: close\r\n\r\n")
    return b"".join(parts)


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


# Status recorded when no answer went out (client gone, hang or reset fault).
NO_ANSWER = 499
