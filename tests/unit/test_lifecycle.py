"""Judging a run's life: the target's death, a run cut short, a verdict with no resource check."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.level_checks import always_alive
from harness.analysis.model import Check, Curve, FaultWindow, RunData, Span, Status, TargetExit, Verdict
from harness.analysis.partial import RunEnd, RunState, clip_run_data
from harness.analysis.verdict import judge
from harness.config import Thresholds
from harness.procs import describe_exit, log_tail, signal_name
from harness.report.html import PageExtras, render_html
from harness.report.layout import chart_plan
from harness.report.summary import summary_markdown
from harness.runstate import read_run_end

ALIVE = Curve((0.0, 1.0, 2.0, 3.0, 4.0, 5.0), (1.0, 1.0, 1.0, 1.0, 0.0, 0.0))
TAIL = ("listening", "Error: connection lost", "    at Socket.onclose")


def test_the_first_tick_without_the_target_fails_it_with_the_cause() -> None:
    check = always_alive(ALIVE, Span(0, 5), TargetExit(3.6, "SIGKILL", TAIL))
    assert check.status is Status.FAIL and check.figure == 2.0
    assert check.detail == "target exited with SIGKILL at 3.60 s; first tick without it at 4 s (2 ticks without it)"
    assert check.evidence == ("last 3 lines of target.log:", *TAIL)


def test_an_exit_between_two_ticks_fails_too() -> None:
    check = always_alive(Curve((0.0, 1.0), (1.0, 1.0)), Span(0, 1.5), TargetExit(1.2, "code 1"))
    assert check.status is Status.FAIL and "exited with code 1 at 1.20 s" in check.detail


def test_an_exit_in_or_just_after_a_fault_window_names_it() -> None:
    redis = FaultWindow("redis", "*", "down", Span(1.0, 3.0))
    inside = always_alive(ALIVE, Span(0, 5), TargetExit(2.5, "code 1"), (redis,))
    assert inside.detail.startswith("target exited with code 1 at 2.50 s during fault window redis * down 1-3 s;")
    after = always_alive(ALIVE, Span(0, 5), TargetExit(3.6, "code 1"), (redis,))
    assert "at 3.60 s, 600 ms after fault window redis * down 1-3 s;" in after.detail
    far = always_alive(ALIVE, Span(0, 30), TargetExit(20.0, "code 1"), (redis,))
    assert "fault window" not in far.detail


def test_a_target_alive_throughout_passes_and_no_sample_is_inconclusive() -> None:
    assert always_alive(ALIVE, Span(0, 3)).status is Status.PASS
    assert always_alive(ALIVE, Span(10, 20)).status is Status.INCONCLUSIVE


def test_death_in_the_cool_down_fails_the_run() -> None:
    data = RunData(curves={"target.alive": ALIVE}, load=Span(0, 2), cooldown=Span(2, 5))
    checks = {c.name: c for c in judge(data, Thresholds()).checks}
    assert checks["target_alive"].status is Status.FAIL and checks["target_alive"].span == Span(0, 5)


def test_a_verdict_without_any_resource_check_is_never_a_pass() -> None:
    data = RunData(curves={"target.alive": Curve((0.0, 1.0), (1.0, 1.0))}, load=Span(0, 1))
    verdict = judge(data, Thresholds())
    assert verdict.status is Status.INCONCLUSIVE
    assert [c.name for c in verdict.checks] == ["target_alive", "resource_checks"]


def test_clipping_keeps_only_what_came_before_the_stop() -> None:
    data = RunData(
        curves={"target.alive": ALIVE, "late": Curve((4.5,), (1.0,))},
        load=Span(1, 3),
        baseline=Span(0, 1),
        cooldown=Span(3, 5),
        target_exit=TargetExit(4.2, "SIGKILL"),
        fault_windows=(
            FaultWindow("telegram", "sendMessage", "error", Span(2, 4)),
            FaultWindow("a", "b", "c", Span(3, 4)),
        ),
        calls={"telegram": Curve((1.0, 3.0), (1.0, 2.0))},
    )
    clipped = clip_run_data(data, 2.5)
    assert clipped.curves["target.alive"].t_s.tolist() == [0.0, 1.0, 2.0] and "late" not in clipped.curves
    assert clipped.calls["telegram"].t_s.tolist() == [1.0]
    assert [w.span for w in clipped.fault_windows] == [Span(2, 2.5)]
    assert clipped.load == Span(1, 2.5) and clipped.cooldown is None and clipped.target_exit is None


def test_how_a_run_ended_is_read_from_run_json(tmp_path: Path) -> None:
    interrupted = {"outcome": "interrupted", "stopped_by": "SIGTERM", "stopped_at_s": 41.7}
    end = read_run_end(tmp_path, interrupted, 44.0)
    assert end == RunEnd(RunState.INTERRUPTED, "SIGTERM", 41.7)
    assert end.note == "partial: stopped at 42 s by SIGTERM; judged on what was recorded until then"
    assert read_run_end(tmp_path, {"outcome": "completed"}, 60.0).note is None
    killed = read_run_end(tmp_path, {"outcome": "running", "harness": {"pid": 1, "start_ticks": -1}}, 12.0)
    assert killed.state is RunState.KILLED and killed.stopped_at_s == 12.0
    assert '"outcome": "killed"' in (tmp_path / "run.json").read_text()


def test_exit_codes_and_signals_are_named() -> None:
    assert describe_exit(-9) == "SIGKILL" and signal_name(-15) == "SIGTERM"
    assert describe_exit(1) == "code 1" and signal_name(1) is None
    assert describe_exit(137) == "code 137 (128+SIGKILL, as a shell reports it)"


def test_log_tail_reads_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "target.log"
    log.write_text("".join(f"line {i}\n" for i in range(1000)))
    assert log_tail(log, 3) == ["line 997", "line 998", "line 999"]
    assert log_tail(tmp_path / "missing.log") == []


def test_reports_head_a_partial_run_and_show_evidence() -> None:
    check = Check("target_alive", Status.FAIL, 1.0, 0.0, "ticks", Span(0, 5), "target exited with SIGKILL", None, TAIL)
    verdict = Verdict(Status.FAIL, (check,))
    note = "partial: stopped at 42 s by SIGINT; judged on what was recorded until then"
    summary = summary_markdown("r", verdict, partial=note)
    assert summary.splitlines()[2] == f"**{note}**"
    assert "```text\nlistening\nError: connection lost" in summary
    data = RunData(curves={}, load=Span(0.0, 5.0))
    page = render_html("r", verdict, data, [], chart_plan(verdict, data, {}), extras=PageExtras(partial=note))
    assert note in page and "<pre>listening\nError: connection lost" in page
