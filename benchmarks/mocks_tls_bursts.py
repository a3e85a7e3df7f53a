"""Memory of the mocks under bursts of TLS connections, as a Node service whose event loop lags
opens them (one keep-alive agent, 5 s idle timeout, 20-160 requests at once every 2-8 s, a steady
trickle between; a cursor-runner job for every fourth, its callback to a Node server on a connection
of its own): RSS over time, its slope after a warm-up, with allocator settings side by side. This
traffic grew the mocks' RSS by ~440 MiB/h before closed connections were freed at once and free heap
pages handed back. `make bench` runs a short version; judge `--duration-s 600`. A random run's slope
mostly follows which bursts came late; `--cycle-s 60 --repeated-files` sends the same burst every
minute and nothing between, and each cycle's lowest RSS (the floor) is what the bursts left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme
from scipy.stats import theilslopes

from benchmarks.mocks_memory import rss_bytes
from mocks.common.allocator import TRIM_ENV
from mocks.config import CursorRunnerConfig, MocksConfig, TelegramConfig, TlsFiles

SAMPLE_EVERY_S = 5.0
WARMUP_SHARE = 0.3
MIB = 2**20

BURSTS_JS = r"""
const https = require('https');
const http = require('http');
const [url, token, durationS, cursorUrl, uniqueFiles, cycleS] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, timeout: 5000, rejectUnauthorized: false });
const plainAgent = new http.Agent({ keepAlive: true, timeout: 5000 });
// The callbacks' receiver: a Node server with its defaults (keep-alive, 5 s timeout).
let callbacks = 0;
const sink = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { callbacks++; res.end('{"ok":true}'); });
});
let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const endAt = Date.now() + Number(durationS) * 1000;
let done = 0, errors = 0, n = 0;
function call(path, body, base = url) {
  return new Promise((resolve) => {
    const data = body ? JSON.stringify(body) : null;
    const headers = data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {};
    const [lib, via] = base.startsWith('https') ? [https, agent] : [http, plainAgent];
    const req = lib.request(base + path, { agent: via, method: data ? 'POST' : 'GET', headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => { done++; resolve(); });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end(data || undefined);
  });
}
async function one(i) {
  await call(`/bot${token}/sendMessage`, { chat_id: 1000 + (i % 50), text: 'burst ' + i });
  if (i % 3 === 0) {
    // Unique file ids, as each new voice note of a user; or a few ids sent again and again.
    const fileId = uniqueFiles === '1' ? 'f' + i : 'f' + (i % 50);
    await call(`/bot${token}/getFile`, { file_id: fileId });
    await call(`/file/bot${token}/voice/${fileId}.oga`);
  }
  if (i % 4 === 0) {
    const callbackUrl = `http://127.0.0.1:${sink.address().port}/cursor-runner/callback`;
    await call('/cursor/iterate', { id: 'job-' + i, prompt: 'burst ' + i, callbackUrl }, cursorUrl);
  }
}
async function burst() {
  if (Date.now() >= endAt) return;
  const size = 20 + Math.floor(rand() * 140);
  await Promise.all(Array.from({ length: size }, () => one(n++)));
  setTimeout(burst, 2000 + rand() * 6000);
}
async function trickle() {
  if (Date.now() >= endAt) return;
  await one(n++);
  setTimeout(trickle, 20);
}
// Cycles: the same burst every cycleS seconds and nothing between, so its connections close (5 s idle)
// and a trim runs before the next: what is resident then is what the bursts left behind.
async function cycle() {
  if (Date.now() >= endAt) return;
  setTimeout(cycle, Number(cycleS) * 1000);
  await Promise.all(Array.from({ length: 160 }, () => one(n++)));
}
sink.listen(0, '127.0.0.1', () => {
  if (Number(cycleS) > 0) { cycle(); } else { burst(); trickle(); trickle(); }
});
setTimeout(() => {
  console.log(JSON.stringify({ done, errors, callbacks }));
  process.exit(0);
}, Number(durationS) * 1000 + 2000);
"""


def _tls_files(work: Path) -> TlsFiles:
    cert = trustme.CA().issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(work / "key.pem"))
    for blob in cert.cert_chain_pems:
        blob.write_to_path(str(work / "chain.pem"), append=True)
    return TlsFiles(cert_file=str(work / "chain.pem"), key_file=str(work / "key.pem"))


def _config(work: Path) -> MocksConfig:
    """Telegram over TLS; cursor-runner as the self-soak sets it (a callback 20 ms after each 20 ms job)."""
    cursor_runner = CursorRunnerConfig(mode="sync+callback", latency="20 ms", callback_delay="20 ms", max_concurrent=64)
    return MocksConfig(telegram=TelegramConfig(tls=_tls_files(work)), cursor_runner=cursor_runner,
                       correlation_file=str(work / "calls.jsonl"))  # fmt: skip


def _start_mocks(work: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], dict[str, str], MocksConfig]:
    config = _config(work)
    config_file, ready = work / "mocks.json", work / "ready.json"
    config_file.write_text(config.model_dump_json())
    argv = [sys.executable, "-m", "mocks", "--config", str(config_file), "--ready-file", str(ready)]
    mocks = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60  # a starved machine imports slowly
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not ready.exists():
        mocks.kill()
        raise RuntimeError("the mocks never announced themselves")
    return mocks, json.loads(ready.read_text()), config


def _stop(mocks: subprocess.Popen[bytes]) -> None:
    mocks.terminate()
    try:
        mocks.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a starved machine: it never got to its shutdown
        mocks.kill()
        mocks.wait()


def measure(
    duration_s: float, env: dict[str, str], work: Path, unique_files: bool = True, cycle_s: float = 0.0
) -> dict[str, float]:
    """One mocks process (its environment plus env) under the bursts: RSS reduced to start, end, peak,
    slope; with cycle_s, also each cycle's lowest RSS (the floor between bursts) and its slope."""
    work.mkdir(parents=True, exist_ok=True)
    mocks, urls, config = _start_mocks(work, env)
    try:
        (work / "bursts.js").write_text(BURSTS_JS, encoding="utf-8")
        argv = ["node", str(work / "bursts.js"), urls["telegram_tls"], config.telegram.token, str(duration_s),
                urls["cursor_runner"], "1" if unique_files else "0", str(cycle_s)]  # fmt: skip
        client = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        started, samples = time.monotonic(), []
        while client.poll() is None:
            samples.append((time.monotonic() - started, float(rss_bytes(mocks.pid))))
            time.sleep(SAMPLE_EVERY_S if cycle_s <= 0 else 1.0)
        done = json.loads(client.communicate()[0])
    finally:
        _stop(mocks)
    rss = [r for _, r in samples]
    figures = {"requests": done["done"], "errors": done["errors"], "callbacks": done["callbacks"],
               "start_mib": rss[0] / MIB, "end_mib": rss[-1] / MIB, "peak_mib": max(rss) / MIB,
               "slope_mib_per_h": _slope_per_h([s for s in samples if s[0] >= WARMUP_SHARE * duration_s])}  # fmt: skip
    if cycle_s > 0:
        figures.update(_floors(samples, cycle_s, duration_s))
    return figures


def _slope_per_h(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 3:
        return 0.0
    return float(theilslopes([rss for _, rss in samples], [t for t, _ in samples]).slope) * 3600 / MIB


def _floors(samples: list[tuple[float, float]], cycle_s: float, duration_s: float) -> dict[str, float]:
    """Each whole cycle's lowest RSS after the first (the warm-up): first, last and Theil-Sen slope."""
    floors = []
    for index in range(1, int(duration_s // cycle_s)):
        inside = [(t, rss) for t, rss in samples if index * cycle_s <= t < (index + 1) * cycle_s]
        if inside:
            floors.append(min(inside, key=lambda sample: sample[1]))
    if not floors:
        return {}
    return {"floor_first_mib": floors[0][1] / MIB, "floor_last_mib": floors[-1][1] / MIB,
            "floor_slope_mib_per_h": _slope_per_h(floors)}  # fmt: skip


# Label -> the mocks' extra environment (the allocator settings tried against the shipped ones).
VARIANTS: dict[str, dict[str, str]] = {
    "as shipped": {},
    "no malloc_trim": {TRIM_ENV: "0"},
    "malloc_trim every 5 s": {TRIM_ENV: "5"},
    "MALLOC_ARENA_MAX=2": {"MALLOC_ARENA_MAX": "2"},
    "MALLOC_MMAP_THRESHOLD_=131072": {"MALLOC_MMAP_THRESHOLD_": "131072"},
}
DEFAULT_VARIANTS = ("as shipped", "no malloc_trim")


def _line(label: str, f: dict[str, float]) -> str:
    line = (f"  {label:30} {f['requests']:7,.0f} requests ({f['errors']:.0f} errors), "
            f"{f['callbacks']:5,.0f} callbacks, RSS {f['start_mib']:.1f} -> {f['end_mib']:.1f} MiB "
            f"(peak {f['peak_mib']:.1f}), slope {f['slope_mib_per_h']:+.1f} MiB/h")  # fmt: skip
    if "floor_first_mib" in f:
        line += (f"; floor {f['floor_first_mib']:.2f} -> {f['floor_last_mib']:.2f} MiB, "
                 f"{f['floor_slope_mib_per_h']:+.1f} MiB/h")  # fmt: skip
    return line


def main(
    duration_s: float = 120.0,
    variants: tuple[str, ...] = DEFAULT_VARIANTS,
    unique_files: bool = True,
    cycle_s: float = 0.0,
) -> None:
    shape = f"a 160-request burst every {cycle_s:g} s" if cycle_s > 0 else "bursts of 20-160 and a trickle"
    print(f"mocks under TLS connection bursts ({shape}): {duration_s:.0f} s each, RSS slope after "
          f"{WARMUP_SHARE:.0%} (Theil-Sen)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="soak-bench-bursts-") as tmp:
        for index, label in enumerate(variants):
            print(_line(label, measure(duration_s, VARIANTS[label], Path(tmp) / str(index), unique_files, cycle_s)))
    if duration_s < 300:
        print("  (a short run's slope is mostly the first bursts' high-water mark; judge --duration-s 600)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration-s", type=float, default=120.0)
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="default: shipped, no trim")
    parser.add_argument("--repeated-files", action="store_true", help="50 file ids again and again, not new ones")
    parser.add_argument("--cycle-s", type=float, default=0.0, help="the same burst every N s, nothing between")
    arguments = parser.parse_args()
    main(arguments.duration_s, tuple(arguments.variant or DEFAULT_VARIANTS), not arguments.repeated_files,
         arguments.cycle_s)  # fmt: skip
