"""Gives the C allocator's free memory back to the kernel now and then (glibc's malloc_trim).

A burst of TLS connections (a service whose event loop lagged opens a hundred at once) takes tens of
MiB of OpenSSL and uvloop buffers, freed when the connections close. glibc keeps those pages: the
mocks' live memory fell back to ~16 MiB after each burst while their heap's resident pages climbed
towards its high-water mark, ~60 MiB/h over a 12-minute run of the self-soak benchmark. Trimming
returns free pages only (retention, not live objects), costs about a millisecond, and is skipped
where the C library has no malloc_trim (musl, macOS).
"""

from __future__ import annotations

import asyncio
import ctypes
from collections.abc import Callable

TRIM_EVERY_S = 30.0


def find_trim() -> Callable[[], int] | None:
    """malloc_trim(0) of the running process's C library, or None without one."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int

    def trim_all() -> int:
        released: int = trim(0)
        return released

    return trim_all


async def trim_forever(every_s: float = TRIM_EVERY_S) -> None:
    """Runs until cancelled; does nothing where the C library cannot trim."""
    trim = find_trim()
    if trim is None:
        return
    while True:
        await asyncio.sleep(every_s)
        trim()
