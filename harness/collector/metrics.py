"""The catalogue of metrics the collector records: name (from the vocabulary), unit and the probe
that yields it."""

from __future__ import annotations

from harness.collector.store import Metric
from vocab import metrics as names
from vocab.metrics import Metric as M
from vocab.metrics import Unit, unit_of
from vocab.upstreams import Peer


def _fixed(name: M, source: str) -> Metric:
    return Metric(name, unit_of(name), source)


RSS = _fixed(M.RSS_BYTES, "process")
USS = _fixed(M.USS_BYTES, "process")
PSS = _fixed(M.PSS_BYTES, "process")
FDS = _fixed(M.FDS, "process")
TCP = _fixed(M.TCP_CONNECTIONS, "tcp")
TCP_CLOSE_WAIT = _fixed(M.TCP_CLOSE_WAIT, "tcp")
TCP_CLOSE_WAIT_HELD = _fixed(M.TCP_CLOSE_WAIT_HELD, "tcp")
# System-wide (TIME_WAIT sockets belong to no process): not a resource of the target.
TIME_WAIT_TO_MOCKS = _fixed(M.TIME_WAIT_TO_MOCKS, "system")
LOAD_PER_CORE = _fixed(M.LOAD_PER_CORE, "system")
THREADS = _fixed(M.THREADS, "process")
CPU = _fixed(M.CPU_PERCENT, "process")
PROCESSES = _fixed(M.PROCESSES, "process")
ALIVE = _fixed(M.ALIVE, "process")
MAIN_THREAD_RUN = _fixed(M.MAIN_THREAD_RUN_RATIO, "process")
MAIN_THREAD_WAIT = _fixed(M.MAIN_THREAD_WAIT_RATIO, "process")
TMP_FDS = _fixed(M.TMPDIR_FDS, "process")
MOCK_REQUESTS = _fixed(M.MOCK_REQUESTS_TOTAL, "mocks")

TMP_FILES = _fixed(M.TMP_FILES, "tmp")
TMP_BYTES = _fixed(M.TMP_BYTES, "tmp")
TMP_OLDEST_AGE = _fixed(M.TMP_OLDEST_AGE_S, "tmp")

REDIS_UP = _fixed(M.REDIS_UP, "redis")
REDIS_CLIENTS = _fixed(M.REDIS_CLIENTS, "redis")
REDIS_TARGET_CLIENTS = _fixed(M.REDIS_TARGET_CLIENTS, "redis")
REDIS_USED_MEMORY = _fixed(M.REDIS_USED_MEMORY_BYTES, "redis")
REDIS_DBSIZE = _fixed(M.REDIS_DBSIZE, "redis")

NODE_INSPECTOR_UP = _fixed(M.NODE_INSPECTOR_UP, "node")
NODE_HEAP_USED = _fixed(M.HEAP_USED_BYTES, "node")
NODE_HEAP_TOTAL = _fixed(M.HEAP_TOTAL_BYTES, "node")
NODE_EXTERNAL = _fixed(M.EXTERNAL_BYTES, "node")
NODE_ARRAY_BUFFERS = _fixed(M.ARRAY_BUFFERS_BYTES, "node")
NODE_HEAP_AFTER_GC = _fixed(M.HEAP_AFTER_GC_BYTES, "node")
NODE_EXTERNAL_AFTER_GC = _fixed(M.EXTERNAL_AFTER_GC_BYTES, "node")
NODE_ARRAY_BUFFERS_AFTER_GC = _fixed(M.ARRAY_BUFFERS_AFTER_GC_BYTES, "node")
# From the listener census at each forced GC: live EventEmitters, their listeners, and the most
# listeners on one event of one emitter (what a listener leak grows).
NODE_EMITTERS = _fixed(M.NODE_EMITTERS, "node")
NODE_LISTENERS = _fixed(M.NODE_LISTENERS, "node")
NODE_LISTENERS_MOST = _fixed(M.NODE_LISTENERS_MOST, "node")
NODE_ACTIVE_HANDLES = _fixed(M.NODE_ACTIVE_HANDLES, "node")
NODE_ACTIVE_REQUESTS = _fixed(M.NODE_ACTIVE_REQUESTS, "node")
NODE_LOOP_DELAY_P50 = _fixed(M.LOOP_DELAY_P50_S, "node")
NODE_LOOP_DELAY_P99 = _fixed(M.LOOP_DELAY_P99_S, "node")
NODE_LOOP_DELAY_MAX = _fixed(M.LOOP_DELAY_MAX_S, "node")

