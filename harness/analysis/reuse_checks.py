"""Connection reuse at each mock (H1): requests per new connection over the judged span.

A shared keep-alive agent carries many requests per connection; a new client per request opens
one connection each, which no resource curve shows as clearly while the sockets still close.
"""

from __future__ import annotations

from harness.analysis.model import Check, RunData, Span, Status
from harness.analysis.windows import rise_over
from harness.config import Thresholds

UPSTREAMS = ("telegram", "elevenlabs", "cursor_runner")
MIN_REQUESTS = 20  # fewer requests than this say nothing about pooling


def _reuse(upstream: str, data: RunData, span: Span, limit: float) -> Check | None:
    name = f"connection_reuse.{upstream}"
    requests = data.curves.get(f"mocks.{upstream}.requests_total")
    if requests is None:
        return None  # that mock did not run
    handled = rise_over(requests, span)
    if handled == 0:
        return None  # the scenario does not use this upstream
    opened_curve = data.curves.get(f"mocks.{upstream}.connections_opened")
    if opened_curve is None or handled < MIN_REQUESTS:
        why = "connections not recorded" if opened_curve is None else f"only {handled:.0f} requests"
        return Check(name, Status.INCONCLUSIVE, None, limit, "req/conn", span, why)
    opened = rise_over(opened_curve, span)
    per_connection = handled / max(opened, 1.0)
    status = Status.PASS if per_connection >= limit else Status.FAIL
    if opened < 1:
        # All over connections opened before the span: reuse is at least the request count.
        detail = (
            f"{handled:.0f} requests, all over connections opened earlier (none new), at least {limit:.0f} expected"
        )
    else:
        detail = (
            f"{handled:.0f} requests over {opened:.0f} new connections = {per_connection:.1f} per connection, "
            f"at least {limit:.0f} expected"
        )
    return Check(name, status, per_connection, limit, "req/conn", span, detail, f"mocks.{upstream}.connections_opened")


def connection_reuse(data: RunData, limits: Thresholds) -> list[Check]:
    if limits.connection_reuse_min is None:
        return []
    span = Span(data.load.start_s + limits.warmup_s, data.load.end_s)
    if span.end_s <= span.start_s:
        detail = "the warm-up is as long as the load: nothing left to judge"
        return [
            Check("connection_reuse", Status.INCONCLUSIVE, None, limits.connection_reuse_min, "req/conn", span, detail)
        ]
    checks = (_reuse(upstream, data, span, limits.connection_reuse_min) for upstream in UPSTREAMS)
    return [check for check in checks if check is not None]
