"""What each interception mode adds to the target's start: environment, Node flags, a proxy process.

`node-preload` maps the real hostnames to the mocks' TLS ports inside the Node process, `proxy`
starts the loopback proxy and points the proxy variables at it, `base-url` sets the variables a
profile names to the mocks' URLs. Every mode trusts the run CA through NODE_EXTRA_CA_CERTS, and
every mode loads the same preload into a Node target as its egress guard (in `proxy` and
`base-url` with an empty map: it redirects nothing and refuses what is not loopback); a target that
is not Node cannot load it, and the report says that nothing guarded its egress.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.interception.ca import RunTls
from harness.interception.proxy import ProxyConfig, ProxyRoute
from harness.procs import Child, HarnessError, start_child, wait_until

PRELOAD_JS = Path(__file__).with_name("preload.js")
LOOPBACK_NO_PROXY = "localhost,127.0.0.1,::1"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
PROXY_POOLING_NOTE = (
    "proxy mode: clients that tunnel with CONNECT may open one tunnel per request, so connection "
    "counts at the mocks do not show the target's own pooling (use node-preload to judge pooling)"
)


class InterceptionMode(StrEnum):
    NODE_PRELOAD = "node-preload"
    PROXY = "proxy"
    BASE_URL = "base-url"


@dataclass(frozen=True)
class Redirect:
    """One hard-coded upstream: the mock that stands in for it and the name the target calls."""

    mock: str  # key in the mocks' ready file: "telegram", "elevenlabs"
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class TargetInterception:
    env: dict[str, str]
    node_options: tuple[str, ...] = ()
    record: dict[str, Any] = field(default_factory=dict)
    proxy: Child | None = None


def parse_redirects(hosts: Mapping[str, str]) -> list[Redirect]:
    """{"telegram": "api.telegram.org:443"} -> redirects; a missing port means 443."""
    redirects = []
    for mock, text in hosts.items():
        host, _, port = text.partition(":")
        redirects.append(Redirect(mock=mock, host=host.lower(), port=int(port or 443)))
    return redirects


def _loopback_address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def _mock_url(mock_urls: Mapping[str, str], key: str) -> str:
    if key not in mock_urls:
        raise HarnessError(f"interception: the mocks serve no {key!r} (have {', '.join(sorted(mock_urls))})")
    return mock_urls[key]


def _common_env(tls: RunTls, blank: tuple[str, ...]) -> dict[str, str]:
    # Overrides whatever the developer's shell holds, so a run never depends on it.
    env = {name: "" for name in blank}
    env["NODE_EXTRA_CA_CERTS"] = str(tls.ca_cert_file)
    return env


PRELOAD_OPTIONS = (f"--require {PRELOAD_JS}",)


@dataclass(frozen=True)
class Guard:
    """Where the preload records refusals, and the run's start to stamp them with."""

    events_file: Path
    t0_epoch: float

    def env(self, routes: Mapping[str, str]) -> dict[str, str]:
        return {
            "SOAK_INTERCEPT_MAP": json.dumps(dict(routes), sort_keys=True),
            "SOAK_EVENTS_FILE": str(self.events_file),
            "SOAK_EVENTS_T0": f"{self.t0_epoch:.6f}",
        }


def node_preload(
    redirects: list[Redirect], mock_urls: Mapping[str, str], tls: RunTls, guard: Guard
) -> TargetInterception:
    routes = {r.address: _loopback_address(_mock_url(mock_urls, f"{r.mock}_tls")) for r in redirects}
    env = _common_env(tls, PROXY_VARIABLES)
    env.update(guard.env(routes))
    record = {"mode": InterceptionMode.NODE_PRELOAD.value, "routes": routes, "preload": str(PRELOAD_JS)}
    return TargetInterception(env=env, node_options=PRELOAD_OPTIONS, record=record)


def base_url(
    redirects: list[Redirect], base_url_env: Mapping[str, str], mock_urls: Mapping[str, str], tls: RunTls, guard: Guard
) -> TargetInterception:
    env = _common_env(tls, PROXY_VARIABLES)
    env.update(guard.env({}))
    for redirect in redirects:
        if redirect.mock in base_url_env:
            env[base_url_env[redirect.mock]] = _mock_url(mock_urls, f"{redirect.mock}_tls")
    record = {
        "mode": InterceptionMode.BASE_URL.value,
        "variables": {k: env[k] for k in base_url_env.values()},
        "preload": str(PRELOAD_JS),
    }
    return TargetInterception(env=env, node_options=PRELOAD_OPTIONS, record=record)


def start_proxy(config: ProxyConfig, run_dir: Path, timeout_s: float = 20.0) -> tuple[Child, str]:
    config_path = run_dir / "proxy-config.json"
    config_path.write_text(config.model_dump_json(), encoding="utf-8")
    ready_file = run_dir / "proxy-ready.json"
    ready_file.unlink(missing_ok=True)  # a stale one would announce a proxy that is gone
    argv = [sys.executable, "-m", "harness.interception", "--config", str(config_path)]
    child = start_child("proxy", [*argv, "--ready-file", str(ready_file)], log_path=run_dir / "proxy.log")
    try:
        wait_until(ready_file.exists, child, timeout_s, "serving")
    except HarnessError:
        child.stop()
        raise
    url: str = json.loads(ready_file.read_text(encoding="utf-8"))["url"]
    return child, url


def proxy(
    redirects: list[Redirect], mock_urls: Mapping[str, str], tls: RunTls, *, run_dir: Path, guard: Guard
) -> TargetInterception:
    routes = {
        r.address: ProxyRoute(
            plain=_loopback_address(_mock_url(mock_urls, r.mock)),
            tls=_loopback_address(_mock_url(mock_urls, f"{r.mock}_tls")),
        )
        for r in redirects
    }
    config = ProxyConfig(routes=routes, events_file=str(guard.events_file), events_t0=guard.t0_epoch)
    child, url = start_proxy(config, run_dir)
    env = _common_env(tls, ())
    env.update(guard.env({}))
    env.update({name: url for name in PROXY_VARIABLES})
    env.update({"NO_PROXY": LOOPBACK_NO_PROXY, "no_proxy": LOOPBACK_NO_PROXY})
    record = {
        "mode": InterceptionMode.PROXY.value,
        "proxy_url": url,
        "proxy_pid": child.pid,
        "routes": {address: route.model_dump() for address, route in routes.items()},
        "note": PROXY_POOLING_NOTE,
        "preload": str(PRELOAD_JS),
    }
    return TargetInterception(env=env, node_options=PRELOAD_OPTIONS, record=record, proxy=child)


def activate(
    mode: InterceptionMode,
    redirects: list[Redirect],
    *,
    base_url_env: Mapping[str, str],
    mock_urls: Mapping[str, str],
    tls: RunTls,
    run_dir: Path,
    events_file: Path,
    t0_epoch: float,
) -> TargetInterception:
    """Everything the target needs for mode; in proxy mode the caller must stop `proxy`."""
    guard = Guard(events_file, t0_epoch)
    if mode is InterceptionMode.BASE_URL:
        return base_url(redirects, base_url_env, mock_urls, tls, guard)
    if mode is InterceptionMode.PROXY:
        return proxy(redirects, mock_urls, tls, run_dir=run_dir, guard=guard)
    return node_preload(redirects, mock_urls, tls, guard)
