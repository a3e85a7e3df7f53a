"""The sock_diag readers: the inode-only reader against the full one on this machine's sockets,
and its array fast path on received buffers of mixed and equal message lengths."""

from __future__ import annotations

import socket
import struct

import numpy as np
import numpy.typing as npt
import pytest

from harness.collector.procfs import TcpState
from harness.collector.sockdiag import (
    ALL_STATES,
    NLMSG_DONE,
    NLMSG_ERROR,
    SOCK_DIAG_BY_FAMILY,
    _buffer_inodes,
    state_mask,
    tcp_inodes,
    tcp_sockets,
)


def _message(inode: int, extra: int = 0) -> bytes:
    """One socket message: header, inet_diag_msg (72 bytes, inode at 68), extra attribute bytes."""
    body = bytearray(72 + extra)
    body[1] = 1  # ESTABLISHED
    struct.pack_into("=I", body, 68, inode)
    return struct.pack("=IHHII", 16 + len(body), SOCK_DIAG_BY_FAMILY, 2, 1, 0) + bytes(body)


_DONE = struct.pack("=IHHII", 20, NLMSG_DONE, 2, 1, 0) + b"\0" * 4


def _read(data: bytes) -> tuple[list[int], bool]:
    found: list[npt.NDArray[np.uint32]] = []
    done = _buffer_inodes(data, found)
    return [int(inode) for part in found for inode in part], done


def test_equal_and_mixed_message_lengths_give_every_inode_in_order() -> None:
    equal = b"".join(_message(100 + i, 36) for i in range(50))
    assert _read(equal) == ([100 + i for i in range(50)], False)
    # A run of one length, then shorter messages (orphaned sockets), then the end of the dump.
    mixed = equal + _message(7, 8) + _message(0, 8) + _message(9, 36) + _DONE
    assert _read(mixed) == ([*(100 + i for i in range(50)), 7, 0, 9], True)
    assert _read(_DONE) == ([], True)


def test_an_error_message_is_raised() -> None:
    error = struct.pack("=IHHIIi", 20, NLMSG_ERROR, 0, 1, 0, -1)
    with pytest.raises(OSError):
        _read(_message(5) + error)


def test_inodes_match_the_full_reader_toward_a_port() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    accepted = [listener.accept()[0] for _ in clients]
    clients[0].close()  # leaves the established set: FIN_WAIT2 on this side, CLOSE_WAIT on the other
    established = state_mask(TcpState.ESTABLISHED)
    try:
        fast = tcp_inodes(established, port)
        full = {entry.inode for entry in tcp_sockets(established, port)}
        everything = tcp_inodes(ALL_STATES, port)
    finally:
        for sock in [*clients, *accepted, listener]:
            sock.close()
    assert len(fast) == 39 and fast == full
    assert len(everything) == 39  # the closed socket is in FIN_WAIT2 with no inode: left out
