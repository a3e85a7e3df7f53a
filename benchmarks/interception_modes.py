"""What each interception mode costs a Node client: N sequential axios POSTs to the Telegram mock,
timed inside Node, against base-url over TLS (no interception code in the path) as the baseline.

The with-new-connection rows turn keep-alive off, so every request pays a connect and a TLS
handshake: that is where the preload's hook on Socket#connect runs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from harness.config import InterceptionSection
from harness.interception import InterceptionMode, InterceptionPlan
from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import ElevenLabsConfig, MocksConfig, TelegramConfig
from tests.integration.node.support import CLIENT_JS, node_env

TOKEN = "123456:TEST-soak-token"
REQUESTS = 200
ROUNDS = 5
REAL_BASE = "https://api.telegram.org"


def _median_ms(
    plan: InterceptionPlan, mocks: MocksHandle, mode: InterceptionMode, keep_alive: bool, tmp: Path
) -> float:
    section = InterceptionSection(mode=mode.value)
    side = InterceptionPlan(section=section, redirects=plan.redirects, tls=plan.tls).activate(
        mocks.urls, tmp, tmp / "events.jsonl", 0.0
    )
    base = side.env["TELEGRAM_API_BASE"] if mode is InterceptionMode.BASE_URL else REAL_BASE
    spec = {
        "client": "axios",
        "url": f"{base}/bot{TOKEN}/sendMessage",
        "method": "POST",
        "body": {"chat_id": 1, "text": "bench"},
        "count": REQUESTS,
        "keepAlive": keep_alive,
    }
    env = node_env(side.env, side.node_options)
    try:
        elapsed = []
        for _ in range(ROUNDS):
            done = subprocess.run(
                ["node", str(CLIENT_JS), json.dumps(spec)], env=env, capture_output=True, text=True, check=True
            )
            out = json.loads(done.stdout)
            if any(result.get("status") != 200 for result in out["results"]):
                raise RuntimeError(f"{mode} failed: {out['results'][:1]}")
            elapsed.append(out["elapsedMs"])
        return statistics.median(elapsed)
    finally:
        if side.proxy is not None:
            side.proxy.stop()


def _print_rows(plan: InterceptionPlan, mocks: MocksHandle, keep_alive: bool, tmp: Path) -> None:
    label = "keep-alive" if keep_alive else "new connection per request"
    base_ms = _median_ms(plan, mocks, InterceptionMode.BASE_URL, keep_alive, tmp)
    for mode in InterceptionMode:
        ms = base_ms if mode is InterceptionMode.BASE_URL else _median_ms(plan, mocks, mode, keep_alive, tmp)
        per_us = ms / REQUESTS * 1000
        print(f"  {label:27s} {mode.value:13s} {per_us:7.0f} us/request  ratio vs base-url {ms / base_ms:4.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        plan = InterceptionPlan.prepare(InterceptionSection(), tmp)
        tls = plan.mock_tls
        config = MocksConfig(
            telegram=TelegramConfig(token=TOKEN, tls=tls["telegram"]),
            elevenlabs=ElevenLabsConfig(tls=tls["elevenlabs"]),
        )
        mocks = start_mocks(config.model_dump_json(), tmp)
        try:
            print(f"interception modes: {REQUESTS} sequential axios POSTs, median of {ROUNDS} rounds")
            print("  (noisy: 2 cores shared with other work; compare ratios within one run only)")
            for keep_alive in (True, False):
                _print_rows(plan, mocks, keep_alive, tmp)
        finally:
            mocks.child.stop()


if __name__ == "__main__":
    main()
