"""malloc_trim gives freed heap pages back: what the mocks run every TRIM_EVERY_S (glibc only)."""

from __future__ import annotations

import ctypes
import platform
from pathlib import Path

import pytest

from mocks.common.allocator import TRIM_ENV, TRIM_EVERY_S, find_trim, trim_every_s

CHUNK_BYTES = 64 * 1024  # under glibc's mmap threshold: from the heap, like OpenSSL's buffers
CHUNKS = 512  # 32 MiB


def _rss_anon_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_trim_returns_freed_heap_pages_that_free_kept() -> None:
    trim = find_trim()
    assert trim is not None
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    chunks = [libc.malloc(CHUNK_BYTES) for _ in range(CHUNKS)]
    guard = libc.malloc(CHUNK_BYTES)  # above them: free() alone cannot shrink the heap's top
    for chunk in chunks:
        ctypes.memset(chunk, 1, CHUNK_BYTES)
    before_free = _rss_anon_bytes()
    for chunk in chunks:
        libc.free(chunk)
    after_free = _rss_anon_bytes()
    trim()
    after_trim = _rss_anon_bytes()
    libc.free(guard)
    total = CHUNK_BYTES * CHUNKS
    assert before_free - after_free < total / 4  # free kept the pages resident
    assert after_free - after_trim > total * 3 / 4  # trim gave them back


@pytest.mark.parametrize(
    ("text", "expected_s"),
    [("", TRIM_EVERY_S), ("5", 5.0), ("0", 0.0), ("-1", TRIM_EVERY_S), ("soon", TRIM_EVERY_S)],
)
def test_trim_period_from_the_environment(monkeypatch: pytest.MonkeyPatch, text: str, expected_s: float) -> None:
    monkeypatch.setenv(TRIM_ENV, text)
    assert trim_every_s() == expected_s
