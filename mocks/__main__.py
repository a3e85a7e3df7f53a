"""Run every mock upstream in one process; write their URLs to a ready file once serving."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import signal
import sys
import tomllib
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mocks.common.allocator import trim_every_s, trim_forever
from mocks.common.app import MockApp, MockEnv
from mocks.common.stats_log import log_stats, write_line
from mocks.config import MocksConfig, TlsFiles
from mocks.cursor_runner.app import create_app as create_cursor_runner
from mocks.elevenlabs.app import create_app as create_elevenlabs
from mocks.server.listen import listen
from mocks.telegram.app import create_app as create_telegram
from vocab.upstreams import Upstream


async def serve(config: MocksConfig, ready_file: Path | None) -> None:
    env = MockEnv.from_config(config)
    apps: dict[str, tuple[MockApp, TlsFiles | None]] = {
        Upstream.TELEGRAM: (create_telegram(config.telegram, env), config.telegram.tls),
        Upstream.ELEVENLABS: (create_elevenlabs(config.elevenlabs, env), config.elevenlabs.tls),
        Upstream.CURSOR_RUNNER: (create_cursor_runner(config.cursor_runner, env), None),
    }
    servers: list[asyncio.Server] = []
    urls: dict[str, str] = {}
    for name, (app, tls) in apps.items():
        await app.start()
        # The TLS twin shares the app, hence its connection accounting.
        server, port = await listen(app)
        servers.append(server)
        urls[name] = f"http://127.0.0.1:{port}"
        if tls is not None:
            tls_server, tls_port = await listen(app, tls=tls)
            servers.append(tls_server)
            urls[f"{name}_tls"] = f"https://127.0.0.1:{tls_port}"
    announce(urls, ready_file)
    by_name = {name: app for name, (app, _) in apps.items()}
    await _serve_until_signal(config, by_name, env)
    for server in servers:
        server.close()
    for app in by_name.values():
        await app.close()


async def _serve_until_signal(config: MocksConfig, apps: dict[str, MockApp], env: MockEnv) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stats_path = Path(config.stats_file) if config.stats_file else None
    logger = None
    if stats_path is not None:
        logger = loop.create_task(log_stats(stats_path, apps, env.t0_monotonic, config.stats_interval_s))
    trimmer = loop.create_task(trim_forever(trim_every_s()))
    await stop.wait()
    trimmer.cancel()
    if logger is not None and stats_path is not None:
        logger.cancel()
        write_line(stats_path, apps, env.t0_monotonic)


def announce(urls: dict[str, str], ready_file: Path | None) -> None:
    text = json.dumps(urls)
    if ready_file is None:
        for name, url in urls.items():
            print(f"{name:<16} {url}")
        print("stats: GET <url>/__mock__/stats; faults: POST/GET/DELETE <url>/__mock__/faults; Ctrl-C stops")
        print(text, flush=True)
        return
    # Written then renamed, so a reader never sees half a file.
    partial = ready_file.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, ready_file)


class MocksConfigError(ValueError):
    """A config file that cannot be read or does not validate; the message is one line."""


def run(main: Coroutine[Any, Any, None], loop: str) -> None:
    """auto picks uvloop when installed: in the mocks benchmark it carried about 30 % more
    keep-alive requests per second than asyncio, with the same Connection: close rate."""
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    if loop == "uvloop" and not has_uvloop:
        raise SystemExit("mocks: error: --loop uvloop needs the uvloop package")
    if loop != "asyncio" and has_uvloop:
        import uvloop

        uvloop.run(main)
        return
    asyncio.run(main)


def load_config(path: Path | None) -> MocksConfig:
    """The config from a JSON (or TOML) file of MocksConfig; MocksConfigError for a bad one."""
    if path is None:
        return MocksConfig()
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            return MocksConfig.model_validate(tomllib.loads(text))
        return MocksConfig.model_validate_json(text)
    except OSError as exc:
        raise MocksConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MocksConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise MocksConfigError(f"{path}: {where}: {first['msg']}") from None


def serve_forever(config: MocksConfig) -> None:
    """Serve until SIGINT or SIGTERM, printing the URLs (for people driving a service by hand)."""
    run(serve(config, None), "auto")


def main() -> None:
    parser = argparse.ArgumentParser(description="soak mock upstreams on 127.0.0.1")
    parser.add_argument("--config", type=Path, help="JSON file of MocksConfig")
    parser.add_argument("--ready-file", type=Path, help="where to write the URLs once serving")
    parser.add_argument(
        "--loop", choices=["auto", "asyncio", "uvloop"], default="auto", help="auto: uvloop if installed"
    )
    args = parser.parse_args()
    try:
        config = load_config(args.config)
    except MocksConfigError as exc:
        print(f"mocks: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    run(serve(config, args.ready_file), args.loop)


if __name__ == "__main__":
    main()
