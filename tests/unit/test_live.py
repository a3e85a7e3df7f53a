"""The live view's parts: the collector's ticks handed over in-process, the tails of events.jsonl and
Locust's history, checks already failing, the rendered block and line, the OpenMetrics endpoint."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families
from rich.console import Console

from harness.collector import metrics
from harness.collector.store import Metric, Missing, SampleReader, Value
from harness.config import RunSpec, parse_profile
from harness.documents.events import Event, PhaseEvent, event_of
from harness.live.feed import FeedingWriter, Tick, TickFeed
from harness.live.metrics import metric_name, serve_metrics
from harness.live.render import plain_line, rich_block
from harness.live.tails import EventsTail, read_load_figures
from harness.live.tracker import RunTracker

MiB = 1024**2
HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
    "Total Min Response Time,Total Max Response Time,Total Average Content Size"
)


def _spec(**thresholds: object) -> RunSpec:
    return parse_profile(
        {"target": {"command": ["node"], "cwd": "/"}, "run": {"duration": "60 s", "cooldown": "10 s"},
         "thresholds": thresholds}
    )  # fmt: skip


def _tick(t_s: float, **values: Value) -> Tick:
    catalogue = {"rss": metrics.RSS, "fds": metrics.FDS, "close_wait": metrics.TCP_CLOSE_WAIT}
    return Tick(t_s, {catalogue[name]: value for name, value in values.items()})


def _phase(name: str, t_s: float) -> Event:
    return PhaseEvent(phase=name, t_s=t_s)


def _event(record: dict[str, object]) -> Event:
    return event_of(record, "test")


def test_a_peak_fails_live_only_inside_the_judged_run() -> None:
    tracker = RunTracker(_spec(rss_max="100 MiB", tcp_close_wait_max=0), "r")
    tracker.on_events([_phase("redis", 0.1), _phase("target", 2.0)])
    tracker.on_ticks([_tick(3.0, rss=300 * MiB, close_wait=0.0)])  # before the baseline: not judged
    tracker.on_events([_phase("baseline", 4.0), _phase("load", 7.0)])
    tracker.on_ticks([_tick(5.0, rss=50 * MiB, close_wait=0.0), _tick(8.0, rss=80 * MiB, close_wait=0.0)])
    assert tracker.failing() == []
    tracker.on_ticks([_tick(9.0, rss=150 * MiB, close_wait=2.0), _tick(10.0, rss=60 * MiB, close_wait=0.0)])
    failing = {failure.check: failure.detail for failure in tracker.failing()}
    # CLOSE_WAIT for a moment is no failure: the verdict judges the count held through a window.
    assert failing == {"rss_max": "peak 150 MiB, limit 100 MiB"}
    assert tracker.latest[metrics.RSS.name].value == 60 * MiB  # the latest value, not the peak


def test_ticks_that_come_before_their_phase_is_read_wait_for_it() -> None:
    tracker = RunTracker(_spec(rss_max="100 MiB"), "r")
    tracker.on_ticks([_tick(5.0, rss=200 * MiB)])  # the view read the tick before the baseline event
    assert tracker.failing() == []
    tracker.on_events([_phase("baseline", 4.0)])
    tracker.on_ticks([])
    assert [failure.check for failure in tracker.failing()] == ["rss_max"]


def test_missing_values_and_metric_peaks() -> None:
    custom = Metric("node.external_bytes", "bytes", "node")
    tracker = RunTracker(_spec(metric=[{"name": "node.external_bytes", "max": "1 MiB"}]), "r")
    tracker.on_events([_phase("baseline", 0.0)])
    tracker.on_ticks([Tick(1.0, {custom: 2.0 * MiB, metrics.FDS: Missing("no access")})])
    assert metrics.FDS.name not in tracker.latest
    assert [(f.check, f.detail) for f in tracker.failing()] == [
        ("metric.node.external_bytes.max", "peak 2.00 MiB, limit 1.00 MiB")
    ]


def test_fault_windows_egress_and_the_target_exit_from_events() -> None:
    tracker = RunTracker(_spec(), "r")
    window = {"upstream": "telegram", "route": "sendMessage", "kind": "error", "start_s": 5}
    tracker.on_events([_phase("load", 1.0), _event({"event": "fault_window_start", "t_s": 5.0, **window})])
    assert tracker.snapshot(6.0, None).faults_active == ("telegram sendMessage error",)
    tracker.on_events([_event({"event": "fault_window_end", "t_s": 9.0, **window})])
    assert tracker.snapshot(10.0, None).faults_active == ()
    tracker.on_events([_event({"event": "egress_refused", "t_s": 11.0, "host": "192.0.2.1"})])
    tracker.on_events([_event({"event": "target_exit", "t_s": 12.0, "cause": "SIGKILL"})])
    failing = {failure.check: failure.detail for failure in tracker.failing()}
    assert failing["target_alive"] == "target exited with SIGKILL"
    assert failing["egress_refused"].startswith("1 connections off the machine refused, limit 0")


def test_remaining_time_by_phase() -> None:
    tracker = RunTracker(_spec(), "r")  # baseline 3 s (default), load 60 s, cool-down 10 s
    assert tracker.remaining_s(1.0) == 73.0
    tracker.on_events([_phase("baseline", 2.0)])
    assert tracker.remaining_s(3.0) == 72.0
    tracker.on_events([_phase("load", 5.0)])
    assert tracker.remaining_s(35.0) == 40.0
    assert tracker.remaining_s(80.0) == 10.0  # Locust running late: the cool-down is still ahead
    tracker.on_events([_phase("cooldown", 66.0)])
    assert tracker.remaining_s(70.0) == 6.0
    tracker.on_events([_phase("stop", 76.0)])
    assert tracker.remaining_s(77.0) is None


def test_the_feed_hands_over_what_the_writer_committed(tmp_path: Path) -> None:
    feed = TickFeed(kept=3)
    writer = FeedingWriter(tmp_path / "samples.db", feed)
    for t_s in range(5):
        writer.write_tick(float(t_s), 0.0, {metrics.RSS: float(t_s)})
    ticks, dropped = feed.drain()
    assert [tick.t_s for tick in ticks] == [2.0, 3.0, 4.0] and dropped == 2
    assert feed.drain() == ([], 0)
    writer.close()
    series = SampleReader(tmp_path / "samples.db").series(metrics.RSS.name)
    assert series is not None and list(series.values) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_events_tail_reads_complete_lines_once(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    tail = EventsTail(path)
    assert tail.read_new() == []
    path.write_text('{"event": "phase", "phase": "redis", "t_s": 0.1}\n{"event": "pha')
    assert [getattr(event, "phase", None) for event in tail.read_new()] == ["redis"]
    with path.open("a") as handle:
        handle.write('se", "phase": "mocks", "t_s": 0.2}\nnot json\n[1]\n')
    assert [getattr(event, "phase", None) for event in tail.read_new()] == ["mocks"]
    assert tail.read_new() == []


def test_load_figures_from_the_last_aggregated_row(tmp_path: Path) -> None:
    history = tmp_path / "locust_stats_history.csv"
    assert read_load_figures(history) is None
    rows = [
        "1795994320,0,,Aggregated,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0",
        *(
            f"{1795994321 + i},4,POST,/telegram/webhook,8.0,0.0,40,41,42,43,44,45,46,47,48,49,50,{8 * i},0,40,41,1,50,2"
            for i in range(300)
        ),
        "1795994700,4,,Aggregated,8.100000,0.500000,40,41,42,43,44,61,70,80,90,91,92,2400,12,40,41.0,1,92,2.0",
    ]
    history.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    figures = read_load_figures(history)
    assert figures is not None
    assert (figures.users, figures.updates_per_s, figures.failures_per_s) == (4, 8.1, 0.5)
    assert figures.p95_s == 0.061 and (figures.updates_total, figures.failures_total) == (2400, 12)
    history.write_text(HEADER + "\n" + rows[0] + "\n")
    first = read_load_figures(history)
    assert first is not None and first.p95_s is None and first.updates_total == 0


def _failing_snapshot() -> object:
    tracker = RunTracker(_spec(rss_max="100 MiB"), "nightly-1")
    tracker.on_events([_phase("baseline", 1.0), _phase("load", 4.0)])
    tracker.on_ticks([_tick(5.0, rss=150 * MiB, fds=42.0)])
    history_figures = None
    return tracker.snapshot(60.0, history_figures)


def test_the_plain_line_and_the_block_show_the_figures() -> None:
    snapshot = _failing_snapshot()
    line = plain_line(snapshot)  # type: ignore[arg-type]
    assert line.startswith("soak: load 1:00 elapsed, 0:14 left | updates/s - |")
    assert "RSS 150 MiB" in line and "fds 42" in line and "sockets -" in line
    assert line.endswith("failing: rss_max (peak 150 MiB, limit 100 MiB)")
    console = Console(record=True, width=120, force_terminal=True)
    console.print(rich_block(snapshot))  # type: ignore[arg-type]
    text = console.export_text()
    assert "soak nightly-1  load 1:00 elapsed, 0:14 left" in text
    for label in ("updates/s", "webhook p95", "RSS", "heap", "sockets", "Redis clients", "fault window", "failing"):
        assert label in text
    assert "rss_max (peak 150 MiB, limit 100 MiB)" in text


def test_the_metrics_endpoint_serves_the_latest_snapshot_as_openmetrics() -> None:
    snapshot = _failing_snapshot()
    server = serve_metrics("127.0.0.1", 0, lambda: snapshot)  # type: ignore[arg-type,return-value]
    try:
        request = urllib.request.Request(server.url, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/openmetrics-text")
            text = response.read().decode()
    finally:
        server.close()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[(metric_name(metrics.RSS.name), ())] == 150 * MiB
    assert samples[("soak_target_fds", ())] == 42
    assert samples[("soak_check_failing", (("check", "rss_max"),))] == 1
    assert samples[("soak_phase", (("phase", "load"),))] == 1 and samples[("soak_phase", (("phase", "cooldown"),))] == 0
    assert samples[("soak_remaining_seconds", ())] == 14


def test_after_the_load_the_rate_is_not_locusts_last_one() -> None:
    from harness.live.tails import LoadFigures

    figures = LoadFigures(
        users=4, updates_per_s=8.0, failures_per_s=0.0, p95_s=0.05, updates_total=400, failures_total=2
    )
    tracker = RunTracker(_spec(), "r")
    tracker.on_events([_phase("load", 1.0)])
    assert "updates/s 8 (4 users, 400 sent) | errors 2 (0.5 %) | webhook p95 50 ms" in plain_line(
        tracker.snapshot(30.0, figures)
    )
    tracker.on_events([_phase("cooldown", 61.0)])
    assert "updates/s 0 (load stopped, 400 sent)" in plain_line(tracker.snapshot(62.0, figures))
