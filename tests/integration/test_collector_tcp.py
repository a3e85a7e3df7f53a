"""The TCP probe against real sockets: CLOSE_WAIT held by a Node process and named by peer,
and system-wide TIME_WAIT toward a mock's port."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator

import pytest

from harness.collector import metrics
from harness.collector.procfs import fd_census
from harness.collector.tcp_probe import TcpProbe

CLOSE_WAITS = 6
TIME_WAITS = 9
# Connects to a port with allowHalfOpen and never ends its side: when the peer closes, each
# socket sits in CLOSE_WAIT, the classic leak of a client that forgets to destroy().
HALF_OPEN = """
const net = require("net");
const port = Number(process.argv[1]), count = Number(process.argv[2]), held = [];
let closed = 0;
for (let i = 0; i < count; i++) {
  const s = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  s.on("end", () => { if (++closed === count) console.log("ready"); });
  held.push(s);
}
setTimeout(() => process.exit(0), 60000);
"""


@pytest.fixture
def closing_listener() -> Iterator[int]:
    """Accepts connections and closes them at once."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_close_wait_by_peer_and_time_wait_to_mocks(closing_listener: int) -> None:
    node = subprocess.Popen(
        ["node", "-e", HALF_OPEN, str(closing_listener), str(CLOSE_WAITS)], stdout=subprocess.PIPE, text=True
    )
    mock = socket.create_server(("127.0.0.1", 0))
    mock_port = mock.getsockname()[1]
    try:
        assert node.stdout is not None and node.stdout.readline().strip() == "ready"
        for _ in range(TIME_WAITS):
            # We close first, so our side goes to TIME_WAIT toward the mock's port.
            client = socket.create_connection(("127.0.0.1", mock_port))
            accepted, _ = mock.accept()
            client.close()
            accepted.close()
        probe = TcpProbe(
            node.pid,
            lambda: fd_census(node.pid).socket_inodes,
            peers={closing_listener: "cursor-runner", mock_port: "telegram"},
            inbound_ports=frozenset(),
            mock_ports=frozenset({mock_port}),
        )
        first = probe.sample()
        values = probe.sample()
    finally:
        node.kill()
        node.wait()
        mock.close()
    assert values[metrics.TCP_CLOSE_WAIT] == CLOSE_WAITS
    # Held: the same sockets at two readings (none at the first, which has nothing before it).
    assert first[metrics.TCP_CLOSE_WAIT_HELD] == 0 and values[metrics.TCP_CLOSE_WAIT_HELD] == CLOSE_WAITS
    assert values[metrics.tcp_by_state("CLOSE_WAIT")] == CLOSE_WAITS
    assert values[metrics.tcp_by_peer("cursor-runner")] == CLOSE_WAITS
    assert values[metrics.tcp_by_peer("telegram")] == 0
    assert values[metrics.TIME_WAIT_TO_MOCKS] == TIME_WAITS
    ports = probe.local_ports("cursor-runner")
    assert ports is not None and len(ports) == CLOSE_WAITS