TICK_COST = _fixed(M.TICK_COST_S, "collector")


def mock_requests(upstream: str) -> Metric:
    return Metric(names.mock_requests(upstream), Unit.COUNT, "mocks")


def mock_violations(upstream: str) -> Metric:
    return Metric(names.mock_violations(upstream), Unit.COUNT, "mocks")


def mock_connections(upstream: str, counter: str) -> Metric:
    """opened: connections that carried upstream requests since the mock started; churned: those a
    pool would not have made (one_shot, or left_behind idle: mocks/common/connections.py);
    closed_idle_by_mock: closed after idling KEEPALIVE_IDLE_S (as nginx does); open."""
    return Metric(names.mock_connections(upstream, counter), Unit.COUNT, "mocks")


def mock_in_flight(upstream: str) -> Metric:
    return Metric(names.mock_in_flight(upstream), Unit.COUNT, "mocks")


def fds_of_kind(kind: str) -> Metric:
    return Metric(names.fds_of_kind(kind), Unit.COUNT, "process")


def tcp_by_state(state: str) -> Metric:
    return Metric(names.tcp_by_state(state), Unit.COUNT, "tcp")


def tcp_by_peer(peer: str) -> Metric:
    # The inspector's connection is the collector's own session, not a resource of the target.
    return Metric(names.tcp_by_peer(peer), Unit.COUNT, "collector" if peer == Peer.INSPECTOR else "tcp")


def tmp_files_of(pattern: str) -> Metric:
    return Metric(names.tmp_files_of(_slug(pattern)), Unit.COUNT, "tmp")


def tmp_bytes_of(pattern: str) -> Metric:
    return Metric(names.tmp_bytes_of(_slug(pattern)), Unit.BYTES, "tmp")


def redis_keys_of(prefix: str) -> Metric:
    return Metric(names.redis_keys_of(_slug(prefix)), Unit.COUNT, "redis")


def node_resource(kind: str) -> Metric:
    return Metric(names.node_resource(kind), Unit.COUNT, "node")


def process_rss(role: str) -> Metric:
    return Metric(names.process_rss(role), Unit.BYTES, "self")


def process_cpu(role: str) -> Metric:
    return Metric(names.process_cpu(role), Unit.PERCENT, "self")


def main_thread_run(role: str) -> Metric:
    return Metric(names.main_thread_run(role), Unit.RATIO, "self")


def main_thread_wait(role: str) -> Metric:
    return Metric(names.main_thread_wait(role), Unit.RATIO, "self")


def probe_cost(probe: str) -> Metric:
    return Metric(names.probe_metric(probe, "cost_s"), Unit.SECONDS, "collector")


def probe_cpu(probe: str) -> Metric:
    return Metric(names.probe_metric(probe, "cpu_s"), Unit.SECONDS, "collector")


def probe_overruns(probe: str) -> Metric:
    return Metric(names.probe_metric(probe, "over_budget_total"), Unit.COUNT, "collector")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "" for ch in text).strip("_") or "all"


def probe_errors(probe: str) -> Metric:
    return Metric(names.probe_metric(probe, "errors_total"), Unit.COUNT, "collector")


def probe_first_error(probe: str) -> Metric:
    """Never a sample: its `unavailable` reason holds the first exception the probe raised."""
    return Metric(names.probe_metric(probe, "first_error"), Unit.TEXT, "collector")
