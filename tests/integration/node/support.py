"""Running the Node test client (client.js) and a small recording HTTP(S) server for it to call."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness.interception import LeafFiles
from harness.target import append_node_options

ROOT = Path(__file__).resolve().parents[3]
CLIENT_JS = Path(__file__).with_name("client.js")
BOT_NODE_MODULES = ROOT / "examples" / "reference-bot" / "node_modules"


@dataclass
class Arrival:
    client_port: int
    path: str
    host_header: str
    sni: str | None


@dataclass
class Recorder:
    arrivals: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client_ports(self) -> set[int]:
        with self.lock:
            return {arrival.client_port for arrival in self.arrivals}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RecordingServer

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        sni = getattr(self.connection, "soak_sni", None)
        arrival = Arrival(self.client_address[1], self.path, self.headers.get("host", ""), sni)
        with self.server.recorder.lock:
            self.server.recorder.arrivals.append(arrival)
        body = json.dumps({"ok": True, "path": self.path, "host": arrival.host_header, "sni": sni}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True
    recorder: Recorder


def _remember_sni(sock: ssl.SSLSocket | ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
    sock.soak_sni = name  # type: ignore[union-attr]


@contextmanager
def recording_server(leaf: LeafFiles | None = None) -> Iterator[tuple[int, Recorder]]:
    """A keep-alive HTTP/1.1 server on 127.0.0.1:0 (TLS with leaf) recording each request."""
    server = _RecordingServer(("127.0.0.1", 0), _Handler)
    server.recorder = Recorder()
    if leaf is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(leaf.cert_file, leaf.key_file)
        context.sni_callback = _remember_sni
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.recorder
    finally:
        server.shutdown()
        server.server_close()


def node_env(extra: Mapping[str, str], node_options: tuple[str, ...] = ()) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    env.pop("NODE_OPTIONS", None)
    env.update({"NODE_PATH": str(BOT_NODE_MODULES), **extra})
    append_node_options(env, *node_options)
    return env


def run_client(spec: dict[str, Any], env: Mapping[str, str], timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """Run client.js once with spec; return its per-request outcomes."""
    done = subprocess.run(
        ["node", str(CLIENT_JS), json.dumps(spec)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"client.js exited {done.returncode}: {done.stderr[-2000:]}")
    results: list[dict[str, Any]] = json.loads(done.stdout)["results"]
    return results
