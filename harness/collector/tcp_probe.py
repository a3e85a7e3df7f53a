"""TCP probe (slow cadence): the target's sockets by state and by named peer.

Sockets come from a sock_diag dump (see sockdiag.py; /proc/net/tcp where netlink is missing)
and are matched to the target through the inodes of its fd links, so no psutil
net_connections() walk is needed. TIME_WAIT sockets belong to no process: they are counted
system-wide toward the mocks' ports, as a connection-churn signal.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping

from harness.collector import metrics
from harness.collector.procfs import TcpEntry, TcpState, tcp_table
from harness.collector.sockdiag import ALL_STATES, state_mask, tcp_sockets
from harness.collector.store import Metric, Value
from vocab.upstreams import Peer

TIME_WAIT = state_mask(TcpState.TIME_WAIT)
LIVE_STATES = ALL_STATES & ~TIME_WAIT
INBOUND, INSPECTOR, OTHER = Peer.INBOUND, Peer.INSPECTOR, Peer.OTHER


class TcpProbe:
    """peers maps a remote port to an upstream's name; inbound_ports are the target's listeners;
    connections to the inspector's port are the collector's own and named apart."""

    name = "tcp"

    def __init__(
        self,
        root_pid: int,
        socket_inodes: Callable[[], frozenset[int]],
        peers: Mapping[int, str],
        *,
        inbound_ports: frozenset[int],
        mock_ports: frozenset[int],
        inspector_port: int | None = None,
    ) -> None:
        self._root_pid = root_pid
        self._socket_inodes = socket_inodes
        self._peers = dict(peers)
        self._inbound_ports = inbound_ports
        self._mock_ports = mock_ports
        self._inspector_port = inspector_port
        self._lock = threading.Lock()
        self._local_ports: dict[str, frozenset[int]] | None = None
        # A socket its peer closed stays in CLOSE_WAIT until the target closes it too: for a moment
        # on a busy service, for ever on a leak. Counts alone cannot tell a socket held between two
        # readings from two passing ones (readings on a loaded machine come 5-20 s apart).
        self._close_wait: frozenset[int] = frozenset()

    def local_ports(self, peer: str) -> frozenset[int] | None:
        """The target's local ports of its connections to peer as of the last sample; None
        before the first sample."""
        with self._lock:
            if self._local_ports is None:
                return None
            return self._local_ports.get(peer, frozenset())

    def _tables(self) -> tuple[list[TcpEntry], int]:
        """Live sockets (all but TIME_WAIT) and the TIME_WAIT count toward the mocks' ports."""
        try:
            live = tcp_sockets(LIVE_STATES)
            time_wait = sum(len(tcp_sockets(TIME_WAIT, port)) for port in self._mock_ports)
        except OSError:  # no sock_diag here: the text table, which costs more
            table = tcp_table(self._root_pid)
            live = [e for e in table if e.state is not TcpState.TIME_WAIT]
            time_wait = sum(1 for e in table if e.state is TcpState.TIME_WAIT and e.remote_port in self._mock_ports)
        return live, time_wait

    def sample(self) -> dict[Metric, Value]:
        live, time_wait_to_mocks = self._tables()
        inodes = self._socket_inodes()
        states: Counter[TcpState] = Counter()
        by_peer: Counter[str] = Counter()
        local_ports: dict[str, set[int]] = {}
        close_wait: set[int] = set()
        for entry in live:
            if entry.inode not in inodes:
                continue
            states[entry.state] += 1
            if entry.state is TcpState.CLOSE_WAIT:
                close_wait.add(entry.inode)
            if entry.state is not TcpState.LISTEN:
                peer = self._peer(entry.local_port, entry.remote_port)
                by_peer[peer] += 1
                local_ports.setdefault(peer, set()).add(entry.local_port)
        with self._lock:
            self._local_ports = {peer: frozenset(ports) for peer, ports in local_ports.items()}
        held = len(close_wait & self._close_wait)
        self._close_wait = frozenset(close_wait)
        return {**self._values(states, by_peer, time_wait_to_mocks), metrics.TCP_CLOSE_WAIT_HELD: float(held)}

    def _peer(self, local_port: int, remote_port: int) -> str:
        if local_port in self._inbound_ports:
            return INBOUND
        if local_port == self._inspector_port:
            return INSPECTOR  # the collector's own inspector session, kept apart from the target's
        return self._peers.get(remote_port, OTHER)

    def _values(self, states: Counter[TcpState], by_peer: Counter[str], time_wait: int) -> dict[Metric, Value]:
        values: dict[Metric, Value] = {
            metrics.TCP: float(sum(states.values())),
            metrics.TCP_CLOSE_WAIT: float(states[TcpState.CLOSE_WAIT]),
            metrics.TIME_WAIT_TO_MOCKS: float(time_wait),
        }
        for state in TcpState:
            values[metrics.tcp_by_state(state.value)] = float(states[state])
        for peer in {*self._peers.values(), INBOUND, OTHER, *([INSPECTOR] if self._inspector_port else [])}:
            values[metrics.tcp_by_peer(peer)] = float(by_peer[peer])
        return values
