"""What a mock handler receives (a fully read request) and returns (a response, maybe streamed)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from mocks.server.connection import HttpConnection


class BodyWriter(Protocol):
    async def write(self, chunk: bytes) -> None: ...


# Writes a response body piece by piece (chunked, dribbled); the server has sent the head already.
StreamBody = Callable[[BodyWriter], Awaitable[None]]


@dataclass(slots=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    # Set: the body is written by this function, chunked unless content_length is given.
    stream: StreamBody | None = None
    content_length: int | None = None
    # Set: no answer at all, the connection is reset (TCP RST).
    reset: bool = False


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes
    keep_alive: bool
    connection: HttpConnection
    match: dict[str, str] = field(default_factory=dict)
    route: str = ""  # the accounted route's name; "" for admin routes
    started_s: float = 0.0
    connection_seq: int = 0  # which of the mock's connections carried it (for reuse records)
    # Correlation keys a handler attaches (chat id, file id, request id...), and whether the
    # request broke the upstream's API (a contract violation by the service under test).
    corr: dict[str, object] | None = None
    violation: bool = False
    fault: str = ""  # the injected fault kinds that hit it ("" when none did)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True)) if self.query_string else {}

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body as a dict (last value wins)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        """The body as JSON; ValueError when it does not parse."""
        return json.loads(self.body)


def json_response(payload: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status=status, body=json.dumps(payload).encode(), headers=headers)
