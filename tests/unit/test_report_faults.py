"""Fault windows in every output: verdict.json, summary.md, and a shaded band in every chart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from harness.analysis.flows import Accounting, FaultWork
from harness.analysis.model import Check, Curve, FaultWindow, Pause, RunData, Span, Status, Verdict
from harness.report.faults import FAULT_COLOUR, fault_bands, fault_rows, pause_bands, pause_legend
from harness.report.html import PageExtras, render_html
from harness.report.layout import chart_plan
from harness.report.render import verdict_document
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
    document = verdict_document(Path("run-1"), VERDICT, [], rows).document()
    assert document["fault_windows"] == [
        {"upstream": "telegram", "route": "sendMessage", "kind": "error", "start_s": 60.0, "end_s": 90.0,
         "checks_moved": ["upstream_calls_per_update.cursor_runner"], "updates": None,
         "reconnected_after_s": None, "not_reconnected_after_s": None},
    ]  # fmt: skip
    summary = summary_markdown("run-1", VERDICT, [], rows)
    assert "## Fault windows" in summary
    assert "- telegram sendMessage error 60-90 s: checks that moved: upstream_calls_per_update.cursor_runner" in summary


def test_a_fault_window_says_what_it_did_to_the_updates_sent_during_it() -> None:
    redis = FaultWindow("redis", "*", "down", Span(100.0, 120.0), reconnected_after_s=0.57)
    work = FaultWork(Span(100.0, 120.0), 156, 0, 0, {"telegram.sendMessage": 156})
    steady = FaultWork(Span(60.0, 90.0), 0, 0, 0, {})
    accounting = Accounting((), 10.0, 400, faults=(steady, work))
    rows = fault_rows([FAULT, redis], VERDICT, accounting)
    document = verdict_document(Path("run-1"), VERDICT, [], rows).document()["fault_windows"][1]
    assert document["updates"] == {
        "sent": 156, "completed": 0, "not_completed": 156, "forwarded": 0,
        "calls": {"telegram.sendMessage": 156}, "calls_per_update": {"telegram": 1.0, "elevenlabs": 0.0,
                                                                      "cursor_runner": 0.0},
    }  # fmt: skip
    assert document["reconnected_after_s"] == 0.57
    summary = summary_markdown("run-1", VERDICT, [], rows)
    assert (
        "- redis * down 100-120 s: 156 updates sent during it: 0 completed, 156 not completed, 0 forwarded; "
        "calls per update telegram 1; the target reconnected 570 ms after it; checks that moved: none"
    ) in summary
    assert "- telegram sendMessage error 60-90 s: no update judged was sent during it;" in summary
    waited = fault_rows([replace(redis, reconnected_after_s=None, not_reconnected_after_s=30.0)], VERDICT)[0]
    assert waited.reconnect_text == "the target had not reconnected 30 s after it" and waited.work_text == ""


def test_every_chart_shades_the_fault_window() -> None:
    curves = {name: Curve((0.0, 150.0), (1.0, 2.0)) for name in ("target.fds", "tmp.files", "target.threads")}
    data = RunData(curves=curves, load=Span(0.0, 150.0), fault_windows=(FAULT,))
    plan = chart_plan(VERDICT, data, {})
    extras = PageExtras(faults=fault_rows([FAULT], VERDICT), fault_bands=fault_bands([FAULT]))
    page = render_html("run-1", VERDICT, data, [], plan, extras=extras)
    document = json.loads(page.split('id="soak-data">', 1)[1].split("</script>", 1)[0])
    assert document["bands"] == [
        {"start": 60.0, "end": 90.0, "label": "fault: telegram sendMessage error 60-90 s", "colour": FAULT_COLOUR,
         "fault": True}
    ]  # fmt: skip
    faults = page[page.index('<table class="plain faults">') :]
    assert "<td>telegram</td><td>sendMessage</td><td>error</td>" in faults
    assert "upstream_calls_per_update.cursor_runner" in faults.split("</table>")[0]


def test_a_run_without_faults_says_nothing_of_them() -> None:
    assert "Fault windows" not in summary_markdown("run-1", VERDICT)
    assert verdict_document(Path("run-1"), VERDICT, []).document()["fault_windows"] == []


def test_the_legend_names_each_kind_of_pause_once_and_every_chart_still_shades_each() -> None:
    """A forced GC every 4 s in a starved run made 32 chips above the verdict, one per pause."""
    pauses = tuple(Pause("forced_gc", Span(t_s, t_s + (0.3 if t_s % 8 else 0.5))) for t_s in range(12, 140, 4))
    census = Pause("listener_census", Span(50.0, 50.4))
    legend = [band.label for band in pause_legend((*pauses, census))]
    assert legend == ["soak paused the target: forced_gc, 32 times, 0.3-0.5 s each",
                      "soak paused the target: listener_census at 50 s, 0.4 s"]  # fmt: skip
    curves = {"target.fds": Curve((0.0, 150.0), (1.0, 2.0))}
    data = RunData(curves=curves, load=Span(0.0, 150.0), pauses=(*pauses, census))
    unsure = Verdict(Status.INCONCLUSIVE, (Check("fds_growth", Status.INCONCLUSIVE, None, 16.0, "fds", None, "why"),))
    extras = PageExtras(fault_bands=pause_bands(data.pauses))
    page = render_html("run-1", unsure, data, [], chart_plan(unsure, data, {}), extras=extras)
    legend_html = page[page.index('<p class="legend">') : page.index("Drag across")]
    assert legend_html.count("soak paused the target") == 2
    document = json.loads(page.split('id="soak-data">', 1)[1].split("</script>", 1)[0])
    assert len(document["bands"]) == 33  # the charts shade every pause
    # Checks that could not tell are not dressed as failures.
    assert '<a class="unsure-check" href="#check-fds_growth">' in page and '<a class="failed-check"' not in page
