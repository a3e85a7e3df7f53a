"""The loopback proxy of `proxy` mode, with a real Node client: refusals, certificate checks through
a tunnel, NO_PROXY, and what the proxy does to connection counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.interception import RunTls, build_run_tls
from harness.interception.modes import LOOPBACK_NO_PROXY, start_proxy
from harness.interception.proxy import ProxyConfig, ProxyRoute
from harness.procs import free_port, port_open
from tests.integration.node.support import Recorder, node_env, recording_server, run_client

REAL = "api.telegram.org"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> RunTls:
    return build_run_tls(tmp_path_factory.mktemp("ca") / "tls", [REAL])


@pytest.fixture
def servers(tls: RunTls) -> Iterator[tuple[tuple[int, Recorder], tuple[int, Recorder]]]:
    with recording_server() as plain, recording_server(tls.leaf(REAL)) as secure:
        yield plain, secure


@pytest.fixture
def proxy_url(servers: tuple[tuple[int, Recorder], tuple[int, Recorder]], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    (plain_port, _), (tls_port, _) = servers
    route = ProxyRoute(plain=f"127.0.0.1:{plain_port}", tls=f"127.0.0.1:{tls_port}")
    # wrong.example.test tunnels to a server whose certificate names only api.telegram.org.
    routes = {f"{REAL}:443": route, "wrong.example.test:443": route}
    events = tmp_path / "events.jsonl"
    child, url = start_proxy(ProxyConfig(routes=routes, events_file=str(events), events_t0=0.0), tmp_path)
    yield url, events
    child.stop()


def _env(tls: RunTls, proxy: str) -> dict[str, str]:
    proxies = {name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY")}
    return node_env({"NODE_EXTRA_CA_CERTS": str(tls.ca_cert_file), "NO_PROXY": LOOPBACK_NO_PROXY, **proxies})


def test_axios_absolute_form_keeps_its_pooling_through_the_proxy(
    servers: tuple[tuple[int, Recorder], tuple[int, Recorder]], proxy_url: tuple[str, Path], tls: RunTls
) -> None:
    (_, plain), _ = servers
    spec = {"client": "axios", "url": f"https://{REAL}/bot1/sendMessage", "method": "POST", "count": 20}
    results = run_client({**spec, "body": {"chat_id": 1}}, _env(tls, proxy_url[0]))
    assert [r["status"] for r in results] == [200] * 20
    assert {(a.path, a.host_header) for a in plain.arrivals} == {("/bot1/sendMessage", REAL)}
    assert len(plain.arrivals) == 20 and len(plain.client_ports()) == 1


def test_connect_tunnels_are_one_connection_each(
    servers: tuple[tuple[int, Recorder], tuple[int, Recorder]], proxy_url: tuple[str, Path], tls: RunTls
) -> None:
    # The caveat run.json records: a client that tunnels per request shows no pooling at the mock.
    _, (_, secure) = servers
    spec = {"client": "https", "url": f"https://{REAL}/bot1/getMe", "count": 5, "connectProxy": proxy_url[0]}
    results = run_client(spec, _env(tls, proxy_url[0]))
    assert [r["status"] for r in results] == [200] * 5
    assert {a.sni for a in secure.arrivals} == {REAL}
    assert len(secure.client_ports()) == 5


def test_tunnel_keeps_certificate_checks(
    servers: tuple[tuple[int, Recorder], tuple[int, Recorder]], proxy_url: tuple[str, Path], tls: RunTls
) -> None:
    _, (_, secure) = servers
    spec = {"client": "https", "url": "https://wrong.example.test/x", "connectProxy": proxy_url[0]}
    (result,) = run_client(spec, _env(tls, proxy_url[0]))
    assert result["ok"] is False and result["code"] == "ERR_TLS_CERT_ALTNAME_INVALID", result
    assert secure.arrivals == []


def test_hosts_without_a_route_are_refused_and_recorded(proxy_url: tuple[str, Path], tls: RunTls) -> None:
    url, events = proxy_url
    (by_axios,) = run_client({"client": "axios", "url": "https://example.com/leak"}, _env(tls, url))
    assert by_axios["status"] == 403 and "refused example.com:443" in by_axios["body"]
    spec = {"client": "https", "url": "https://example.org/leak", "connectProxy": url}
    (by_connect,) = run_client(spec, _env(tls, url))
    assert by_connect["ok"] is False and by_connect["code"] == "PROXY_403"
    refused = [json.loads(line) for line in events.read_text().splitlines()]
    assert [(e["event"], e["host"], e["port"], e["via"]) for e in refused] == [
        ("egress_refused", "example.com", 443, "proxy absolute-form request"),
        ("egress_refused", "example.org", 443, "proxy CONNECT"),
    ]


def test_no_proxy_keeps_loopback_direct(proxy_url: tuple[str, Path], tls: RunTls) -> None:
    # The proxy has no route for this loopback server, so only a direct call can succeed.
    with recording_server() as (port, recorder):
        (result,) = run_client({"client": "axios", "url": f"http://127.0.0.1:{port}/health"}, _env(tls, proxy_url[0]))
    assert result["status"] == 200 and len(recorder.arrivals) == 1


def test_a_restarted_proxy_announces_its_own_port(tmp_path: Path) -> None:
    first, _ = start_proxy(ProxyConfig(routes={}), tmp_path)
    first.stop()
    second, url = start_proxy(ProxyConfig(routes={}), tmp_path)
    try:
        assert port_open("127.0.0.1", int(url.rsplit(":", 1)[1]))
    finally:
        second.stop()


def test_a_mock_that_is_down_gives_502(tmp_path: Path, tls: RunTls) -> None:
    closed = f"127.0.0.1:{free_port()}"
    config = ProxyConfig(routes={f"{REAL}:443": ProxyRoute(plain=closed, tls=closed)})
    child, url = start_proxy(config, tmp_path)
    try:
        (by_axios,) = run_client({"client": "axios", "url": f"https://{REAL}/x"}, _env(tls, url))
        spec = {"client": "https", "url": f"https://{REAL}/x", "connectProxy": url}
        (by_connect,) = run_client(spec, _env(tls, url))
    finally:
        child.stop()
    assert by_axios["status"] == 502 and "unreachable" in by_axios["body"]
    assert by_connect["code"] == "PROXY_502"
