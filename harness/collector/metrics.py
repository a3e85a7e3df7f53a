"""The catalogue of metrics the collector records: name, unit and the probe that yields it."""

from __future__ import annotations

from harness.collector.store import Metric

RSS = Metric("target.rss_bytes", "bytes", "process")
FDS = Metric("target.fds", "count", "process")
TCP = Metric("target.tcp_connections", "count", "process")
THREADS = Metric("target.threads", "count", "process")
CPU = Metric("target.cpu_percent", "percent", "process")
PROCESSES = Metric("target.processes", "count", "process")
ALIVE = Metric("target.alive", "bool", "process")
MOCK_REQUESTS = Metric("mocks.requests_total", "count", "mocks")


def mock_requests(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.requests_total", "count", "mocks")


def mock_violations(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.contract_violations", "count", "mocks")
