"""An OpenMetrics (and Prometheus text) endpoint with the run's latest figures, for a Prometheus
that watches nightly runs: every metric the collector records as a gauge `soak_<name>`, Locust's
figures, the phase, active fault windows and checks already failing. Loopback unless told otherwise."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector, CollectorRegistry

from harness.live.tracker import PHASES, Snapshot

_NOT_IN_NAME = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(name: str) -> str:
    """target.fds.socket -> soak_target_fds_socket (a name Prometheus accepts)."""
    return "soak_" + _NOT_IN_NAME.sub("_", name)


def _load_families(snapshot: Snapshot) -> Iterator[Metric]:
    load = snapshot.load
    if load is None:
        return
    yield GaugeMetricFamily("soak_load_users", "Locust users", value=load.users)
    yield GaugeMetricFamily("soak_load_updates_per_second", "updates sent per second", value=load.updates_per_s)
    yield GaugeMetricFamily("soak_load_failures_per_second", "failed updates per second", value=load.failures_per_s)
    yield GaugeMetricFamily("soak_load_updates_sent", "updates sent so far", value=load.updates_total)
    yield GaugeMetricFamily("soak_load_failures", "updates failed so far", value=load.failures_total)
    if load.p95_s is not None:
        yield GaugeMetricFamily("soak_load_webhook_p95_seconds", "webhook latency p95, recent", value=load.p95_s)


def _run_families(snapshot: Snapshot) -> Iterator[Metric]:
    yield GaugeMetricFamily("soak_elapsed_seconds", "since soak started the run", value=snapshot.elapsed_s)
    if snapshot.remaining_s is not None:
        yield GaugeMetricFamily("soak_remaining_seconds", "until the planned end", value=snapshot.remaining_s)
    phase = GaugeMetricFamily("soak_phase", "1 for the phase the run is in", labels=["phase"])
    for name in PHASES:
        phase.add_metric([name], 1.0 if name == snapshot.phase else 0.0)
    yield phase
    faults = GaugeMetricFamily("soak_fault_window_active", "fault windows open now", labels=["window"])
    for label in snapshot.faults_active:
        faults.add_metric([label], 1.0)
    yield faults
    failing = GaugeMetricFamily("soak_check_failing", "checks already failing", labels=["check"])
    for failure in snapshot.failing:
        failing.add_metric([failure.check], 1.0)
    yield failing


class SnapshotCollector(Collector):
    """Yields the latest snapshot at each scrape; nothing is computed for a scrape."""

    def __init__(self, source: Callable[[], Snapshot | None]) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        snapshot = self._source()
        if snapshot is None:
            return
        yield from _run_families(snapshot)
        yield from _load_families(snapshot)
        for name, reading in sorted(snapshot.latest.items()):
            yield GaugeMetricFamily(metric_name(name), f"{name} ({reading.unit})", value=reading.value)


@dataclass(frozen=True)
class MetricsServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        host_text = host.decode() if isinstance(host, bytes) else host
        return f"http://{host_text}:{self.server.server_port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(host: str, port: int, source: Callable[[], Snapshot | None]) -> MetricsServer:
    """Serve on host:port (0: a free port) in a daemon thread until close()."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(source))
    server, thread = start_http_server(port, addr=host, registry=registry)
    return MetricsServer(server, thread)
