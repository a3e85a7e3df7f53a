"""The work section's series: per window, every flow together, callbacks as the cost of their updates."""

from __future__ import annotations

from harness.analysis.flows import LATENCY_BOUNDS_S, Accounting, FlowWindow
from harness.analysis.model import Span
from harness.report.work_series import CALLS_PER_UPDATE, COMPLETED, LOST, accounting_series


def _window(flow: str, updates: int, telegram: int, *, lost: int = 0) -> FlowWindow:
    latencies = [0] * (len(LATENCY_BOUNDS_S) + 1)
    latencies[3] = updates - lost
    return FlowWindow(flow, Span(0.0, 10.0), updates, updates - lost, lost, 0, {"telegram.sendMessage": telegram},
                      0, 0, 0, tuple(latencies))  # fmt: skip


def test_a_callback_is_the_cost_of_its_update_not_another_update_sent() -> None:
    # 10 text updates: ⏳ on each (10 calls); their 10 callbacks: the answer (10 calls), one lost.
    series = accounting_series(Accounting((_window("text", 10, 10), _window("callback", 10, 9, lost=1)), 60.0, 0))
    assert series[CALLS_PER_UPDATE + "telegram"].values == (1.9,)  # 19 calls for 10 updates sent
    assert series[COMPLETED].values == (10,) and series[LOST].values == (1,)
