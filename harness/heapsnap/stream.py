"""A forward-only reader of one big JSON document, token by token, over a bounded byte buffer.

A .heapsnapshot is one JSON object whose flat integer arrays (nodes, edges) and string table
can each be hundreds of MB, more than the heap they describe. json.load would hold it whole;
ijson 3.6 (yajl2_c) reads its numbers at ~3 M/s here, one Python object each. This reader parses
the integer arrays a buffer at a time with numpy (~30 M/s measured here) and yields the string
table's elements as raw tokens, so the caller decodes only the few strings it keeps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

CHUNK_BYTES = 4 << 20
# One element (a string) longer than this is taken as a broken file, not read into memory whole.
MAX_TOKEN_BYTES = 64 << 20
_WS = frozenset(b" \t\r\n")
# A JSON string, unrolled so long strings do not backtrack char by char.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_ELEMENT = re.compile(rb'\s*("[^"\\]*(?:\\.[^"\\]*)*")\s*([,\]])', re.DOTALL)
_STRUCTURE = re.compile(rb'["\[\]{}]')
_LITERAL_END = re.compile(rb"[\s,\]}]")


class SnapshotFormatError(Exception):
    """The file is not a heap snapshot this reader understands; the message is one line."""


class JsonStream:
    """Reads a JSON document from a binary file in CHUNK_BYTES pieces; `pos` indexes `buf`."""

    def __init__(self, handle: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._handle = handle
        self._chunk_bytes = chunk_bytes
        self.buf = b""
        self.pos = 0
        self._eof = False
        self._dropped = 0  # bytes before buf[0], for error offsets

    def offset(self) -> int:
        return self._dropped + self.pos

    def fail(self, what: str) -> SnapshotFormatError:
        return SnapshotFormatError(f"{what} at byte {self.offset()}")

    def fill(self) -> bool:
        """Append the next piece of the file to the unread part; False at end of file."""
        if self._eof:
            return False
        if len(self.buf) - self.pos > MAX_TOKEN_BYTES:
            raise self.fail(f"no token ends within {MAX_TOKEN_BYTES >> 20} MiB")
        data = self._handle.read(self._chunk_bytes)
        if not data:
            self._eof = True
            return False
        self._dropped += self.pos
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        return True

    def peek(self) -> int:
        """The next non-blank byte (not consumed), or -1 at end of file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return -1

    def expect(self, char: bytes) -> None:
        if self.peek() != char[0]:
            raise self.fail(f"expected {char.decode()!r}")
        self.pos += 1

    def string_token(self) -> bytes:
        """The next JSON string, quotes included, not decoded."""
        if self.peek() != ord('"'):
            raise self.fail("expected a string")
        while True:
            match = _STRING.match(self.buf, self.pos)
            if match is not None:  # a match always ends at its closing quote: it is whole
                self.pos = match.end()
                return match.group()
            if not self.fill():
                raise self.fail("unterminated string")

    def string(self) -> str:
        return decode_string(self.string_token())

    def raw_value(self) -> bytes:
        """A whole JSON value as bytes: for the small parts of the document (its `snapshot` header)."""
        self.peek()
        start = self.pos
        self._skip(keep=True)
        return self.buf[start : self.pos]

    def skip_value(self) -> None:
        self._skip(keep=False)

    def _skip(self, *, keep: bool) -> None:
        """Pass one value; keep=True never drops the buffer's consumed part (the caller slices it)."""
        first = self.peek()
        if first not in (ord("["), ord("{")):
            self._skip_literal(keep)
            return
        depth = 0
        while True:
            match = _STRUCTURE.search(self.buf, self.pos)
            if match is None:
                self.pos = len(self.buf) if not keep else self.pos
                if not self._more(keep):
                    raise self.fail("unterminated array or object")
                continue
            self.pos = match.start()
            char = self.buf[self.pos]
            if char == ord('"'):
                string = _STRING.match(self.buf, self.pos)
                if string is None:
                    if not self._more(keep):
                        raise self.fail("unterminated string")
                    continue
                self.pos = string.end()
            else:
                self.pos += 1
                depth += 1 if char in (ord("["), ord("{")) else -1
            if depth == 0:
                return

    def _skip_literal(self, keep: bool) -> None:
        while True:
            match = _LITERAL_END.search(self.buf, self.pos)
            if match is not None:
                self.pos = match.start()
                return
            if not self._more(keep):
                self.pos = len(self.buf)
                return

    def _more(self, keep: bool) -> bool:
        """Read on; while a value is being kept, grow the buffer instead of dropping its start."""
        if not keep:
            return self.fill()
        if self._eof:
            return False
        data = self._handle.read(self._chunk_bytes)
        if not data:
            self._eof = True
            return False
        self.buf += data
        return True

    def integers(self) -> Iterator[NDArray[np.int64]]:
        """The elements of a flat integer array, a buffer at a time; consumes the array."""
        self.expect(b"[")
        while True:
            end = self.buf.find(b"]", self.pos)
            if end >= 0:
                yield _parse_integers(self, self.buf[self.pos : end])
                self.pos = end + 1
                return
            cut = self.buf.rfind(b",", self.pos)
            if cut >= 0:
                yield _parse_integers(self, self.buf[self.pos : cut])
                self.pos = cut + 1
            if not self.fill():
                raise self.fail("unterminated integer array")

    def string_tokens(self) -> Iterator[bytes]:
        """The raw elements of an array of strings; consumes the array."""
        self.expect(b"[")
        if self.peek() == ord("]"):
            self.pos += 1
            return
        while True:
            for match in _ELEMENT.finditer(self.buf, self.pos):
                if match.start() != self.pos:
                    break  # not an element here: more bytes may complete it, or it is malformed
                self.pos = match.end()
                yield match.group(1)
                if match.group(2) == b"]":
                    return
            if not self.fill():
                raise self.fail("malformed or unterminated string table")


def _parse_integers(stream: JsonStream, text: bytes) -> NDArray[np.int64]:
    # One trailing comma before ']' or an empty element is malformed; numpy would skip it.
    if not text.strip():
        return np.empty(0, dtype=np.int64)
    try:
        values = np.fromstring(text, dtype=np.int64, sep=",")
    except ValueError:
        raise stream.fail("not an integer array") from None
    if values.size != text.count(b",") + 1:
        raise stream.fail("not an integer array")
    return values


def decode_string(token: bytes) -> str:
    """A JSON string token as text; lone surrogates (V8 writes them for broken UTF-16) become '?'."""
    if b"\\" not in token:
        return token[1:-1].decode("utf-8", errors="replace")
    text: str = json.loads(token)
    return text.encode("utf-8", errors="replace").decode("utf-8")
