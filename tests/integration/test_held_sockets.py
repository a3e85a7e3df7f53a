"""HeldSockets on this very process and a child: right counts with few fd links read, a socket
moved to an fd number far above the others found from the listing, another process's socket
known as foreign."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from harness.collector.held_sockets import HeldSockets
from harness.collector.procfs import TcpState
from harness.collector.sockdiag import state_mask, tcp_inodes

ESTABLISHED = state_mask(TcpState.ESTABLISHED)
_OTHER = """
import socket, sys
held = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("ok", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    try:
        yield server
    finally:
        server.close()


def test_counts_follow_the_sockets_reading_only_what_changed(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    accepted = [listener.accept()[0] for _ in clients]
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    # The child would be of this process's tree: left out of it, it stands for another process.
    held = HeldSockets(os.getpid(), exclude=frozenset({other.pid}))
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "ok"
        accepted.append(listener.accept()[0])
        first = held.held(tcp_inodes(ESTABLISHED, port))
        steady = held.held(tcp_inodes(ESTABLISHED, port))
        clients += [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        grown = held.held(tcp_inodes(ESTABLISHED, port))
        fds_then = len(_fds())
        # A new socket moved far past every other fd: only the fd listing finds it.
        fresh = socket.create_connection(("127.0.0.1", port)).detach()
        far = os.dup2(fresh, max(_fds()) + 600)
        os.close(fresh)
        moved = held.held(tcp_inodes(ESTABLISHED, port))
        for client in clients[:3]:
            client.close()
        shrunk = held.held(tcp_inodes(ESTABLISHED, port))
        os.close(far)
    finally:
        other.kill()
        other.wait()
        for sock in [*clients, *accepted]:
            sock.close()
    # The other process's socket is established toward the port too, and never counted.
    assert [len(h.inodes) for h in (first, steady, grown, moved, shrunk)] == [20, 20, 25, 26, 23]
    assert first.fds_read >= 20
    assert steady.fds_read == 0  # nothing new: no fd link read, the foreign socket not looked for again
    assert 5 <= grown.fds_read < fds_then  # not every fd: where new ones go, and a few past them
    assert shrunk.fds_read == 0  # closing leaves nothing to look for


def _fds() -> list[int]:
    return [int(name) for name in os.listdir("/proc/self/fd")]
