"""Fault windows in every output: verdict.json, summary.md, and a shaded band in every chart."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.model import Check, FaultWindow, Span, Status, Verdict
from harness.report.faults import fault_bands, fault_rows
from harness.report.html import Chart, render_html
from harness.report.judge import verdict_document
from harness.report.summary import summary_markdown

FAULT = FaultWindow("telegram", "sendMessage", "error", Span(60.0, 90.0))
VERDICT = Verdict(
    Status.FAIL,
    (
        Check("upstream_calls_per_update.cursor_runner", Status.FAIL, 4.0, 2.4, "calls/update", Span(10, 140),
              "during faults max 4.00", peak_span=Span(80.0, 90.0)),
        Check("upstream_calls_per_update.telegram", Status.PASS, 1.0, 2.5, "calls/update", Span(10, 140),
              "steady max 1.00", peak_span=Span(20.0, 30.0)),
        Check("fds_growth", Status.PASS, 0.0, 16.0, "fds", Span(10, 140), "52 -> 52"),
    ),
)  # fmt: skip


def test_a_fault_window_lists_the_checks_that_moved_during_it() -> None:
    rows = fault_rows([FAULT], VERDICT)
    assert rows[0].moved == ("upstream_calls_per_update.cursor_runner",)
    document = verdict_document(Path("run-1"), VERDICT, [], rows)
    assert document["fault_windows"] == [
        {"upstream": "telegram", "route": "sendMessage", "kind": "error", "start_s": 60.0, "end_s": 90.0,
         "checks_moved": ["upstream_calls_per_update.cursor_runner"]},
    ]  # fmt: skip
    summary = summary_markdown("run-1", VERDICT, [], rows)
    assert "## Fault windows" in summary
    assert "- telegram sendMessage error 60-90 s: checks that moved: upstream_calls_per_update.cursor_runner" in summary


def test_every_chart_shades_the_fault_window() -> None:
    charts = [Chart(name, "count", "process", (0.0, 150.0), (1.0, 2.0)) for name in ("a", "b", "c")]
    page = render_html("run-1", VERDICT, charts, fault_bands([FAULT]), faults=fault_rows([FAULT], VERDICT))
    assert page.count("<title>fault: telegram sendMessage error 60-90 s</title>") == 3
    assert "<h2>Fault windows</h2>" in page


def test_a_run_without_faults_says_nothing_of_them() -> None:
    assert "Fault windows" not in summary_markdown("run-1", VERDICT)
    assert verdict_document(Path("run-1"), VERDICT, [])["fault_windows"] == []
