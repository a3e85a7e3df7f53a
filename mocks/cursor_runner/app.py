"""cursor-runner mock: /cursor/iterate in the configured mode, one FIFO job queue of a few
slots like the real one, and callbacks posted once (never retried) through one pooled client."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import aiohttp
from aiohttp import web

from mocks.common.admin import add_admin_routes, record
from mocks.config import CursorRunnerConfig


@dataclass
class RunnerState:
    """Everything the cursor-runner mock keeps between requests."""

    config: CursorRunnerConfig
    slots: asyncio.Semaphore
    client: aiohttp.ClientSession | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    callbacks_sent: int = 0
    callbacks_failed: int = 0


STATE_KEY = web.AppKey("cursor_runner_state", RunnerState)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _result_body(request_id: str, job: dict[str, Any], duration_s: float) -> dict[str, Any]:
    return {
        "success": True,
        "requestId": request_id,
        "repository": job.get("repository", ""),
        "iterations": 1,
        "maxIterations": job.get("maxIterations", 5),
        "output": f"done: {str(job.get('prompt', ''))[:200]}",
        "error": None,
        "exitCode": 0,
        "duration": f"{int(duration_s * 1000)}ms",
        "timestamp": _now_iso(),
        "branchName": job.get("branchName", "main"),
    }


def _not_found(request: web.Request) -> web.Response:
    body = {"success": False, "error": "Route not found", "path": request.path, "method": request.method}
    return web.json_response(body, status=404)


async def _run_job(state: RunnerState) -> None:
    async with state.slots:
        await asyncio.sleep(state.config.latency_s)


def _callback_target(state: RunnerState, job: dict[str, Any]) -> tuple[str, str] | None:
    """The callback URL without its secret query parameter, and the secret to send."""
    url = job.get("callbackUrl") or job.get("callback_url") or state.config.callback_url
    if not url:
        return None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    secret = (query.pop("secret", [""])[0]) or state.config.callback_secret
    clean = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    return clean, secret


async def _send_callback(state: RunnerState, job: dict[str, Any], body: dict[str, Any]) -> None:
    target = _callback_target(state, job)
    if target is None or state.client is None:
        return
    url, secret = target
    headers = {"User-Agent": "cursor-runner/1.0"}
    if secret:
        headers["X-Webhook-Secret"] = secret
        headers["X-Cursor-Runner-Secret"] = secret
    try:
        async with state.client.post(url, json=body, headers=headers) as response:
            await response.read()
            ok = response.status < 300
    except (aiohttp.ClientError, TimeoutError):
        ok = False
    if ok:
        state.callbacks_sent += 1
    else:
        state.callbacks_failed += 1


def _spawn(state: RunnerState, coro: Any) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)


async def _later_callback(state: RunnerState, job: dict[str, Any], body: dict[str, Any], delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    await _send_callback(state, job, body)


async def _async_job(state: RunnerState, job: dict[str, Any], request_id: str) -> None:
    await _run_job(state)
    await _send_callback(state, job, _result_body(request_id, job, state.config.latency_s))


async def _read_job(request: web.Request) -> dict[str, Any] | None:
    try:
        job = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return job if isinstance(job, dict) else None


async def iterate(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    mode = state.config.mode
    if mode == "removed":
        return record(request, "iterate", _not_found(request))
    job = await _read_job(request)
    if job is None or not job.get("prompt"):
        return record(
            request, "iterate", web.json_response({"success": False, "error": "prompt is required"}, status=400)
        )
    request_id = str(job.get("id") or f"cr-{secrets.token_hex(6)}")
    if mode == "ack+callback":
        _spawn(state, _async_job(state, job, request_id))
        return record(request, "iterate", web.json_response(_accepted(request_id)))
    await _run_job(state)
    body = _result_body(request_id, job, state.config.latency_s)
    if mode == "sync+callback":
        _spawn(state, _later_callback(state, job, body, state.config.callback_delay_s))
    return record(request, "iterate", web.json_response(body))


def _accepted(request_id: str) -> dict[str, Any]:
    return {"success": True, "message": "Request accepted", "requestId": request_id, "timestamp": _now_iso()}


async def iterate_async(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    job = await _read_job(request)
    if job is None or not job.get("prompt"):
        return record(
            request, "iterate_async", web.json_response({"success": False, "error": "prompt is required"}, status=400)
        )
    request_id = str(job.get("id") or f"cr-{secrets.token_hex(6)}")
    _spawn(state, _async_job(state, job, request_id))
    return record(request, "iterate_async", web.json_response(_accepted(request_id)))


async def health(request: web.Request) -> web.StreamResponse:
    return record(request, "health", web.json_response({"status": "ok", "service": "cursor-runner"}))


async def callback_stats(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response({"callbacks_sent": state.callbacks_sent, "callbacks_failed": state.callbacks_failed})


async def _client_lifecycle(app: web.Application) -> Any:
    state = app[STATE_KEY]
    state.client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    yield
    for task in list(state.tasks):
        task.cancel()
    await state.client.close()


def create_app(config: CursorRunnerConfig) -> web.Application:
    app = web.Application()
    app[STATE_KEY] = RunnerState(config=config, slots=asyncio.Semaphore(config.max_concurrent))
    add_admin_routes(app)
    app.router.add_get("/__mock__/callbacks", callback_stats)
    app.router.add_post("/cursor/iterate", iterate)
    app.router.add_post("/cursor/iterate/async", iterate_async)
    app.router.add_get("/health", health)
    app.cleanup_ctx.append(_client_lifecycle)
    return app
