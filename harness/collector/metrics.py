"""The catalogue of metrics the collector records: name, unit and the probe that yields it.

judge.py and analysis read RSS, FDS, ALIVE and MOCK_REQUESTS by name: keep those names.
"""

from __future__ import annotations

from harness.collector.store import Metric

RSS = Metric("target.rss_bytes", "bytes", "process")
USS = Metric("target.uss_bytes", "bytes", "process")
PSS = Metric("target.pss_bytes", "bytes", "process")
FDS = Metric("target.fds", "count", "process")
TCP = Metric("target.tcp_connections", "count", "tcp")
TCP_CLOSE_WAIT = Metric("target.tcp.close_wait", "count", "tcp")
# System-wide (TIME_WAIT sockets belong to no process): not a resource of the target.
TIME_WAIT_TO_MOCKS = Metric("system.tcp.time_wait_to_mocks", "count", "system")
THREADS = Metric("target.threads", "count", "process")
CPU = Metric("target.cpu_percent", "percent", "process")
PROCESSES = Metric("target.processes", "count", "process")
ALIVE = Metric("target.alive", "bool", "process")
TMP_FDS = Metric("target.fds.tmpdir_files", "count", "process")
MOCK_REQUESTS = Metric("mocks.requests_total", "count", "mocks")

TMP_FILES = Metric("tmp.files", "count", "tmp")
TMP_BYTES = Metric("tmp.bytes", "bytes", "tmp")
TMP_OLDEST_AGE = Metric("tmp.oldest_age_s", "seconds", "tmp")

REDIS_UP = Metric("redis.up", "bool", "redis")
REDIS_CLIENTS = Metric("redis.connected_clients", "count", "redis")
REDIS_TARGET_CLIENTS = Metric("redis.target_clients", "count", "redis")
REDIS_USED_MEMORY = Metric("redis.used_memory_bytes", "bytes", "redis")
REDIS_DBSIZE = Metric("redis.dbsize", "count", "redis")

NODE_INSPECTOR_UP = Metric("node.inspector_up", "bool", "node")
NODE_HEAP_USED = Metric("node.heap_used_bytes", "bytes", "node")
NODE_HEAP_TOTAL = Metric("node.heap_total_bytes", "bytes", "node")
NODE_EXTERNAL = Metric("node.external_bytes", "bytes", "node")
NODE_ARRAY_BUFFERS = Metric("node.array_buffers_bytes", "bytes", "node")
NODE_HEAP_AFTER_GC = Metric("node.heap_used_after_gc_bytes", "bytes", "node")
NODE_EXTERNAL_AFTER_GC = Metric("node.external_after_gc_bytes", "bytes", "node")
NODE_ARRAY_BUFFERS_AFTER_GC = Metric("node.array_buffers_after_gc_bytes", "bytes", "node")
# From the listener census at each forced GC: live EventEmitters, their listeners, and the most
# listeners on one event of one emitter (what a listener leak grows).
NODE_EMITTERS = Metric("node.emitters", "count", "node")
NODE_LISTENERS = Metric("node.listeners", "count", "node")
NODE_LISTENERS_MOST = Metric("node.listeners_most_on_one_event", "count", "node")
NODE_ACTIVE_HANDLES = Metric("node.active_handles", "count", "node")
NODE_ACTIVE_REQUESTS = Metric("node.active_requests", "count", "node")
NODE_LOOP_DELAY_P50 = Metric("node.loop_delay_p50_s", "seconds", "node")
NODE_LOOP_DELAY_P99 = Metric("node.loop_delay_p99_s", "seconds", "node")
NODE_LOOP_DELAY_MAX = Metric("node.loop_delay_max_s", "seconds", "node")

TICK_COST = Metric("collector.tick_cost_s", "seconds", "collector")


def mock_requests(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.requests_total", "count", "mocks")


def mock_violations(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.contract_violations", "count", "mocks")


def mock_connections_opened(upstream: str) -> Metric:
    """TCP connections that carried upstream requests, opened since the mock started."""
    return Metric(f"mocks.{upstream}.connections_opened", "count", "mocks")


def mock_connections_churned(upstream: str) -> Metric:
    """Connections a pool would not have made: one-shot, or left behind idle (mocks/common/connections.py)."""
    return Metric(f"mocks.{upstream}.connections_churned", "count", "mocks")


def mock_connections_one_shot(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.connections_one_shot", "count", "mocks")


def mock_connections_left_behind(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.connections_left_behind", "count", "mocks")


def mock_connections_closed_by_client(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.connections_closed_by_client", "count", "mocks")


def mock_connections_closed_idle(upstream: str) -> Metric:
    """Connections the mock closed after they idled KEEPALIVE_IDLE_S (as nginx does)."""
    return Metric(f"mocks.{upstream}.connections_closed_idle_by_mock", "count", "mocks")


def mock_connections_open(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.connections_open", "count", "mocks")


def mock_in_flight(upstream: str) -> Metric:
    return Metric(f"mocks.{upstream}.in_flight", "count", "mocks")


def fds_of_kind(kind: str) -> Metric:
    return Metric(f"target.fds.{kind}", "count", "process")


def tcp_by_state(state: str) -> Metric:
    return Metric(f"target.tcp.state.{state.lower()}", "count", "tcp")


def tcp_by_peer(peer: str) -> Metric:
    # The inspector's connection is the collector's own session, not a resource of the target.
    return Metric(f"target.tcp.peer.{peer}", "count", "collector" if peer == "inspector" else "tcp")


def tmp_files_of(pattern: str) -> Metric:
    return Metric(f"tmp.files.{_slug(pattern)}", "count", "tmp")


def tmp_bytes_of(pattern: str) -> Metric:
    return Metric(f"tmp.bytes.{_slug(pattern)}", "bytes", "tmp")


def redis_keys_of(prefix: str) -> Metric:
    return Metric(f"redis.keys.{_slug(prefix)}", "count", "redis")


def node_resource(kind: str) -> Metric:
    return Metric(f"node.active.{kind}", "count", "node")


def process_rss(role: str) -> Metric:
    return Metric(f"{role}.rss_bytes", "bytes", "self")


def process_cpu(role: str) -> Metric:
    return Metric(f"{role}.cpu_percent", "percent", "self")


def probe_cost(probe: str) -> Metric:
    return Metric(f"collector.{probe}.cost_s", "seconds", "collector")


def probe_cpu(probe: str) -> Metric:
    return Metric(f"collector.{probe}.cpu_s", "seconds", "collector")


def probe_overruns(probe: str) -> Metric:
    return Metric(f"collector.{probe}.over_budget_total", "count", "collector")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "" for ch in text).strip("_") or "all"


def probe_errors(probe: str) -> Metric:
    return Metric(f"collector.{probe}.errors_total", "count", "collector")


def probe_first_error(probe: str) -> Metric:
    """Never a sample: its `unavailable` reason holds the first exception the probe raised."""
    return Metric(f"collector.{probe}.first_error", "text", "collector")
