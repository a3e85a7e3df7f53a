"""Connection churn at each mock (H1): the share of requests on connections a pool would not have made.

A churned connection carried one request and was then either closed by the client at once
(one-shot: a client per request that cleans up, `agent: false`, `Connection: close`) or left
idle while the same client opened new ones (a keep-alive agent per request, never destroyed);
the mocks count both (mocks/common/connections.py).
Requests per connection is only evidence: a healthy pool called less often than its idle timeout
(Node's default agent: 5 s) opens a connection per call, which is not churn.
"""

from __future__ import annotations

from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.windows import rise_over
from harness.config import Thresholds
from shared import human
from vocab.metrics import mock_connections, mock_metric
from vocab.upstreams import Upstream

UPSTREAMS = (Upstream.TELEGRAM, Upstream.ELEVENLABS, Upstream.CURSOR_RUNNER)
UNIT = "churn/req"
# Fewer requests than this say nothing: a keep-alive agent per request shows from its third call.
MIN_REQUESTS = 5
# A failure needs this many churned connections, so one stray (a client restarting right after
# an answer) never fails a run with few requests.
MIN_CHURNED = 3


def _rises(upstream: str, data: RunData, span: Span, names: tuple[str, ...]) -> dict[str, float] | None:
    curves: dict[str, Curve] = {}
    for name in names:
        curve = data.curves.get(mock_metric(upstream, name))
        if curve is None:
            return None
        curves[name] = curve
    return {name: rise_over(curve, span) for name, curve in curves.items()}


def _evidence(handled: float, rises: dict[str, float]) -> str:
    opened = rises["connections_opened"]
    reuse = (
        f"{human.number(handled / opened)} requests per new connection"
        if opened >= 1
        else "all on connections opened earlier"
    )
    return (
        f"{human.count(rises['connections_one_shot'])} one-shot (one request, closed by the client at once), "
        f"{human.count(rises['connections_left_behind'])} left behind idle while the client opened new ones; "
        f"{human.count(handled)} requests over {human.count(opened)} new connections ({reuse}), "
        f"{human.count(rises['connections_closed_by_client'])} closed by the client, "
        f"{human.count(rises['connections_closed_idle_by_mock'])} by the mock's idle sweep"
    )


def _churn(upstream: str, data: RunData, span: Span, limit: float) -> Check | None:
    name = f"connection_churn.{upstream}"
    requests = data.curves.get(mock_metric(upstream, "requests_total"))
    if requests is None:
        return None  # that mock did not run
    handled = rise_over(requests, span)
    if handled == 0:
        return None  # the scenario does not use this upstream
    names = (
        "connections_churned",
        "connections_one_shot",
        "connections_left_behind",
        "connections_opened",
        "connections_closed_by_client",
        "connections_closed_idle_by_mock",
    )
    rises = _rises(upstream, data, span, names)
    if rises is None:
        return Check(name, Status.INCONCLUSIVE, None, limit, UNIT, span, "connection churn not recorded")
    if handled < MIN_REQUESTS:
        why = (f"only {human.count(handled)} requests, at least {MIN_REQUESTS} needed to tell a pool from a client "
               "per request")  # fmt: skip
        return Check(name, Status.INCONCLUSIVE, None, limit, UNIT, span, why)
    churned = max(rises["connections_churned"], 0.0)
    share = churned / handled
    evidence = _evidence(handled, rises)
    detail = (f"{human.count(churned)} churned connections for {human.count(handled)} requests = "
              f"{human.percent(share)}, at most {human.percent(limit)}: ")  # fmt: skip
    if share <= limit:
        status = Status.PASS
    elif churned < MIN_CHURNED:
        status = Status.INCONCLUSIVE
        detail = (f"only {human.count(churned)} churned connections (at least {MIN_CHURNED} to fail), "
                  f"{human.percent(share)}: ")  # fmt: skip
    else:
        status = Status.FAIL
    return Check(name, status, share, limit, UNIT, span, detail + evidence, mock_connections(upstream, "churned"))


def connection_churn(data: RunData, limits: Thresholds) -> list[Check]:
    limit = limits.connection_churn_max
    if limit is None:
        return []
    span = Span(data.load.start_s + limits.warmup_s, data.load.end_s)
    if span.end_s <= span.start_s:
        detail = "the warm-up is as long as the load: nothing left to judge"
        return [Check("connection_churn", Status.INCONCLUSIVE, None, limit, UNIT, span, detail)]
    checks = (_churn(upstream, data, span, limit) for upstream in UPSTREAMS)
    return [check for check in checks if check is not None]
