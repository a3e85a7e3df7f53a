"""cursor-runner mock: iterate/execute (sync and async) in the configured mode, health and queue.

Modes: sync (result after the run), sync+callback (result, then a callback after a delay),
ack+callback or async (accepted at once, callback after the run), removed (404).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from mocks.common.admin import STATE_KEY as MOCK_STATE_KEY
from mocks.common.admin import correlate
from mocks.common.app import MockEnv, add_route, new_mock_app
from mocks.config import CursorRunnerConfig
from mocks.cursor_runner import payloads
from mocks.cursor_runner.jobs import Jobs

JOBS_KEY = web.AppKey("cursor_runner_jobs", Jobs)
MAX_BODY_BYTES = 100 * 1024
CALLBACK_TIMEOUT_S = 30.0


async def _read_job(request: web.Request) -> dict[str, Any] | None:
    try:
        job = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    return job if isinstance(job, dict) else None


async def _accept(request: web.Request) -> tuple[dict[str, Any], str] | web.Response:
    """The job and its request id, or the 400 the real service gives for a job without a prompt."""
    job = await _read_job(request)
    if job is None:
        return payloads.error(400, "Invalid JSON body")
    request_id = str(job.get("id") or f"cr-{secrets.token_hex(6)}")
    correlate(request, request_id=request_id, prompt=str(job.get("prompt") or "")[:64])
    if not job.get("prompt"):
        return payloads.error(400, "prompt is required")
    return job, request_id


async def _run_then_call_back(jobs: Jobs, job: dict[str, Any], request_id: str, execute: bool) -> None:
    duration_s = await jobs.run()
    await jobs.callback(job, payloads.result_body(request_id, job, duration_s, execute=execute))


async def _later_callback(jobs: Jobs, job: dict[str, Any], body: dict[str, Any]) -> None:
    await asyncio.sleep(jobs.config.callback_delay_s)
    await jobs.callback(job, body)


async def _sync(request: web.Request, execute: bool) -> web.StreamResponse:
    jobs = request.app[JOBS_KEY]
    if jobs.config.mode == "removed":
        return payloads.route_not_found(request)
    accepted = await _accept(request)
    if isinstance(accepted, web.Response):
        return accepted
    job, request_id = accepted
    if jobs.config.mode in ("ack+callback", "async"):
        jobs.spawn(_run_then_call_back(jobs, job, request_id, execute))
        return web.json_response(payloads.accepted(request_id))
    duration_s = await jobs.run()
    body = payloads.result_body(request_id, job, duration_s, execute=execute)
    if jobs.config.mode == "sync+callback":
        jobs.spawn(_later_callback(jobs, job, body))
    return web.json_response(body)


async def _async(request: web.Request, execute: bool) -> web.StreamResponse:
    jobs = request.app[JOBS_KEY]
    accepted = await _accept(request)
    if isinstance(accepted, web.Response):
        return accepted
    job, request_id = accepted
    jobs.spawn(_run_then_call_back(jobs, job, request_id, execute))
    return web.json_response(payloads.accepted(request_id))


async def iterate(request: web.Request) -> web.StreamResponse:
    return await _sync(request, execute=False)


async def execute(request: web.Request) -> web.StreamResponse:
    return await _sync(request, execute=True)


async def iterate_async(request: web.Request) -> web.StreamResponse:
    return await _async(request, execute=False)


async def execute_async(request: web.Request) -> web.StreamResponse:
    return await _async(request, execute=True)


async def health(request: web.Request) -> web.StreamResponse:
    return web.json_response({"status": "ok", "service": "cursor-runner"})


async def health_queue(request: web.Request) -> web.StreamResponse:
    queue = request.app[JOBS_KEY].queue_snapshot()
    return web.json_response({"status": "ok", "service": "cursor-runner", "queue": queue, "warning": None})


async def not_found(request: web.Request) -> web.StreamResponse:
    return payloads.route_not_found(request)


async def callback_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[JOBS_KEY].stats())


async def _client_lifecycle(app: web.Application) -> AsyncIterator[None]:
    jobs = app[JOBS_KEY]
    jobs.client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_S))
    yield
    for task in list(jobs.tasks):
        task.cancel()
    await jobs.client.close()


def create_app(config: CursorRunnerConfig, env: MockEnv | None = None) -> web.Application:
    app = new_mock_app("cursor_runner", payloads.error_shape, config.faults, env, MAX_BODY_BYTES)
    state = app[MOCK_STATE_KEY]
    jobs = Jobs(config=config, correlation=state.correlation, slots=asyncio.Semaphore(config.max_concurrent))
    app[JOBS_KEY] = jobs
    state.extra = jobs.stats
    app.router.add_get("/__mock__/callbacks", callback_stats)
    add_route(app, "POST", "/cursor/iterate", iterate, "iterate")
    add_route(app, "POST", "/cursor/iterate/async", iterate_async, "iterate_async")
    add_route(app, "POST", "/cursor/execute", execute, "execute")
    add_route(app, "POST", "/cursor/execute/async", execute_async, "execute_async")
    add_route(app, "GET", "/health", health, "health")
    add_route(app, "GET", "/health/queue", health_queue, "health_queue")
    add_route(app, "*", "/{tail:.*}", not_found, "unknown")
    app.cleanup_ctx.append(_client_lifecycle)
    return app
