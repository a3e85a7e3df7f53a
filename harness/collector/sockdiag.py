"""TCP sockets from the kernel's sock_diag netlink interface (what `ss` uses).

Reading /proc/net/tcp makes the kernel format every socket of the namespace as text; on a
shared machine that is tens of thousands of TIME_WAIT lines (~200 ms). A netlink dump is
binary and filtered by state in the kernel, so asking for "everything but TIME_WAIT" costs
in proportion to live sockets only.
"""

from __future__ import annotations

import socket
import struct

from harness.collector.procfs import TcpEntry, TcpState

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
INET_DIAG_REQ_BYTECODE = 1
INET_DIAG_BC_D_EQ = 12
_HEADER = struct.Struct("=IHHII")
_REQUEST = struct.Struct("=BBBxI48s")
_STATES = tuple(TcpState)  # kernel numbering starts at 1 (TCP_ESTABLISHED)
ALL_STATES = (1 << (len(_STATES) + 1)) - 2


def state_mask(*states: TcpState) -> int:
    return sum(1 << (_STATES.index(state) + 1) for state in states)


def _dport_filter(port: int) -> bytes:
    """Bytecode accepting sockets whose remote port is port: one D_EQ op (yes: to the end,
    i.e. accept; no: past the end, i.e. reject) followed by the word holding the port."""
    ops = struct.pack("=BBH", INET_DIAG_BC_D_EQ, 8, 12) + struct.pack("=BBH", 0, 0, port)
    return struct.pack("=HH", 4 + len(ops), INET_DIAG_REQ_BYTECODE) + ops


def tcp_sockets(states: int = ALL_STATES, remote_port: int | None = None) -> list[TcpEntry]:
    """Every IPv4 and IPv6 TCP socket of our network namespace in one of the given states
    (and toward remote_port if given, filtered in the kernel)."""
    entries: list[TcpEntry] = []
    extra = b"" if remote_port is None else _dport_filter(remote_port)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as sock:
        for seq, family in enumerate((socket.AF_INET, socket.AF_INET6), start=1):
            body = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, states, b"\0" * 48) + extra
            header = _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
            sock.send(header + body)
            _receive(sock, entries)
    return entries


def _receive(sock: socket.socket, entries: list[TcpEntry]) -> None:
    while True:
        data = sock.recv(1 << 20)
        offset = 0
        while offset + _HEADER.size <= len(data):
            length, kind, _flags, _seq, _pid = _HEADER.unpack_from(data, offset)
            if kind == NLMSG_DONE:
                return
            if kind == NLMSG_ERROR:
                (errno,) = struct.unpack_from("=i", data, offset + _HEADER.size)
                raise OSError(-errno, "sock_diag dump failed")
            entries.append(_entry(data, offset + _HEADER.size))
            offset += (length + 3) & ~3


def _entry(data: bytes, at: int) -> TcpEntry:
    # struct inet_diag_msg: family, state, timer, retrans; sockid (sport, dport big-endian, ...);
    # then expires, rqueue, wqueue, uid, inode.
    state = data[at + 1]
    sport, dport = struct.unpack_from("!HH", data, at + 4)
    (inode,) = struct.unpack_from("=I", data, at + 68)
    return TcpEntry(sport, dport, _STATES[state - 1] if 0 < state <= len(_STATES) else TcpState.CLOSE, inode)
