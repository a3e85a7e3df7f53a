"""The mocks' multipart/form-data splitter and their router."""

from mocks.server import multipart
from mocks.server.routing import Route, Router

BOUNDARY = "----soakBoundary42"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _body(*parts: bytes) -> bytes:
    return b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + part + b"\r\n" for part in parts) + (
        b"--" + BOUNDARY.encode() + b"--\r\n"
    )


def test_parts_keep_names_filenames_and_exact_bytes() -> None:
    audio = b"OggS\r\n\r\n--not-a-boundary\x00\xff"
    body = _body(
        b'Content-Disposition: form-data; name="chat_id"\r\n\r\n4400123',
        b'Content-Disposition: form-data; name="voice"; filename="reply.ogg"\r\nContent-Type: audio/ogg\r\n\r\n'
        + audio,
    )
    parts = multipart.parse(body, CONTENT_TYPE)
    assert parts is not None
    assert [(p.name, p.filename) for p in parts] == [("chat_id", None), ("voice", "reply.ogg")]
    assert parts[0].data == b"4400123" and parts[1].data == audio


def test_quoted_boundary_and_preamble_are_accepted() -> None:
    body = b"preamble\r\n" + _body(b'Content-Disposition: form-data; name="model_id"\r\n\r\nscribe_v1')
    parts = multipart.parse(body, f'multipart/form-data; boundary="{BOUNDARY}"')
    assert parts is not None and parts[0].data == b"scribe_v1"


def test_broken_bodies_are_refused() -> None:
    whole = _body(b'Content-Disposition: form-data; name="a"\r\n\r\n1')
    assert multipart.parse(whole, "application/json") is None
    assert multipart.parse(whole, "multipart/form-data") is None  # no boundary
    assert multipart.parse(whole[: -len(BOUNDARY) - 8], CONTENT_TYPE) is None  # no closing delimiter
    assert multipart.parse(_body(b"Content-Type: text/plain\r\n\r\n1"), CONTENT_TYPE) is None  # no name
    assert multipart.parse(b"no delimiter at all", CONTENT_TYPE) is None


def _router() -> Router:
    router = Router()
    for name, method, path in [
        ("send", "*", "/bot{token}/sendMessage"),
        ("voice", "POST", "/bot{token}/sendVoice"),
        ("file", "GET", "/file/bot{token}/{path:.+}"),
        ("health", "GET", "/health"),
        ("unknown", "*", "/{tail:.*}"),
    ]:
        router.add(method, path, Route(name, lambda request: None))  # type: ignore[arg-type,return-value]
    return router


def test_router_matches_exact_then_patterns_and_falls_through_on_method() -> None:
    router = _router()

    def name(method: str, path: str) -> tuple[str, dict[str, str]]:
        found = router.resolve(method, path)
        assert found is not None
        return found[0].name, found[1]

    assert name("GET", "/health") == ("health", {})
    assert name("POST", "/bot1:a/sendMessage") == ("send", {"token": "1:a"})
    assert name("GET", "/file/bot1:a/voice/x.oga") == ("file", {"token": "1:a", "path": "voice/x.oga"})
    # A path whose route wants another method goes on to the catch-all, as Telegram answers it.
    assert name("GET", "/bot1:a/sendVoice")[0] == "unknown"
    assert name("POST", "/bot1:a/sendMessage/extra")[0] == "unknown"
    assert Router().resolve("GET", "/") is None
