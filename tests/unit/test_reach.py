"""Which upstreams a run's flows must reach, and the failing check for one that got no call."""

from __future__ import annotations

from harness.analysis.model import Curve, RunData, Span, Status
from harness.analysis.reach import upstreams_reached
from harness.analysis.verdict import judge
from harness.config import Thresholds
from scenarios.kinds import kinds_of


def test_the_flows_of_each_scenario_reach_their_upstreams() -> None:
    text = upstreams_reached(kinds_of("text", {}) or (), results_by_callback=False, debug=False)
    assert set(text) == {"cursor_runner"}
    text_with_results = upstreams_reached(("text",), results_by_callback=True, debug=False)
    assert set(text_with_results) == {"cursor_runner", "telegram"}
    mixed = upstreams_reached(kinds_of("mixed", {}) or (), results_by_callback=False, debug=False)
    assert set(mixed) == {"cursor_runner", "telegram", "elevenlabs"}
    commands_only = upstreams_reached(
        kinds_of("mixed", {"command": 1, "voice": 0}) or (), results_by_callback=True, debug=False
    )
    assert set(commands_only) == {"telegram"}
    assert kinds_of("my_own", {}) is None


def _run(cr_calls: float, reached: dict[str, str]) -> RunData:
    t_s = (0.0, 60.0)
    curves = {
        "load.updates_total": Curve(t_s, (0.0, 600.0)),
        "mocks.telegram.requests_total": Curve(t_s, (0.0, 600.0)),
        "mocks.cursor_runner.requests_total": Curve(t_s, (0.0, cr_calls)),
    }
    return RunData(curves, load=Span(0.0, 60.0), reached=reached)


def test_a_silent_mock_fails_with_a_one_line_reason_and_a_called_one_passes() -> None:
    reached = upstreams_reached(("text",), results_by_callback=True, debug=False)
    checks = {c.name: c for c in judge(_run(0.0, reached), Thresholds()).checks}
    silent = checks["upstream_called.cursor_runner"]
    assert silent.status is Status.FAIL and "CURSOR_RUNNER_URL" in silent.detail and "600 updates" in silent.detail
    assert checks["upstream_called.telegram"].status is Status.PASS
    healthy = {c.name: c for c in judge(_run(600.0, reached), Thresholds()).checks}
    assert healthy["upstream_called.cursor_runner"].status is Status.PASS


def test_an_upstream_with_a_budget_is_expected_and_unrecorded_counts_are_inconclusive() -> None:
    limits = Thresholds.model_validate({"upstream_calls_per_update_max": {"elevenlabs": 1}})
    checks = {c.name: c for c in judge(_run(600.0, {}), limits).checks}
    assert checks["upstream_called.elevenlabs"].status is Status.INCONCLUSIVE
    assert "not recorded" in checks["upstream_called.elevenlabs"].detail
