"""cursor-runner mock: iterate/execute (sync and async) in the configured mode, health and queue.

Modes: sync (result after the run), sync+callback (result, then a callback after a delay),
ack+callback or async (accepted at once, callback after the run), removed (404).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from mocks.common.admin import correlate
from mocks.common.app import MockApp, MockEnv
from mocks.config import CursorRunnerConfig
from mocks.cursor_runner import payloads
from mocks.cursor_runner.jobs import Jobs
from mocks.server.message import Request, Response, json_response
from vocab.upstreams import Upstream

MAX_BODY_BYTES = 100 * 1024
CALLBACK_TIMEOUT_S = 30.0
# Enough of a prompt to hold the tag a scenario puts in it ("... [soak m123]").
PROMPT_KEY_CHARS = 96


def _read_job(request: Request) -> dict[str, Any] | None:
    try:
        job = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return job if isinstance(job, dict) else None


def job_keys(request: Request) -> dict[str, object]:
    """A job's correlation keys (its id and the head of its prompt), also for a faulted request."""
    job = _read_job(request) or {}
    return {"request_id": job.get("id"), "prompt": str(job.get("prompt") or "")[:PROMPT_KEY_CHARS]}


def _accept(request: Request) -> tuple[dict[str, Any], str] | Response:
    """The job and its request id, or the 400 the real service gives for a job without a prompt."""
    job = _read_job(request)
    if job is None:
        return payloads.error(400, "Invalid JSON body")
    request_id = str(job.get("id") or f"cr-{secrets.token_hex(6)}")
    correlate(request, request_id=request_id, prompt=str(job.get("prompt") or "")[:PROMPT_KEY_CHARS])
    if not job.get("prompt"):
        return payloads.error(400, "prompt is required")
    return job, request_id


async def _run_then_call_back(jobs: Jobs, job: dict[str, Any], request_id: str, execute: bool) -> None:
    duration_s = await jobs.run()
    await jobs.callback(job, payloads.result_body(request_id, job, duration_s, execute=execute))


async def _later_callback(jobs: Jobs, job: dict[str, Any], body: dict[str, Any]) -> None:
    await asyncio.sleep(jobs.config.callback_delay_s)
    await jobs.callback(job, body)


async def _run_now(jobs: Jobs, job: dict[str, Any], request_id: str, execute: bool) -> Response:
    duration_s = await jobs.run()
    body = payloads.result_body(request_id, job, duration_s, execute=execute)
    if jobs.config.mode == "sync+callback":
        jobs.spawn(_later_callback(jobs, job, body))
    return json_response(body)


def _acknowledged(jobs: Jobs, job: dict[str, Any], request_id: str, execute: bool) -> Response:
    jobs.spawn(_run_then_call_back(jobs, job, request_id, execute))
    return json_response(payloads.accepted(request_id))


def _sync_route(jobs: Jobs, execute: bool) -> Callable[[Request], Response | Awaitable[Response]]:
    def sync(request: Request) -> Response | Awaitable[Response]:
        if jobs.config.mode == "removed":
            return payloads.route_not_found(request)
        accepted = _accept(request)
        if isinstance(accepted, Response):
            return accepted
        job, request_id = accepted
        if jobs.config.mode in ("ack+callback", "async"):
            return _acknowledged(jobs, job, request_id, execute)
        return _run_now(jobs, job, request_id, execute)

    return sync


def _async_route(jobs: Jobs, execute: bool) -> Callable[[Request], Response]:
    def run_async(request: Request) -> Response:
        accepted = _accept(request)
        if isinstance(accepted, Response):
            return accepted
        job, request_id = accepted
        return _acknowledged(jobs, job, request_id, execute)

    return run_async


def health(request: Request) -> Response:
    return json_response({"status": "ok", "service": "cursor-runner"})


def _queue_health(jobs: Jobs) -> Response:
    return json_response({"status": "ok", "service": "cursor-runner", "queue": jobs.queue_snapshot(), "warning": None})


def not_found(request: Request) -> Response:
    return payloads.route_not_found(request)


def callback_client() -> aiohttp.ClientSession:
    """The callbacks' client: a new connection for each, closed after its answer."""
    connector = aiohttp.TCPConnector(force_close=True)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_S))


def _client_hooks(app: MockApp, jobs: Jobs) -> None:
    async def open_client() -> None:
        # Each callback on a connection of its own. A pool's sockets followed soak's own callback
        # bursts: aiohttp reuses the oldest idle socket first, so every socket stayed in use and the
        # pool held the highest concurrency it had seen (a clean service's inbound sockets rose
        # 23 -> 48 over a 15-minute run and failed sockets_growth); and the oldest idle socket is the
        # one the service's keep-alive timer closes as a callback goes out on it (lost callbacks,
        # read as lost updates of a healthy service). A new connection is never idle at the service.
        jobs.client = callback_client()

    async def close_client() -> None:
        for task in list(jobs.tasks):
            task.cancel()
        if jobs.client is not None:
            await jobs.client.close()

    app.on_start.append(open_client)
    app.on_close.append(close_client)


def create_app(config: CursorRunnerConfig, env: MockEnv | None = None) -> MockApp:
    app = MockApp(Upstream.CURSOR_RUNNER, payloads.error_shape, config.faults, env, MAX_BODY_BYTES)
    jobs = Jobs(config=config, correlation=app.state.correlation, slots=asyncio.Semaphore(config.max_concurrent))
    app.state.extra = jobs.stats
    app.admin_route("GET", "/__mock__/callbacks", lambda request: json_response(jobs.stats()))
    app.route("POST", "/cursor/iterate", _sync_route(jobs, execute=False), "iterate", job_keys)
    app.route("POST", "/cursor/iterate/async", _async_route(jobs, execute=False), "iterate_async", job_keys)
    app.route("POST", "/cursor/execute", _sync_route(jobs, execute=True), "execute", job_keys)
    app.route("POST", "/cursor/execute/async", _async_route(jobs, execute=True), "execute_async", job_keys)
    app.route("GET", "/health", health, "health")
    app.route("GET", "/health/queue", lambda request: _queue_health(jobs), "health_queue")
    app.route("*", "/{tail:.*}", not_found, "unknown")
    _client_hooks(app, jobs)
    return app
