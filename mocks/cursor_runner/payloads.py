"""Canned cursor-runner bodies: results, acceptances, errors (as in TARGET-CONTRACT §4.3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mocks.server.message import Request, Response, json_response

# Over the SUT's 100 kB body limit, for the huge-output callback fault.
HUGE_OUTPUT_CHARS = 120_000


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def result_body(request_id: str, job: dict[str, Any], duration_s: float, *, execute: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": True,
        "requestId": request_id,
        "repository": job.get("repository", ""),
        "output": f"done: {str(job.get('prompt', ''))[:200]}",
        "error": None,
        "exitCode": 0,
        "duration": f"{int(duration_s * 1000)}ms",
        "timestamp": now_iso(),
        "branchName": job.get("branchName", "main"),
    }
    if execute:
        body["command"] = ["cursor-agent", "--print", str(job.get("prompt", ""))[:80]]
    else:
        body["iterations"] = 1
        body["maxIterations"] = job.get("maxIterations", 5)
    return body


def failed(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "success": False, "error": "iteration failed", "exitCode": 1}


def accepted(request_id: str) -> dict[str, Any]:
    return {"success": True, "message": "Request accepted", "requestId": request_id, "timestamp": now_iso()}


def error_shape(status: int, description: str, retry_after_s: int | None) -> dict[str, Any]:
    return {"success": False, "error": description, "timestamp": now_iso()}


def error(status: int, message: str) -> Response:
    return json_response({"success": False, "error": message}, status=status)


def route_not_found(request: Request) -> Response:
    body = {"success": False, "error": "Route not found", "path": request.path, "method": request.method}
    return json_response(body, status=404)
