"""`soak compare` on two stored verdicts."""

import json
from pathlib import Path

import pytest

from harness.report.compare import CompareError, compare_runs, format_table


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
    rows = {row.name: row for row in compare_runs(a, b)}
    assert rows["rss_per_request"].regressed and rows["rss_per_request"].change == "+200%"
    assert not rows["fds_growth"].regressed
    assert any("REGRESSED" in line for line in format_table(list(rows.values()), a, b))


def test_missing_verdict_is_a_clear_error(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", [])
    with pytest.raises(CompareError, match=r"no verdict\.json"):
        compare_runs(a, tmp_path)


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
    rows = {row.name: row for row in compare_runs(a, b)}
    assert rows["upstream_calls_per_update.telegram"].regressed  # +183 %, both under their limit
    assert not rows["rss_per_request"].regressed  # not work per update: only its status counts
    assert any("MORE WORK PER UPDATE" in line for line in format_table(list(rows.values()), a, b))
    within = _run(tmp_path, "c", checks(2.6, 1000.0))
    assert not any(row.regressed for row in compare_runs(a, within))
    assert any(row.regressed for row in compare_runs(a, within, calls_tolerance=0.05))
