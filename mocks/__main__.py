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

from aiohttp import web
from pydantic import ValidationError

from mocks.common.app import MockEnv
from mocks.common.serve import start_app
from mocks.common.stats_log import log_stats, write_line
from mocks.config import MocksConfig, TlsFiles
from mocks.cursor_runner.app import create_app as create_cursor_runner
from mocks.elevenlabs.app import create_app as create_elevenlabs
from mocks.telegram.app import create_app as create_telegram


async def serve(config: MocksConfig, ready_file: Path | None) -> None:
    env = MockEnv.from_config(config)
    apps: dict[str, tuple[web.Application, TlsFiles | None]] = {
        "telegram": (create_telegram(config.telegram, env), config.telegram.tls),
        "elevenlabs": (create_elevenlabs(config.elevenlabs, env), config.elevenlabs.tls),
        "cursor_runner": (create_cursor_runner(config.cursor_runner, env), None),
    }
    runners = []
    urls: dict[str, str] = {}
    for name, (app, tls) in apps.items():
        runner, port, tls_port = await start_app(app, tls=tls)
        runners.append(runner)
        urls[name] = f"http://127.0.0.1:{port}"
        if tls_port is not None:
            urls[f"{name}_tls"] = f"https://127.0.0.1:{tls_port}"
    announce(urls, ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    by_name = {name: app for name, (app, _) in apps.items()}
    stats_path = Path(config.stats_file) if config.stats_file else None
    logger = None
    if stats_path is not None:
        logger = loop.create_task(log_stats(stats_path, by_name, env.t0_monotonic, config.stats_interval_s))
    await stop.wait()
    if logger is not None and stats_path is not None:
        logger.cancel()
        write_line(stats_path, by_name, env.t0_monotonic)
    for runner in runners:
        await runner.cleanup()


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
    """asyncio by default: in the mocks benchmark uvloop gained 5-18 % with keep-alive but lost
    8-16 % with Connection: close and had the worse p99 at 1,000/s, so it is only an option."""
    if loop == "uvloop":
        if importlib.util.find_spec("uvloop") is None:
            raise SystemExit("mocks: error: --loop uvloop needs the uvloop package")
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
    run(serve(config, None), "asyncio")


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
