"""Memory of the mocks under bursts of TLS connections, as a Node service whose event loop lags
opens them (one keep-alive agent, 5 s idle timeout, 20-160 requests at once every 2-8 s, a steady
trickle between): RSS over time, its slope after a warm-up, with the mocks' periodic malloc_trim on
and off in the same run. This traffic grew the mocks' RSS by ~440 MiB/h before closed connections
were freed at once and free heap pages handed back. `make bench` runs a short version; judge
`python -m benchmarks.mocks_tls_bursts --duration-s 600`.
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
from mocks.config import MocksConfig, TelegramConfig, TlsFiles

SAMPLE_EVERY_S = 5.0
WARMUP_SHARE = 0.3
MIB = 2**20

BURSTS_JS = r"""
const https = require('https');
const [url, token, durationS] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, timeout: 5000, rejectUnauthorized: false });
let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const endAt = Date.now() + Number(durationS) * 1000;
let done = 0, errors = 0, n = 0;
function call(path, body) {
  return new Promise((resolve) => {
    const data = body ? JSON.stringify(body) : null;
    const headers = data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {};
    const req = https.request(url + path, { agent, method: data ? 'POST' : 'GET', headers }, (res) => {
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
    await call(`/bot${token}/getFile`, { file_id: 'f' + i });
    await call(`/file/bot${token}/voice/f${i}.oga`);
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
burst(); trickle(); trickle();
setTimeout(() => { console.log(JSON.stringify({ done, errors })); process.exit(0); }, Number(durationS) * 1000 + 2000);
"""


def _tls_files(work: Path) -> TlsFiles:
    cert = trustme.CA().issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(work / "key.pem"))
    for blob in cert.cert_chain_pems:
        blob.write_to_path(str(work / "chain.pem"), append=True)
    return TlsFiles(cert_file=str(work / "chain.pem"), key_file=str(work / "key.pem"))


def measure(duration_s: float, trim_every_s: float, work: Path) -> dict[str, float]:
    """One mocks process under the bursts: RSS samples reduced to start, end, peak and slope."""
    config = MocksConfig(telegram=TelegramConfig(tls=_tls_files(work)), correlation_file=str(work / "calls.jsonl"))
    config_file, ready = work / "mocks.json", work / f"ready-{trim_every_s:g}.json"
    config_file.write_text(config.model_dump_json())
    env = {**os.environ, "SOAK_MOCKS_TRIM_EVERY_S": str(trim_every_s)}
    argv = [sys.executable, "-m", "mocks", "--config", str(config_file), "--ready-file", str(ready)]
    mocks = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        url = json.loads(ready.read_text())["telegram_tls"]
        (work / "bursts.js").write_text(BURSTS_JS, encoding="utf-8")
        client = subprocess.Popen(["node", str(work / "bursts.js"), url, config.telegram.token, str(duration_s)],
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        started, samples = time.monotonic(), []
        while client.poll() is None:
            samples.append((time.monotonic() - started, float(rss_bytes(mocks.pid))))
            time.sleep(SAMPLE_EVERY_S)
        done = json.loads(client.communicate()[0])
    finally:
        mocks.terminate()
        mocks.wait(timeout=10)
    steady = [(t, rss) for t, rss in samples if t >= WARMUP_SHARE * duration_s]
    slope = theilslopes([rss for _, rss in steady], [t for t, _ in steady]).slope if len(steady) > 2 else 0.0
    rss = [r for _, r in samples]
    return {"requests": done["done"], "errors": done["errors"], "start_mib": rss[0] / MIB, "end_mib": rss[-1] / MIB,
            "peak_mib": max(rss) / MIB, "slope_mib_per_h": slope * 3600 / MIB}  # fmt: skip


def main(duration_s: float = 120.0) -> None:
    print(f"mocks under TLS connection bursts: {duration_s:.0f} s each, RSS slope after {WARMUP_SHARE:.0%} (Theil-Sen)")
    with tempfile.TemporaryDirectory(prefix="soak-bench-bursts-") as tmp:
        for label, trim_every_s in (("malloc_trim every 30 s (shipped)", 30.0), ("no malloc_trim", 0.0)):
            f = measure(duration_s, trim_every_s, Path(tmp))
            print(f"  {label:34} {f['requests']:8,.0f} requests ({f['errors']:.0f} errors), "
                  f"RSS {f['start_mib']:.1f} -> {f['end_mib']:.1f} MiB (peak {f['peak_mib']:.1f}), "
                  f"slope {f['slope_mib_per_h']:+.1f} MiB/h")  # fmt: skip
    if duration_s < 300:
        print("  (a short run's slope is mostly the first bursts' high-water mark; judge --duration-s 600)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration-s", type=float, default=120.0)
    main(parser.parse_args().duration_s)
