"""Headless Chromium over the DevTools protocol: open a page as a reader would, and tell what it
logged, what it drew and how long that took (tests and benchmarks of report.html use it).

Chromium is Debian's `chromium` package (`make setup` installs it as root); started with a new
empty profile, no network features, and --remote-debugging-port=0, whose websocket URL it prints.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
]
# The main thread's time in tasks, in scripts, in style and layout (seconds since the tab opened).
BUSY = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Loaded:
    """What a page did: its console errors, its figures (the evaluated expression) and a picture."""

    errors: list[str] = field(default_factory=list)
    facts: Any = None
    rendered_ms: float | None = None  # the page's own mark when its first charts were drawn
    screenshot: bytes = b""
    busy_s: dict[str, float] = field(default_factory=dict)  # the renderer's main thread: Performance.getMetrics


@contextlib.contextmanager
def browser(timeout_s: float = 30.0) -> Iterator[str]:
    """A headless Chromium for the block; yields its DevTools websocket URL."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed (make setup installs it as root)")
    with tempfile.TemporaryDirectory(prefix="soak-chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its zygote and renderers in a group of their own, stopped together
        )
        try:
            yield _devtools_url(process, timeout_s)
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen[str]) -> None:
    """Chromium's processes (the group its own pid leads), then the browser itself."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def _devtools_url(process: subprocess.Popen[str], timeout_s: float) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if match := LISTENING.search(line):
            return match.group(1)
    raise RuntimeError(f"chromium printed no DevTools URL: {''.join(seen)[-800:]}")


class _Session:
    """One page's DevTools session on the browser's websocket (flattened sessions)."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.session_id: str | None = None
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if self.session_id is not None:
            message["sessionId"] = self.session_id
        await self.socket.send_str(json.dumps(message))
        while True:
            reply = json.loads((await self.socket.receive()).data)
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    async def wait_event(self, method: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(e.get("method") == method for e in self.events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} within {timeout_s} s")
            message = await self.socket.receive(timeout=remaining)
            self.events.append(json.loads(message.data))

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")


def _errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        params = event.get("params", {})
        match event.get("method"):
            case "Runtime.consoleAPICalled" if params.get("type") in {"error", "assert", "warning"}:
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            case "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append(str(details.get("exception", {}).get("description") or details.get("text")))
            case "Log.entryAdded" if params.get("entry", {}).get("level") == "error":
                errors.append(str(params["entry"].get("text")))
    return errors


@dataclass(frozen=True)
class _Visit:
    page: Path
    facts: str
    size: tuple[int, int]
    screenshot: bool
    timeout_s: float


async def _open(ws_url: str, visit: _Visit) -> Loaded:
    async with aiohttp.ClientSession() as client, client.ws_connect(ws_url, max_msg_size=0) as socket:
        session = _Session(socket)
        target = await session.call("Target.createTarget", url="about:blank")
        attached = await session.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        session.session_id = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Performance"):
            await session.call(f"{domain}.enable")
        await session.call("Emulation.setDeviceMetricsOverride", width=visit.size[0], height=visit.size[1],
                           deviceScaleFactor=1, mobile=False)  # fmt: skip
        await session.call("Page.navigate", url=visit.page.resolve().as_uri())
        await session.wait_event("Page.loadEventFired", visit.timeout_s)
        rendered = await session.evaluate("document.documentElement.dataset.renderedMs || null")
        loaded = Loaded(rendered_ms=None if rendered is None else float(rendered))
        if visit.screenshot:  # as the reader first sees it, before `facts` may change the page
            picture = await session.call("Page.captureScreenshot", format="png")
            loaded.screenshot = base64.b64decode(picture["data"])
        loaded.facts = await session.evaluate(visit.facts)
        metrics = (await session.call("Performance.getMetrics"))["metrics"]
        loaded.busy_s = {m["name"]: float(m["value"]) for m in metrics if m["name"] in BUSY}
        await asyncio.sleep(0.2)  # let late console messages arrive
        await session.evaluate("0")
        loaded.errors = _errors(session.events)
        # Closed, so the next page does not share the browser with every page opened before it.
        session.session_id = None
        await session.call("Target.closeTarget", targetId=target["targetId"])
        return loaded


def open_page(
    ws_url: str, page: Path, facts: str = "null", *, size: tuple[int, int] = (1400, 3000), screenshot: bool = False,
    timeout_s: float = 60.0,
) -> Loaded:  # fmt: skip
    """Load the page in a new tab, evaluate `facts` (a JS expression) after its load event, close the tab."""
    return asyncio.run(_open(ws_url, _Visit(page, facts, size, screenshot, timeout_s)))
