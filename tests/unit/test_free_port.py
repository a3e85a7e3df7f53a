"""free_port picks a loopback port under the kernel's ephemeral range, where no outgoing
connection can take it between soak's pick and the service's listen."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from harness import procs


def test_ports_are_picked_under_the_ephemeral_range_and_are_free() -> None:
    span = procs._ephemeral_range()
    if span is None or span[0] - procs.LOWEST_PICKED_PORT < 1_000:
        pytest.skip("no room under this kernel's ephemeral range")
    ports = {procs.free_port() for _ in range(50)}
    assert all(procs.LOWEST_PICKED_PORT <= port < span[0] for port in ports)
    assert len(ports) > 40  # at random, so two runs starting together rarely pick the same
    port = ports.pop()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()


class _Scripted:
    """Stands in for SystemRandom: the ports to try, in order."""

    def __init__(self, ports: list[int]) -> None:
        self._ports = iter(ports)

    def randrange(self, start: int, stop: int) -> int:
        port = next(self._ports)
        assert start <= port < stop
        return port


def test_a_port_in_use_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    span = procs._ephemeral_range()
    if span is None or span[0] - procs.LOWEST_PICKED_PORT < 1_000:
        pytest.skip("no room under this kernel's ephemeral range")
    busy, free = procs.free_port(), procs.free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", busy))
        held.listen()
        monkeypatch.setattr(procs.random, "SystemRandom", lambda: _Scripted([busy, free]))
        assert procs.free_port() == free


def test_without_the_kernel_range_it_falls_back_to_port_zero(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(procs, "EPHEMERAL_RANGE", tmp_path / "missing")
    port = procs.free_port()
    assert 0 < port < 65_536
