"""Verdict for a run directory from what is stored there (works on runs that were killed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.analysis.checks import RunCurves
from harness.analysis.model import Curve, Span, Status, Verdict
from harness.analysis.verdict import judge
from harness.collector import metrics
from harness.collector.store import SampleReader, StoreError
from harness.config import ConfigError, RunSpec
from harness.report.html import PHASE_COLOURS, Chart, render_html
from harness.report.junit import junit_xml
from harness.report.locust_stats import read_load_stats
from harness.report.summary import summary_markdown
from harness.report.svg import Band
from harness.rundir import RUN_JSON, SAMPLES, VERDICT, read_events, write_json, write_text

VERDICT_SCHEMA_VERSION = 1
EXIT_CODES = {Status.PASS: 0, Status.FAIL: 1, Status.INCONCLUSIVE: 3}


class ReportError(Exception):
    """A run directory that cannot be judged; the message is one line."""


def load_spec(run_dir: Path) -> RunSpec:
    path = run_dir / RUN_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RunSpec.model_validate(data["spec"])
    except FileNotFoundError:
        raise ReportError(f"not a run directory (no {RUN_JSON}): {run_dir}") from None
    except (ValueError, KeyError, ConfigError) as exc:
        raise ReportError(f"{path}: unreadable run spec: {exc}") from None


def _curve(reader: SampleReader, name: str) -> Curve | None:
    series = reader.series(name)
    if series is None or not series.t_s:
        return None
    return Curve(series.t_s, series.values)


def _load_span(run_dir: Path, last_tick_s: float) -> Span:
    """From the load start/end events; a run killed mid-load is judged up to its last tick."""
    events = read_events(run_dir)
    starts = [e["t_s"] for e in events if e.get("event") == "phase" and e.get("phase") == "load"]
    ends = [e["t_s"] for e in events if e.get("event") == "phase" and e.get("phase") == "cooldown"]
    start_s = starts[0] if starts else 0.0
    end_s = ends[0] if ends else last_tick_s
    return Span(start_s, end_s)


def _open(run_dir: Path) -> SampleReader:
    try:
        return SampleReader(run_dir / SAMPLES)
    except StoreError as exc:
        raise ReportError(str(exc)) from None


def read_curves(reader: SampleReader, run_dir: Path) -> RunCurves:
    rss = _curve(reader, metrics.RSS.name)
    last_tick_s = rss.t_s[-1] if rss else 0.0
    return RunCurves(
        rss=rss,
        fds=_curve(reader, metrics.FDS.name),
        requests=_curve(reader, metrics.MOCK_REQUESTS.name),
        alive=_curve(reader, metrics.ALIVE.name),
        load=_load_span(run_dir, last_tick_s),
        load_stats=read_load_stats(run_dir),
    )


def phase_bands(curves: RunCurves, warmup_s: float, last_tick_s: float) -> list[Band]:
    load = curves.load
    warm_end_s = min(load.end_s, load.start_s + warmup_s)
    return [
        Band(load.start_s, warm_end_s, "warm-up", PHASE_COLOURS["warm-up"]),
        Band(warm_end_s, load.end_s, "load (judged)", PHASE_COLOURS["load"]),
        Band(load.end_s, max(load.end_s, last_tick_s), "cool-down", PHASE_COLOURS["cool-down"]),
    ]


def _charts(reader: SampleReader) -> list[Chart]:
    charts = []
    for metric in reader.metrics():
        series = reader.series(metric.name)
        if series is not None and series.t_s:
            charts.append(Chart(metric.name, metric.unit, metric.source, series.t_s, series.values))
    return charts


def write_outputs(run_dir: Path, verdict: Verdict, reader: SampleReader, curves: RunCurves, warmup_s: float) -> None:
    """Everything a person or a CI system reads: verdict.json, junit.xml, summary.md, report.html."""
    charts = _charts(reader)
    last_tick_s = max((chart.t_s[-1] for chart in charts), default=0.0)
    write_json(run_dir / VERDICT, verdict_document(run_dir, verdict))
    write_text(run_dir / "junit.xml", junit_xml(run_dir.name, verdict, last_tick_s))
    write_text(run_dir / "summary.md", summary_markdown(run_dir.name, verdict))
    bands = phase_bands(curves, warmup_s, last_tick_s)
    write_text(run_dir / "report.html", render_html(run_dir.name, verdict, charts, bands))


def verdict_document(run_dir: Path, verdict: Verdict) -> dict[str, Any]:
    return {
        "schema_version": VERDICT_SCHEMA_VERSION,
        "run": run_dir.name,
        "status": verdict.status.value,
        "exit_code": EXIT_CODES[verdict.status],
        "checks": [
            {
                "name": check.name,
                "status": check.status.value,
                "figure": check.figure,
                "limit": check.limit,
                "unit": check.unit,
                "span_s": [check.span.start_s, check.span.end_s] if check.span else None,
                "detail": check.detail,
            }
            for check in verdict.checks
        ],
    }


def judge_run(run_dir: Path) -> Verdict:
    """Recompute the verdict from stored data and write every report file."""
    spec = load_spec(run_dir)
    reader = _open(run_dir)
    try:
        curves = read_curves(reader, run_dir)
        verdict = judge(curves, spec.thresholds)
        write_outputs(run_dir, verdict, reader, curves, spec.thresholds.warmup_s)
    finally:
        reader.close()
    return verdict


def describe(verdict: Verdict) -> list[str]:
    """Lines for the terminal: one per check, the failing ones named first."""
    ordered = sorted(verdict.checks, key=lambda check: check.status is not Status.FAIL)
    return [f"  {check.status.value.upper():12} {check.name}: {check.detail}" for check in ordered]
