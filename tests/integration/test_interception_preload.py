"""The Node preload, in a real Node 20 process: redirection by real name, certificate checks,
keep-alive pooling left alone, and the egress guard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.interception import PRELOAD_JS, RunTls, build_run_tls
from tests.integration.node.support import Recorder, node_env, recording_server, run_client

REAL = "api.telegram.org"
CLIENTS = ["axios", "https", "fetch"]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> RunTls:
    return build_run_tls(tmp_path_factory.mktemp("ca") / "tls", [REAL])


@pytest.fixture
def server(tls: RunTls) -> Iterator[tuple[int, Recorder]]:
    with recording_server(tls.leaf(REAL)) as served:
        yield served


def _env(port: int, tls: RunTls | None, events: Path, extra_routes: dict[str, str] | None = None) -> dict[str, str]:
    routes = {f"{REAL}:443": f"127.0.0.1:{port}", **(extra_routes or {})}
    extra = {"SOAK_INTERCEPT_MAP": json.dumps(routes), "SOAK_EVENTS_FILE": str(events), "SOAK_EVENTS_T0": "0"}
    if tls is not None:
        extra["NODE_EXTRA_CA_CERTS"] = str(tls.ca_cert_file)
    return node_env(extra, (f"--require {PRELOAD_JS}",))


def _events(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("client", CLIENTS)
def test_real_name_reaches_the_loopback_server_with_sni_and_host(
    client: str, server: tuple[int, Recorder], tls: RunTls, tmp_path: Path
) -> None:
    port, recorder = server
    spec = {"client": client, "url": f"https://{REAL}/bot1/sendMessage", "method": "POST", "body": {"chat_id": 1}}
    (result,) = run_client(spec, _env(port, tls, tmp_path / "events.jsonl"))
    assert result["ok"] is True and result["status"] == 200, result
    (arrival,) = recorder.arrivals
    assert (arrival.path, arrival.host_header, arrival.sni) == ("/bot1/sendMessage", REAL, REAL)
    assert [e["event"] for e in _events(tmp_path / "events.jsonl")] == ["preload_active"]


@pytest.mark.parametrize("client", CLIENTS)
def test_certificate_checks_stay_on(client: str, server: tuple[int, Recorder], tls: RunTls, tmp_path: Path) -> None:
    port, recorder = server
    # A mapped name the server's certificate does not carry is rejected...
    env = _env(port, tls, tmp_path / "events.jsonl", {"wrong.example.test:443": f"127.0.0.1:{port}"})
    (mismatch,) = run_client({"client": client, "url": "https://wrong.example.test/x"}, env)
    assert mismatch["ok"] is False and mismatch["code"] == "ERR_TLS_CERT_ALTNAME_INVALID", mismatch
    # ...and so is the right name when the run CA is not trusted.
    (untrusted,) = run_client({"client": client, "url": f"https://{REAL}/x"}, _env(port, None, tmp_path / "e2"))
    assert untrusted["ok"] is False and untrusted["code"] == "UNABLE_TO_VERIFY_LEAF_SIGNATURE", untrusted
    assert recorder.arrivals == []


@pytest.mark.parametrize(("keep_alive", "connections"), [(True, 1), (False, 50)])
def test_axios_keep_alive_pooling_shows_through(
    keep_alive: bool, connections: int, server: tuple[int, Recorder], tls: RunTls, tmp_path: Path
) -> None:
    port, recorder = server
    spec = {"client": "axios", "url": f"https://{REAL}/bot1/getMe", "count": 50, "keepAlive": keep_alive}
    results = run_client(spec, _env(port, tls, tmp_path / "events.jsonl"))
    assert [r["status"] for r in results] == [200] * 50
    assert len(recorder.arrivals) == 50
    assert len(recorder.client_ports()) == connections


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("host", ["example.com", "93.184.215.14", "api.telegram.org.evil.test"])
def test_unmapped_hosts_are_refused_and_recorded(
    client: str, host: str, server: tuple[int, Recorder], tls: RunTls, tmp_path: Path
) -> None:
    port, recorder = server
    events = tmp_path / "events.jsonl"
    (result,) = run_client({"client": client, "url": f"https://{host}/leak"}, _env(port, tls, events))
    assert result["ok"] is False and result["code"] == "ESOAKEGRESS", result
    assert f"refused connection to {host}:443" in result["message"]
    refused = [e for e in _events(events) if e["event"] == "egress_refused"]
    assert [(e["host"], e["port"]) for e in refused] == [(host, 443)]
    # A JSON number: a whole second serialises without a fraction (it flaked once in CI as an int).
    assert isinstance(refused[0]["t_s"], int | float) and refused[0]["t_s"] > 0
    assert recorder.arrivals == []


def test_unmapped_port_of_a_mapped_host_is_refused(server: tuple[int, Recorder], tls: RunTls, tmp_path: Path) -> None:
    port, _recorder = server
    (result,) = run_client({"client": "axios", "url": f"http://{REAL}/plain"}, _env(port, tls, tmp_path / "ev"))
    assert result["code"] == "ESOAKEGRESS" and f"{REAL}:80" in result["message"]


def test_loopback_stays_direct(tls: RunTls, tmp_path: Path) -> None:
    with recording_server() as (plain_port, recorder):
        env = _env(1, tls, tmp_path / "events.jsonl")
        for host in ("127.0.0.1", "localhost"):
            (result,) = run_client({"client": "axios", "url": f"http://{host}:{plain_port}/health"}, env)
            assert result["ok"] is True and result["status"] == 200, result
    assert len(recorder.arrivals) == 2


def test_a_broken_map_stops_node_at_start(tmp_path: Path) -> None:
    env = node_env({"SOAK_INTERCEPT_MAP": "{not json"}, (f"--require {PRELOAD_JS}",))
    with pytest.raises(AssertionError, match="SOAK_INTERCEPT_MAP is not JSON"):
        run_client({"client": "https", "url": "https://127.0.0.1:1/"}, env)
