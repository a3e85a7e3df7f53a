"""The egress guard beyond HTTP clients, in a real Node process: a "localhost" name a custom lookup
sends elsewhere, and UDP (send in both forms, connect), each refused before a packet leaves and
recorded; loopback stays reachable."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.interception import PRELOAD_JS
from tests.integration.node.support import node_env

PROBE_JS = Path(__file__).parent / "node" / "egress_probe.js"
TEST_NET = "192.0.2.1"  # TEST-NET-1: never routed; a packet there would hang, not fail at once


@pytest.fixture
def udp_server() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        yield server


@pytest.fixture
def tcp_server() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


def probe(tmp_path: Path, *args: object) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    events = tmp_path / "events.jsonl"
    env = node_env({"SOAK_INTERCEPT_MAP": "{}", "SOAK_EVENTS_FILE": str(events)}, (f"--require {PRELOAD_JS}",))
    done = subprocess.run(["node", str(PROBE_JS), *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=30, check=True)  # fmt: skip
    recorded = [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
    return json.loads(done.stdout), [e for e in recorded if e["event"] == "egress_refused"]


def test_a_custom_lookup_cannot_send_localhost_off_the_machine(tmp_path: Path, tcp_server: socket.socket) -> None:
    port = tcp_server.getsockname()[1]
    result, refused = probe(tmp_path, "tcp-lookup-away", port)
    assert result == {"kind": "tcp-lookup-away", "ok": False, "code": "ESOAKEGRESS"}
    assert [(e["host"], e["port"], e["resolved"]) for e in refused] == [("localhost", port, TEST_NET)]
    result, refused = probe(tmp_path / "direct", "tcp-localhost", port)
    assert result["ok"] is True and result["remote"] == "127.0.0.1" and refused == []


@pytest.mark.parametrize("kind", ["udp-send", "udp-send-long", "udp-connect"])
def test_udp_off_the_machine_is_refused(tmp_path: Path, kind: str, udp_server: socket.socket) -> None:
    result, refused = probe(tmp_path, kind, TEST_NET, 5353)
    assert result == {"kind": kind, "ok": False, "code": "ESOAKEGRESS"}
    assert [(e["host"], e["port"], e["protocol"]) for e in refused] == [(TEST_NET, 5353, "udp")]


@pytest.mark.parametrize("kind", ["udp-send", "udp-send-long", "udp-connect"])
def test_udp_to_loopback_arrives(tmp_path: Path, kind: str, udp_server: socket.socket) -> None:
    port = udp_server.getsockname()[1]
    for host in ("127.0.0.1", "localhost"):
        result, refused = probe(tmp_path / host, kind, host, port)
        assert result["ok"] is True and refused == [], result
        assert udp_server.recvfrom(100)[0] == f"soak-{kind}".encode()


def test_udp_localhost_goes_to_loopback_whatever_the_lookup(tmp_path: Path, udp_server: socket.socket) -> None:
    port = udp_server.getsockname()[1]
    result, refused = probe(tmp_path, "udp-lookup-away", port)
    assert result["ok"] is True and refused == []
    assert udp_server.recvfrom(100)[0] == b"soak-udp-lookup-away"
