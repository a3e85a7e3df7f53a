"""`soak compare` on two stored verdicts."""

import json
from pathlib import Path

import numpy as np
import pytest

from harness.analysis.model import Curve, RunData, Span
from harness.evaluate.compare import compare_rows
from harness.report.compare import CompareError, Row, format_table, markdown_table
from harness.report.compare_page import overlay_plan


def _run(tmp_path: Path, name: str, checks: list[dict[str, object]]) -> Path:
    run_dir = tmp_path / name
    run_dir.mkdir()
    (run_dir / "verdict.json").write_text(json.dumps({"schema_version": 1, "checks": checks}))
    return run_dir


def test_worse_status_is_a_regression_and_figures_get_a_change(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", [{"name": "rss_per_request", "status": "pass", "figure": 1000.0, "unit": "B/req"}])
    b = _run(
        tmp_path,
        "b",
        [
            {"name": "rss_per_request", "status": "fail", "figure": 3000.0, "unit": "B/req"},
            {"name": "fds_growth", "status": "pass", "figure": 0.0, "unit": "fds"},
        ],
    )
    rows = {row.name: row for row in compare_rows(a, b)}
    assert rows["rss_per_request"].regressed and rows["rss_per_request"].change == "+200%"
    assert not rows["fds_growth"].regressed
    assert any("REGRESSED" in line for line in format_table(list(rows.values()), a, b))


def test_missing_verdict_is_a_clear_error(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", [])
    with pytest.raises(CompareError, match=r"no verdict\.json"):
        compare_rows(a, tmp_path)


def test_a_rise_of_calls_per_update_beyond_the_tolerance_is_a_regression(tmp_path: Path) -> None:
    def checks(telegram: float, rss: float) -> list[dict[str, object]]:
        return [
            {
                "name": "upstream_calls_per_update.telegram",
                "status": "pass",
                "figure": telegram,
                "unit": "calls/update",
            },
            {"name": "rss_per_request", "status": "pass", "figure": rss, "unit": "B/req"},
        ]

    a = _run(tmp_path, "a", checks(2.4, 1000.0))
    b = _run(tmp_path, "b", checks(6.8, 3000.0))
    rows = {row.name: row for row in compare_rows(a, b)}
    assert rows["upstream_calls_per_update.telegram"].regressed  # +183 %, both under their limit
    assert not rows["rss_per_request"].regressed  # not work per update: only its status counts
    assert any("MORE WORK PER UPDATE" in line for line in format_table(list(rows.values()), a, b))
    within = _run(tmp_path, "c", checks(2.6, 1000.0))
    assert not any(row.regressed for row in compare_rows(a, within))
    assert any(row.regressed for row in compare_rows(a, within, calls_tolerance=0.05))


def test_the_table_is_aligned_in_human_units_worse_first(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", [
        {"name": "fds_growth", "status": "pass", "figure": 2.0, "unit": "fds"},
        {"name": "rss_per_request", "status": "pass", "figure": 4096.0, "unit": "B/req", "metric": "target.rss_bytes"},
    ])  # fmt: skip
    b = _run(tmp_path, "b", [
        {"name": "fds_growth", "status": "pass", "figure": 3.0, "unit": "fds"},
        {"name": "rss_per_request", "status": "fail", "figure": 535291.0, "unit": "B/req",
         "metric": "target.rss_bytes"},
    ])  # fmt: skip
    rows = compare_rows(a, b)
    assert [row.name for row in rows] == ["rss_per_request", "fds_growth"] and rows[0].metric == "target.rss_bytes"
    lines = format_table(rows, a, b)[2:]
    assert "pass 4.00 KiB/update" in lines[1] and "fail 523 KiB/update" in lines[1]
    columns = [{i for i, ch in enumerate(line) if ch == "%"} for line in lines[1:]]
    assert columns[0] == columns[1]  # the change column lines up
    markdown = markdown_table(rows, a, b)
    assert "Worse in B: rss_per_request" in markdown
    assert "| rss_per_request | pass 4.00 KiB/update | fail 523 KiB/update | +12969% | REGRESSED |" in markdown


def test_the_overlay_draws_each_judged_metric_against_time_and_updates(tmp_path: Path) -> None:
    t_s = tuple(float(t) for t in range(100))

    def data(bytes_per_update: float) -> RunData:
        updates = Curve(t_s, tuple(10.0 * t for t in t_s))
        rss = Curve(t_s, tuple(1e8 + bytes_per_update * 10 * t for t in t_s))
        return RunData({"target.rss_bytes": rss, "load.updates_total": updates}, load=Span(10.0, 90.0))

    rows = [Row("rss_per_request", "pass", "fail", 1.0, 2.0, "B/req", metric="target.rss_bytes")]
    plan = overlay_plan(rows, data(100.0), data(5000.0), {"target.rss_bytes": "bytes"})
    charts = {chart.id: chart for chart in plan.sections[0].charts}
    assert set(charts) == {"time-target.rss_bytes", "updates-target.rss_bytes"}
    by_updates = plan.series["updates:b:target.rss_bytes"]
    assert by_updates.t_s[0] == 100.0 and by_updates.t_s[-1] == 900.0  # the load phase, at updates handled
    assert np.allclose(np.diff(by_updates.values) / np.diff(by_updates.t_s), 5000.0)
