"""Gives the C allocator's free memory back to the kernel now and then (glibc's malloc_trim).

A burst of TLS connections (a service whose event loop lagged opens a hundred at once) takes tens of
MiB of OpenSSL and uvloop buffers, freed when the connections close. glibc keeps those pages: the
mocks' live memory fell back to ~16 MiB after each burst while their heap's resident pages climbed
towards its high-water mark, ~60 MiB/h over a 12-minute run of the self-soak benchmark. Trimming
returns free pages only (retention, not live objects), costs about a millisecond, and is skipped
where the C library has no malloc_trim (musl, macOS). SOAK_MOCKS_TRIM_EVERY_S sets the period (0: off,
for comparing; benchmarks/mocks_tls_bursts.py does).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
from collections.abc import Callable

TRIM_EVERY_S = 30.0
TRIM_ENV = "SOAK_MOCKS_TRIM_EVERY_S"


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


def trim_every_s() -> float:
    """The period from SOAK_MOCKS_TRIM_EVERY_S, else TRIM_EVERY_S; 0 turns trimming off."""
    text = os.environ.get(TRIM_ENV, "")
    try:
        every_s = float(text) if text else TRIM_EVERY_S
    except ValueError:
        return TRIM_EVERY_S
    return every_s if every_s >= 0 else TRIM_EVERY_S


async def trim_forever(every_s: float) -> None:
    """Runs until cancelled; does nothing when every_s is 0 or the C library cannot trim."""
    trim = find_trim()
    if trim is None or every_s <= 0:
        return
    while True:
        await asyncio.sleep(every_s)
        trim()
