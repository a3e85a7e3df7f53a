"""The /proc readers against this very process: its fds and its TCP sockets."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from harness.collector.procfs import FdKind, TcpState, _parse_tcp_line, fd_census, tcp_table


def test_parse_tcp_line_reads_ports_state_and_inode() -> None:
    line = (
        b"   3: 0100007F:1F90 0100007F:D431 08 00000000:00000000 00:00000000 00000000  1000        0 "
        b"424242 1 0000000000000000 20 4 30 10 -1"
    )
    entry = _parse_tcp_line(line)
    assert (entry.local_port, entry.remote_port, entry.state, entry.inode) == (8080, 54321, TcpState.CLOSE_WAIT, 424242)


def test_fd_census_counts_what_this_process_opens(tmp_path: Path) -> None:
    before = fd_census(os.getpid(), str(tmp_path))
    held = [open(tmp_path / f"f{i}", "w") for i in range(3)]  # noqa: SIM115
    read_end, write_end = os.pipe()
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        after = fd_census(os.getpid(), str(tmp_path))
        table = tcp_table(os.getpid())
    finally:
        for handle in held:
            handle.close()
        os.close(read_end)
        os.close(write_end)
        port = listener.getsockname()[1]
        listener.close()
    assert after.by_kind[FdKind.FILE] - before.by_kind[FdKind.FILE] == 3
    assert after.by_kind[FdKind.PIPE] - before.by_kind[FdKind.PIPE] == 2
    assert after.by_kind[FdKind.SOCKET] - before.by_kind[FdKind.SOCKET] == 1
    assert after.files_under_prefix == 3 and before.files_under_prefix == 0
    (new_inode,) = after.socket_inodes - before.socket_inodes
    ours = [entry for entry in table if entry.inode == new_inode]
    assert [(entry.local_port, entry.state) for entry in ours] == [(port, TcpState.LISTEN)]
