"""report.html and the compare page of real runs, opened in headless Chromium as a reader would:
no console error, every section and chart drawn, the failure first with its threshold line.

Three runs of the reference bot (two healthy, one leaking 512 KiB per update), shared by the tests.
Without Chromium the tests are skipped, except in CI (CI=true), where `make setup` installs it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.browser import browser, chromium, open_page
from tests.e2e.test_runs import run_dir_of, soak

if chromium() is None and os.environ.get("CI") != "true":
    pytest.skip("chromium is not installed (make setup installs it as root)", allow_module_level=True)

SECTIONS = ["verdict", "memory", "handles", "work", "faults", "notes", "other"]
# Opens every collapsed part (its charts are drawn on opening), then reports what the page drew.
FACTS = """(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; i < 300 && !document.documentElement.dataset.allDrawnMs; i++) await sleep(50);
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  await sleep(800);
  const charts = window.soakCharts || {};
  const placed = [...document.querySelectorAll("[data-chart]")].map((el) => el.dataset.chart);
  const summary = (id) => {
    const u = charts[id];
    if (!u) return null;
    return {labels: u.series.map((s) => s.label), y: [u.scales.y.min, u.scales.y.max],
            ticks: (u.axes[1]._values || []).map(String),
            points: u.data.slice(1).map((column) => column.filter((v) => v != null).length)};
  };
  return {
    sections: SECTIONS.filter((id) => document.getElementById(id)),
    rows: [...document.querySelectorAll("tr.check")].map((row) => [row.id.replace("check-", ""), row.classList[1]]),
    placed: placed, drawn: placed.filter((id) => charts[id] && charts[id].root.isConnected),
    lead: document.querySelector(".lead").textContent,
    checks: Object.fromEntries(placed.filter((id) => id.startsWith("check-")).map((id) => [id, summary(id)])),
    rss: summary("rss"),
  };
})()""".replace("SECTIONS", json.dumps(SECTIONS))


@pytest.fixture(scope="module")
def runs(reference_runs: dict[str, subprocess.CompletedProcess[str]]) -> dict[str, Path]:
    return {name: run_dir_of(result) for name, result in reference_runs.items()}


def _look(page: Path, screenshot: Path | None = None) -> dict[str, object]:
    with browser() as url:
        loaded = open_page(url, page, FACTS, screenshot=screenshot is not None)
    assert loaded.errors == [], loaded.errors
    if screenshot is not None:
        screenshot.write_bytes(loaded.screenshot)
    assert isinstance(loaded.facts, dict)
    return loaded.facts


def test_a_clean_run_report_draws_every_section_and_chart_without_an_error(runs: dict[str, Path]) -> None:
    facts = _look(runs["clean"] / "report.html")
    assert facts["sections"] == SECTIONS
    assert facts["placed"] and sorted(facts["drawn"]) == sorted(facts["placed"])  # type: ignore[arg-type]
    verdict = json.loads((runs["clean"] / "verdict.json").read_text())
    charted = {name.removeprefix("check-") for name in facts["checks"]}  # type: ignore[attr-defined]
    judged_on_curves = {c["name"] for c in verdict["checks"] if c["metric"]}
    assert judged_on_curves <= charted
    rss = facts["rss"]
    assert isinstance(rss, dict) and any(tick.endswith("MiB") for tick in rss["ticks"])  # binary units on the axis
    flat = facts["checks"]["check-redis_clients_growth"]  # type: ignore[index]
    assert flat["y"][1] - flat["y"][0] >= 4  # one client all along: a padded range, not a full-height line


def test_a_failing_run_report_shows_the_failure_first_with_its_threshold(runs: dict[str, Path]) -> None:
    run_dir = runs["leak"]
    facts = _look(run_dir / "report.html", screenshot=run_dir / "report.png")
    assert facts["rows"][0] == ["rss_per_request", "fail"]  # type: ignore[index]
    assert "checks failed" in str(facts["lead"]) and "rss_per_request" in str(facts["lead"])
    chart = facts["checks"]["check-rss_per_request"]  # type: ignore[index]
    assert chart["labels"][1:] == ["target.rss_bytes", "window floors", "Theil-Sen fit", "limit (128 KiB/update)"]
    assert chart["points"][3] >= 2  # the threshold line is drawn over the judged span
    assert (run_dir / "report.png").stat().st_size > 10_000


def test_compare_of_a_clean_and_a_leaking_run_fails_naming_it_and_writes_the_overlay(runs: dict[str, Path]) -> None:
    result = soak("compare", str(runs["clean"]), str(runs["leak"]))
    assert result.returncode == 1, result.stdout + result.stderr
    rows = result.stdout.splitlines()[3:]
    worse = [row.split()[0] for row in rows if row.endswith("REGRESSED")]
    assert "rss_per_request" in worse and [row.split()[0] for row in rows[: len(worse)]] == worse  # worse first
    page = runs["leak"] / f"compare-{runs['clean'].name}.html"
    assert "rss_per_request" in (runs["leak"] / f"compare-{runs['clean'].name}.md").read_text()
    with browser() as url:
        loaded = open_page(url, page, "Object.keys(window.soakCharts)")
    assert loaded.errors == []
    assert {"time-target.rss_bytes", "updates-target.rss_bytes"} <= set(loaded.facts)


def test_compare_of_two_clean_runs_passes(runs: dict[str, Path], tmp_path: Path) -> None:
    result = soak("compare", str(runs["clean"]), str(runs["clean2"]), "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / f"compare-{runs['clean'].name}.html").is_file()
