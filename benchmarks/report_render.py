"""report.html of a day-long run: its size, how long soak takes to write it, and how long headless
Chromium takes to draw it (the page's own mark once its first screen of charts is drawn, and once
every collapsed chart is opened too). Targets: under 10 MB, drawn in under 3 s.

A 24 h run at 1 Hz is built in memory (about 100 curves with the names a real run records, a
leaking RSS so one check fails, a fault window), judged with the soak profile's thresholds and
rendered through the same functions `soak report` uses. Medians of several loads.

    python -m benchmarks.report_render [--hours 24] [--runs 3] [--keep DIR] [--against OLD/report.html]
"""

from __future__ import annotations

import argparse
import os
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
# Every collapsed part opened at once; "all drawn" once no chart is left undrawn and the frame that
# shows them is painted (a frame, then a task after it, as the page's own marks).
OPEN_ALL = """(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  for (let i = 0; i < 600 && !document.documentElement.dataset.allDrawnMs; i++) await sleep(10);
  const shown = Number(document.documentElement.dataset.allDrawnMs);
  const start = performance.now();
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  for (let i = 0; i < 600 && document.querySelector("[data-chart]:not([data-drawn])"); i++) await frame();
  await frame();
  await sleep(0);
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


# ms after navigation: first screen, every open chart, every chart; then the main thread's busy
# ms by then (all its tasks, and of those its scripts); then the CPU ms of all Chromium's processes
# while the page loaded and drew (what the page costs on a shared machine, whatever the load)
Marks = tuple[float, float, float, float, float, float]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _chromium_cpu_s() -> float:
    """CPU seconds used so far by the Chromium this process started and every process of its session
    (renderers, GPU, zygote: tests/browser.py starts it in a session of its own), the processes that
    ended included (a closed tab's renderer: its time moves to its parent's children's times)."""
    stats = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        stats.append((int(stat.parent.name), int(fields[1]), int(fields[3]), sum(map(int, fields[11:15]))))
    browsers = {pid for pid, parent, _, _ in stats if parent == os.getpid()}
    return sum(ticks for _, _, session, ticks in stats if session in browsers) / CLOCK_TICKS


def browse(pages: list[Path], runs: int) -> tuple[list[Marks], int, list[str]]:
    """Per page, medians of the marks; how many charts the first page has. The pages are loaded in
    turn (A, B, B, A, ...: each leads a round in its turn) so each sees the same moments of a shared
    machine."""
    from tests.browser import browser, open_page

    marks: list[list[list[float]]] = [[[] for _ in range(6)] for _ in pages]
    errors: list[str] = []
    count = 0
    with browser() as url:
        for run in range(runs):
            turn = [*range(run % len(pages), len(pages)), *range(run % len(pages))]  # each page leads a round
            for page, found in ((pages[i], marks[i]) for i in turn):
                cpu_s = _chromium_cpu_s()
                loaded = open_page(url, page, OPEN_ALL, size=(1400, 900))
                cpu_s = _chromium_cpu_s() - cpu_s
                assert loaded.rendered_ms is not None and isinstance(loaded.facts, dict)
                busy = loaded.busy_s
                values = (loaded.rendered_ms, loaded.facts["shown_ms"], loaded.facts["all_ms"],
                          1e3 * busy["TaskDuration"], 1e3 * busy["ScriptDuration"], 1e3 * cpu_s)  # fmt: skip
                for column, value in zip(found, values, strict=True):
                    column.append(float(value))
                errors += loaded.errors
                count = count or int(loaded.facts["charts"])
    medians: list[Marks] = []
    for found in marks:
        first, shown, every, task, script, cpu = (statistics.median(column) for column in found)
        medians.append((first, shown, every, task, script, cpu))
    return medians, count, errors


def _print_marks(name: str, found: Marks, runs: int, charts: int) -> None:
    first_ms, shown_ms, every_ms, task_ms, script_ms, cpu_ms = found
    print(f"  {name} (medians of {runs}, ms after navigation): first screen drawn {first_ms:.0f} (target < 3 s), "
          f"every chart not collapsed {shown_ms:.0f}, all {charts} charts with every collapsed part opened "
          f"{every_ms:.0f} (target < 3 s); main thread busy {task_ms:.0f}, in scripts {script_ms:.0f}; "
          f"Chromium's CPU {cpu_ms:.0f}")  # fmt: skip


def main() -> None:
    from tests.browser import chromium

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--against", type=Path, action="append", default=[],
                        help="an older report.html (from --keep) drawn in turn with this one")  # fmt: skip
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
        found, charts, errors = browse([page, *args.against], args.runs)
        print(f"  after drawing: {load_line()}")
        _print_marks("this page", found[0], args.runs, charts)
        for other, marks in zip(args.against, found[1:], strict=True):
            _print_marks(f"{other} ({other.stat().st_size / 2**20:.2f} MiB)", marks, args.runs, charts)
            ratios = ", ".join(f"{mine / theirs:.2f}" for mine, theirs in zip(found[0], marks, strict=True))
            print(f"    this page / that one (first screen, not collapsed, all, main thread, scripts, CPU): {ratios}")
        print(f"  console errors: {len(errors)}")


if __name__ == "__main__":
    main()
