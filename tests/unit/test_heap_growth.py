"""The heap growth as evidence: attached to failing memory checks only, kept whole through
verdict.json, and shown in the summary, the HTML report and the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.analysis.heap_growth import (
    HeapGrower,
    HeapGrowth,
    RetainerPath,
    growth_document,
    growth_from_document,
    with_heap_growth,
)
from harness.analysis.model import Check, RunData, Span, Status, Verdict
from harness.config import ConfigError, parse_profile
from harness.report.heap import compact_path, growth_text
from harness.report.html import PageExtras, render_html, report_tables
from harness.report.layout import chart_plan
from harness.report.render import describe, verdict_document
from harness.report.summary import summary_markdown

TIMEOUT = HeapGrower(
    kind="Timeout",
    new_roots=1200,
    retained_bytes=288_000,
    objects_before=40,
    objects_after=1240,
    bytes_before=4800,
    bytes_after=148_800,
    carries=("(closure) anonymous @ src/leaks.js:57:56",),
    paths=(RetainerPath(("global / ", "Object", "TimersList", *["Timeout"] * 30, "<b>"), 7),),
)
GROWTH = HeapGrowth("01-warmup-end.heapsnapshot", "02-load-end.heapsnapshot", Span(50, 300), 1200.0, (TIMEOUT,), "n")


def check(name: str, status: Status, metric: str | None) -> Check:
    return Check(name, status, 1.0, 0.5, "B/req", Span(60, 300), "detail", metric=metric)


def test_only_failing_memory_checks_carry_the_growth() -> None:
    checks = (
        check("heap_per_request", Status.FAIL, "node.heap_used_after_gc_bytes"),
        check("rss_slope", Status.PASS, "target.rss_bytes"),
        check("external_slope", Status.FAIL, "node.external_bytes"),
        check("fds_growth", Status.FAIL, "target.fds"),
        check("custom_memory_check", Status.FAIL, "target.rss_bytes"),
    )
    verdict = with_heap_growth(Verdict(Status.FAIL, checks), GROWTH)
    carrying = [c.name for c in verdict.checks if c.heap_growth is GROWTH]
    assert carrying == ["heap_per_request", "external_slope", "custom_memory_check"]
    assert with_heap_growth(Verdict(Status.FAIL, checks), None).checks == checks


def test_the_growth_survives_verdict_json() -> None:
    verdict = with_heap_growth(Verdict(Status.FAIL, (check("heap_slope", Status.FAIL, None),)), GROWTH)
    document = json.loads(json.dumps(verdict_document(Path("run-1"), verdict, [], growth=GROWTH).document()))
    assert growth_from_document(document["checks"][0]["heap_growth"]) == GROWTH
    assert document["heap_growth"]["growers"][0]["per_1000_updates"] == pytest.approx(1000.0)
    assert growth_from_document(growth_document(GROWTH)) == GROWTH


def _page(verdict: Verdict, growth: HeapGrowth) -> str:
    """report.html with the growth table under the memory charts, as write_outputs renders it."""
    data = RunData(curves={}, load=Span(0.0, 60.0), heap_growth=growth)
    extras = PageExtras(tables=report_tables((), growth))
    return render_html("run-1", verdict, data, [], chart_plan(verdict, data, {}), extras=extras)


def test_people_see_the_top_growers_with_their_paths() -> None:
    verdict = with_heap_growth(Verdict(Status.FAIL, (check("heap_slope", Status.FAIL, None),)), GROWTH)
    summary = summary_markdown("run-1", verdict, growth=GROWTH)
    assert "| `Timeout` | 1200 | 1,000 | 281 KiB | 40 → 1240 |" in summary
    page = _page(verdict, GROWTH)
    assert "Timeout ×30" in page and "&lt;b&gt;" in page and "<b>" not in page
    assert any("heap growth: Timeout: +1200" in line for line in describe(verdict))
    assert "    7 of the samples via: global /  → Object → TimersList → Timeout ×30 → <b>" in growth_text(GROWTH)


def test_no_growth_is_said_so() -> None:
    quiet = HeapGrowth("a", "b", None, None, (), "a kind grows beyond noise with at least 100 new leak roots")
    assert "No kind of object grew beyond noise" in summary_markdown("run-1", Verdict(Status.PASS), growth=quiet)
    assert "No kind of object grew beyond noise" in _page(Verdict(Status.PASS), quiet)


def test_paths_fold_repeats_and_keep_the_end_near_the_object() -> None:
    assert compact_path(("a", "b", "b", "c")) == "a → b ×2 → c"
    assert compact_path(tuple("abcdefghij"), tail=3) == "… → h → i → j"


@pytest.mark.parametrize(
    ("text", "enabled", "every_s"), [("off", False, None), ("ends", True, None), ("every 10 min", True, 600.0)]
)
def test_heap_snapshot_plans(text: str, enabled: bool, every_s: float | None) -> None:
    plan = parse_profile({"target": {"command": ["node"]}, "collector": {"heap_snapshots": text}}).collector
    assert (plan.snapshot_plan.enabled, plan.snapshot_plan.every_s) == (enabled, every_s)


@pytest.mark.parametrize("bad", ["sometimes", "every now", "every 0 s"])
def test_a_bad_heap_snapshot_plan_is_a_one_line_error(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"collector\.heap_snapshots") as info:
        parse_profile({"target": {"command": ["node"]}, "collector": {"heap_snapshots": bad}})
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="needs inspector"):
        parse_profile({"target": {"command": ["node"]}, "collector": {"heap_snapshots": "ends", "inspector": False}})


def test_failures_our_pauses_caused_are_not_the_services(tmp_path: Path) -> None:
    from harness.analysis.model import Curve, LoadStats
    from harness.documents.events import event_of
    from harness.heapsnap.evidence import run_heap_growth, without_pause_failures

    snapshots = tmp_path / "heap-snapshots"
    snapshots.mkdir()
    (snapshots / "01-warmup-end.heapsnapshot").write_text("{}")
    events = [
        {"event": "heap_snapshot", "file": "heap-snapshots/01-warmup-end.heapsnapshot", "t_s": 25.0, "pause_s": 5.0}
    ]
    # 10 failures right after the pause (20-25 s), 3 long after it: only the 10 are ours.
    failures = Curve((0.0, 20.0, 26.0, 50.0, 51.0), (0.0, 0.0, 10.0, 10.0, 13.0))
    evidence = run_heap_growth(tmp_path, [event_of(e, "test") for e in events], None, failures)
    assert evidence.growth is None and evidence.failures_in_pauses == 10
    assert any("paused the target (5.00 s)" in note for note in evidence.notes)
    stats = without_pause_failures(LoadStats(requests=500, failures=13, p95_s=0.1), evidence.failures_in_pauses)
    assert stats == LoadStats(requests=500, failures=3, p95_s=0.1)


def test_snapshots_asked_of_a_target_without_an_inspector_are_a_note(tmp_path: Path) -> None:
    import time

    from harness.config import SnapshotPlan
    from harness.documents.events import EventLog, read_events
    from harness.heapsnap.evidence import run_heap_growth
    from harness.heapsnap.schedule import HeapSnapshots

    snapshots = HeapSnapshots(
        None,
        tmp_path,
        SnapshotPlan(enabled=True),
        EventLog(tmp_path, time.monotonic()),
        warmup_s=1,
        window_s=1,
        cooldown_s=1,
    )
    snapshots.load_started()
    snapshots.load_ended()
    snapshots.close()
    evidence = run_heap_growth(tmp_path, read_events(tmp_path), None)
    assert evidence.notes == ["no heap snapshots: the target printed no inspector URL (not a Node process?)"]
