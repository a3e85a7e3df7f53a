"""A Node load generator on raw sockets (faster than any Python client on one core), and a minimal
Node http server as the baseline; both are JavaScript sources run with `node`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

# Closed loop (keep-alive or Connection: close, `concurrency` requests outstanding) or open loop
# (`rate` per second; latency counts from the scheduled send, so queueing is not hidden).
LOADGEN_JS = r"""
const net = require('net');
const [host, port, path, token, mode, concurrency, durationS, rate] = process.argv.slice(2);
const body = JSON.stringify({ chat_id: 4400123, text: 'load test message', parse_mode: 'HTML' });
const close = mode === 'close';
const request = Buffer.from(`POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`);
const endAt = process.hrtime.bigint() + BigInt(Math.round(Number(durationS) * 1e9));
let done = 0, errors = 0, non2xx = 0;
const latenciesUs = [];
const idle = [], backlog = [];
let open = 0;
function connect(onReady) {
  const sock = net.connect(Number(port), host);
  sock.setNoDelay(true);
  let buf = Buffer.alloc(0), need = -1, headerEnd = -1, started = 0n, status = 0, busy = false;
  const conn = { send(t0) { started = t0; busy = true; sock.write(request); } };
  sock.on('connect', () => { open++; onReady(conn); });
  sock.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (true) {
      if (headerEnd < 0) {
        headerEnd = buf.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = buf.toString('latin1', 0, headerEnd);
        status = Number(head.slice(9, 12));
        const m = /content-length: *(\d+)/i.exec(head);
        need = headerEnd + 4 + (m ? Number(m[1]) : 0);
      }
      if (buf.length < need) return;
      buf = buf.subarray(need); headerEnd = -1; busy = false;
      finish(conn, started, status);
      if (close) return;
    }
  });
  sock.on('error', () => { errors++; });
  sock.on('close', () => { open--; if (busy) { errors++; busy = false; next(null); } });
  conn.sock = sock;
  return conn;
}
function finish(conn, t0, status) {
  done++;
  if (status < 200 || status > 299) non2xx++;
  if (latenciesUs.length < 2000000) latenciesUs.push(Number(process.hrtime.bigint() - t0) / 1000);
  next(close ? null : conn);
}
function next(conn) {
  if (process.hrtime.bigint() >= endAt) { if (conn) conn.sock.destroy(); return; }
  if (rate !== 'closed') { if (conn) { if (backlog.length) conn.send(backlog.shift()); else idle.push(conn); } return; }
  if (conn) conn.send(process.hrtime.bigint()); else connect((c) => c.send(process.hrtime.bigint()));
}
function report() {
  latenciesUs.sort((a, b) => a - b);
  const n = latenciesUs.length;
  const q = (p) => (n ? latenciesUs[Math.min(n - 1, Math.floor(p * n))] : null);
  console.log(JSON.stringify({ done, errors, non2xx, seconds: Number(durationS), p50_us: q(0.5), p99_us: q(0.99) }));
  process.exit(0);
}
if (rate === 'closed') {
  for (let i = 0; i < Number(concurrency); i++) next(null);
} else {
  for (let i = 0; i < Number(concurrency); i++) connect((c) => idle.push(c));
  const intervalNs = BigInt(Math.round(1e9 / Number(rate)));
  let due = process.hrtime.bigint() + 200000000n;
  const tick = () => {
    const now = process.hrtime.bigint();
    while (due <= now && due < endAt) {
      const c = idle.pop();
      if (c) c.send(due); else backlog.push(due);
      due += intervalNs;
    }
    if (now < endAt) setImmediate(tick);
  };
  setImmediate(tick);
}
setTimeout(report, Number(durationS) * 1000 + 700);
"""

# The same body sendMessage answers with, from a bare Node http server: the speed ceiling here.
NODE_SERVER_JS = r"""
const http = require('http');
const fs = require('fs');
const reply = JSON.stringify({ ok: true, result: { message_id: 9001, date: 1767000200,
  chat: { id: 4400123, type: 'private' }, text: 'load test message' } });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(reply) });
    res.end(reply);
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(process.argv[2], JSON.stringify({ telegram: `http://127.0.0.1:${server.address().port}` }));
});
"""


def write_scripts(directory: Path) -> tuple[Path, Path]:
    loadgen, server = directory / "loadgen.js", directory / "node_server.js"
    loadgen.write_text(LOADGEN_JS, encoding="utf-8")
    server.write_text(NODE_SERVER_JS, encoding="utf-8")
    return loadgen, server


def run_load(
    loadgen: Path, url: str, path: str, *, mode: str, concurrency: int, duration_s: float, rate: str, cpu: str
) -> dict[str, Any]:
    """One load phase from `node`, pinned to `cpu`; returns done, errors, p50_us, p99_us."""
    host, port = url.removeprefix("http://").split(":")
    argv = ["taskset", "-c", cpu, "node", str(loadgen), host, port, path, "-", mode, str(concurrency)]
    argv += [str(duration_s), rate]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 30, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result
