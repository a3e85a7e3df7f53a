"""report.html of a day-long run: its size, how long soak takes to write it, and how long headless
Chromium takes to draw it (the page's own mark once its first screen of charts is drawn, and once
every collapsed chart is opened too). Targets: under 10 MB, drawn in under 3 s.

A 24 h run at 1 Hz is built in memory (about 100 curves with the names a real run records, a
leaking RSS so one check fails, a fault window), judged with the soak profile's thresholds and
rendered through the same functions `soak report` uses. Medians of several loads.

    python -m benchmarks.report_render [--hours 24] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.machine import load_line
from harness.analysis.model import Curve, FaultWindow, RunData, Span
from harness.analysis.rules import UPDATES
from harness.analysis.verdict import judge
from harness.config import load_profile
from harness.report.faults import fault_bands, fault_rows
from harness.report.html import PageExtras, render_html
from harness.report.layout import chart_plan
from harness.report.render import phase_bands

ROOT = Path(__file__).resolve().parents[1]
OPEN_ALL = """(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; i < 600 && !document.documentElement.dataset.allDrawnMs; i++) await sleep(10);
  const shown = Number(document.documentElement.dataset.allDrawnMs);
  const start = performance.now();
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  await sleep(0);
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return {shown_ms: shown, all_ms: shown + performance.now() - start, charts: Object.keys(window.soakCharts).length};
})()"""


def _names() -> dict[str, str]:
    """Metric names and units as a real run of the reference bot records them."""
    by_unit = {
        "bytes": ("target.rss_bytes", "target.uss_bytes", "target.pss_bytes", "node.heap_used_bytes",
                  "node.heap_used_after_gc_bytes", "node.heap_total_bytes", "node.external_bytes",
                  "node.array_buffers_bytes", "redis.used_memory_bytes", "tmp.bytes"),
        "count": ("target.fds", "target.threads", "target.processes", "target.tcp_connections", "target.tcp.close_wait",
                  "tmp.files", "redis.target_clients", "redis.connected_clients", "redis.dbsize",
                  "node.active_handles", "node.active_requests", "mocks.requests_total"),
        "seconds": ("tmp.oldest_age_s", "node.loop_delay_p50_s", "node.loop_delay_p99_s", "node.loop_delay_max_s",
                    "collector.tick_cost_s"),
        "bool": ("target.alive",),
        "percent": ("target.cpu_percent",),
    }  # fmt: skip
    names = {name: unit for unit, members in by_unit.items() for name in members}
    for kind in ("socket", "pipe", "file", "anon_inode", "other", "tmpdir_files"):
        names[f"target.fds.{kind}"] = "count"
    for state in ("established", "time_wait", "close_wait", "fin_wait2", "listen"):
        names[f"target.tcp.state.{state}"] = "count"
    for peer in ("telegram", "elevenlabs", "cursor_runner", "redis", "inspector", "other"):
        names[f"target.tcp.peer.{peer}"] = "count"
    for kind in ("Timeout", "TCPSocketWrap", "FSReqCallback", "Immediate", "TTYWrap"):
        names[f"node.active.{kind}"] = "count"
    for upstream in ("telegram", "elevenlabs", "cursor_runner"):
        for what in ("requests_total", "in_flight", "connections_open", "connections_opened", "contract_violations",
                     "connections_churned", "connections_one_shot", "connections_left_behind"):  # fmt: skip
            names[f"mocks.{upstream}.{what}"] = "count"
    for probe in ("process", "tcp", "tmp", "redis", "node", "mocks", "self"):
        names[f"collector.{probe}.cost_s"] = "seconds"
        names[f"collector.{probe}.cpu_s"] = "seconds"
        names[f"collector.{probe}.errors_total"] = "count"
    for role in ("harness", "mocks", "locust"):
        names[f"{role}.rss_bytes"] = "bytes"
        names[f"{role}.cpu_percent"] = "percent"
    return names


def _curve(t_s: np.ndarray, values: np.ndarray) -> Curve:
    # Curves as the store reads them today (tuples); arrays once the store hands arrays over.
    return Curve(tuple(t_s.tolist()), tuple(values.tolist()))


def synthetic_run(hours: float) -> tuple[RunData, dict[str, str]]:
    rng = np.random.default_rng(7)
    t_s = np.arange(0.0, hours * 3600, 1.0)
    load = Span(60.0, t_s[-1] - 600)
    names = _names()
    curves = {}
    for index, (name, unit) in enumerate(names.items()):
        if name.endswith("errors_total") or name in {"target.alive", "target.processes"}:
            values = np.full(t_s.size, 1.0 if name == "target.alive" else 0.0)
        elif unit == "bytes":
            values = 8e7 * (1 + index % 5) + 2e6 * np.sin(t_s / 97) + rng.normal(0, 2e5, t_s.size)
        elif name.endswith("_total"):
            values = np.cumsum(rng.poisson(20, t_s.size)).astype(float)
        else:
            values = np.round(10 + 5 * np.sin(t_s / (50 + index)) + rng.normal(0, 1, t_s.size))
        curves[name] = _curve(t_s, values)
    rss = 1e8 + 30.0 * t_s + 3e6 * np.sin(t_s / 60)  # about 100 KiB per minute: rss_per_request fails
    curves["target.rss_bytes"] = _curve(t_s, rss)
    curves[UPDATES] = _curve(t_s, np.cumsum(np.where((t_s > load.start_s) & (t_s < load.end_s), 20.0, 0.0)))
    faults = (FaultWindow("telegram", "sendMessage", "error", Span(3 * 3600.0, 3 * 3600.0 + 600)),)
    data = RunData(curves=curves, load=load, baseline=Span(0.0, 60.0), cooldown=Span(load.end_s, float(t_s[-1])),
                   fault_windows=faults)  # fmt: skip
    return data, names


def render(data: RunData, units: dict[str, str], out: Path) -> tuple[float, float]:
    """Seconds to judge, seconds to plan and render report.html."""
    limits = load_profile(ROOT / "profiles" / "soak.toml").thresholds
    started = time.perf_counter()
    verdict = judge(data, limits)
    judged_s = time.perf_counter() - started
    started = time.perf_counter()
    plan = chart_plan(verdict, data, units)
    extras = PageExtras(phases=phase_bands(data, limits.warmup_s), faults=fault_rows(data.fault_windows, verdict),
                        fault_bands=fault_bands(data.fault_windows))  # fmt: skip
    out.write_text(render_html(out.parent.name, verdict, data, [], plan, extras=extras), encoding="utf-8")
    return judged_s, time.perf_counter() - started


def browse(page: Path, runs: int) -> tuple[list[float], int, list[str]]:
    """Medians (ms after navigation): first screen drawn, every open chart drawn, every chart drawn
    once every collapsed part is opened too; and how many charts that is."""
    from tests.browser import browser, open_page

    marks: list[list[float]] = [[], [], []]
    errors: list[str] = []
    count = 0
    with browser() as url:
        for _ in range(runs):
            loaded = open_page(url, page, OPEN_ALL, size=(1400, 900))
            assert loaded.rendered_ms is not None and isinstance(loaded.facts, dict)
            for found, value in zip(marks, (loaded.rendered_ms, loaded.facts["shown_ms"], loaded.facts["all_ms"]),
                                    strict=True):  # fmt: skip
                found.append(float(value))
            count, errors = int(loaded.facts["charts"]), errors + loaded.errors
    return [statistics.median(found) for found in marks], count, errors


def main() -> None:
    from tests.browser import chromium

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None)
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="soak-bench-render-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        page = folder / "report.html"
        data, units = synthetic_run(args.hours)
        judged_s, render_s = render(data, units, page)
        size_mib = page.stat().st_size / 2**20
        print(f"report.html of {args.hours:g} h at 1 Hz ({len(data.curves)} curves): {size_mib:.2f} MiB "
              f"(target < 10 MB); judged in {judged_s:.1f} s, planned and rendered in {render_s:.1f} s")  # fmt: skip
        if chromium() is None:
            print("  Chromium: not installed (make setup installs it as root): not drawn")
            return
        print(f"  before drawing: {load_line()}")
        (first_ms, shown_ms, every_ms), charts, errors = browse(page, args.runs)
        print(f"  after drawing: {load_line()}")
        print(f"  Chromium (medians of {args.runs}, ms after navigation): first screen drawn {first_ms:.0f} "
              f"(target < 3 s), every chart not collapsed {shown_ms:.0f}, all {charts} charts with every collapsed "
              f"part opened {every_ms:.0f}; console errors: {len(errors)}")  # fmt: skip


if __name__ == "__main__":
    main()
