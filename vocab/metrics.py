"""Metric names, with their units in the name (`_bytes`, `_s`, `_total`) and in UNITS.

Names built per upstream, state, kind or probe have builders here, so no other module assembles
one from parts.
"""

from __future__ import annotations

from enum import StrEnum


class Unit(StrEnum):
    BYTES = "bytes"
    COUNT = "count"
    SECONDS = "seconds"
    PERCENT = "percent"
    BOOL = "bool"
    PER_S = "per_s"
    RATIO = "ratio"
    TEXT = "text"
    CALLS_PER_UPDATE = "calls/update"


class Metric(StrEnum):
    """Every metric with a fixed name: recorded by the collector, built from Locust's history, or
    derived by the report from the per-update accounting."""

    # The target's process tree (collector/process_probe.py)
    RSS_BYTES = "target.rss_bytes"
    USS_BYTES = "target.uss_bytes"
    PSS_BYTES = "target.pss_bytes"
    FDS = "target.fds"
    SOCKETS = "target.fds.socket"
    TMPDIR_FDS = "target.fds.tmpdir_files"
    THREADS = "target.threads"
    CPU_PERCENT = "target.cpu_percent"
    PROCESSES = "target.processes"
    ALIVE = "target.alive"
    # Its processes' main threads (for Node, the event loop), from /proc/PID/schedstat: seconds on a
    # CPU, and seconds runnable but waiting for one, per second of wall time (a service starved of CPU)
    MAIN_THREAD_RUN_RATIO = "target.main_thread.on_cpu_ratio"
    MAIN_THREAD_WAIT_RATIO = "target.main_thread.cpu_wait_ratio"
    # Its TCP sockets (collector/tcp_probe.py); TIME_WAIT belongs to no process: system-wide
    TCP_CONNECTIONS = "target.tcp_connections"
    TCP_CLOSE_WAIT = "target.tcp.close_wait"
    # Of those, the ones in CLOSE_WAIT at the probe's previous reading too (the same sockets)
    TCP_CLOSE_WAIT_HELD = "target.tcp.close_wait_held"
    TIME_WAIT_TO_MOCKS = "system.tcp.time_wait_to_mocks"
    # The machine's 1-minute load average per core (collector/self_probe.py): a starved machine
    LOAD_PER_CORE = "system.load_per_core"
    # Its temp files (collector/tmp_probe.py)
    TMP_FILES = "tmp.files"
    TMP_BYTES = "tmp.bytes"
    TMP_OLDEST_AGE_S = "tmp.oldest_age_s"
    # Redis (collector/redis_probe.py)
    REDIS_UP = "redis.up"
    REDIS_CLIENTS = "redis.connected_clients"
    REDIS_TARGET_CLIENTS = "redis.target_clients"
    REDIS_USED_MEMORY_BYTES = "redis.used_memory_bytes"
    REDIS_DBSIZE = "redis.dbsize"
    # The Node runtime over the inspector (collector/node_probe.py, node_census.py)
    NODE_INSPECTOR_UP = "node.inspector_up"
    HEAP_USED_BYTES = "node.heap_used_bytes"
    HEAP_TOTAL_BYTES = "node.heap_total_bytes"
    EXTERNAL_BYTES = "node.external_bytes"
    ARRAY_BUFFERS_BYTES = "node.array_buffers_bytes"
    HEAP_AFTER_GC_BYTES = "node.heap_used_after_gc_bytes"
    EXTERNAL_AFTER_GC_BYTES = "node.external_after_gc_bytes"  # Buffers and ArrayBuffers included
    ARRAY_BUFFERS_AFTER_GC_BYTES = "node.array_buffers_after_gc_bytes"
    NODE_EMITTERS = "node.emitters"
    NODE_LISTENERS = "node.listeners"
    NODE_LISTENERS_MOST = "node.listeners_most_on_one_event"
    NODE_ACTIVE_HANDLES = "node.active_handles"
    NODE_ACTIVE_REQUESTS = "node.active_requests"
    LOOP_DELAY_P50_S = "node.loop_delay_p50_s"
    LOOP_DELAY_P99_S = "node.loop_delay_p99_s"
    LOOP_DELAY_MAX_S = "node.loop_delay_max_s"
    # The mocks' counters (collector/mock_probe.py), all upstreams together
    MOCK_REQUESTS_TOTAL = "mocks.requests_total"
    # The collector itself
    TICK_COST_S = "collector.tick_cost_s"
    # Locust's history (evaluate/locust_history.py), on the run's clock
    UPDATES_TOTAL = "load.updates_total"
    FAILURES_TOTAL = "load.failures_total"
    USERS = "load.users"
    REQUESTS_PER_S = "load.requests_per_s"
    FAILURES_PER_S = "load.failures_per_s"
    LATENCY_P50_S = "load.latency_p50_s"
    LATENCY_P95_S = "load.latency_p95_s"
    LATENCY_P99_S = "load.latency_p99_s"
    ERROR_RATIO = "load.error_ratio"
    # The per-update accounting, as the report charts it (report/work_series.py)
    UPDATES_COMPLETED = "work.updates_completed"
    UPDATES_LOST = "work.updates_lost"
    UPDATES_EXPLAINED = "work.updates_not_completed_in_faults"
    E2E_LATENCY_P50_S = "work.e2e_latency_p50_s"
    E2E_LATENCY_P95_S = "work.e2e_latency_p95_s"
    E2E_LATENCY_P99_S = "work.e2e_latency_p99_s"


# Whose unit is not said by its name alone; the rest are counts.
UNITS: dict[Metric, Unit] = {
    **{m: Unit.BYTES for m in Metric if m.value.endswith(("_bytes", "tmp.bytes"))},
    **{m: Unit.SECONDS for m in Metric if m.value.endswith("_s") and not m.value.endswith("_per_s")},
    **{m: Unit.PER_S for m in Metric if m.value.endswith("_per_s")},
    Metric.CPU_PERCENT: Unit.PERCENT,
    Metric.ALIVE: Unit.BOOL,
    Metric.REDIS_UP: Unit.BOOL,
    Metric.NODE_INSPECTOR_UP: Unit.BOOL,
    Metric.ERROR_RATIO: Unit.RATIO,
    Metric.MAIN_THREAD_RUN_RATIO: Unit.RATIO,
    Metric.MAIN_THREAD_WAIT_RATIO: Unit.RATIO,
}


def unit_of(metric: Metric) -> Unit:
    return UNITS.get(metric, Unit.COUNT)


LOAD_CURVES = (
    Metric.UPDATES_TOTAL,
    Metric.FAILURES_TOTAL,
    Metric.USERS,
    Metric.REQUESTS_PER_S,
    Metric.FAILURES_PER_S,
    Metric.LATENCY_P50_S,
    Metric.LATENCY_P95_S,
    Metric.LATENCY_P99_S,
)
E2E_LATENCY_PREFIX = "work.e2e_latency_"
CALLS_PER_UPDATE_PREFIX = "work.calls_per_update."
MOCKS_PREFIX = "mocks."
COLLECTOR_PREFIX = "collector."


# Per upstream, from the mocks' counters (mocks/common/stats.py, connections.py)
def mock_metric(upstream: str, figure: str) -> str:
    """figure: requests_total, contract_violations, in_flight, connections_<counter>."""
    return f"{MOCKS_PREFIX}{upstream}.{figure}"


def mock_requests(upstream: str) -> str:
    return mock_metric(upstream, "requests_total")


def mock_violations(upstream: str) -> str:
    return mock_metric(upstream, "contract_violations")


def mock_connections(upstream: str, counter: str) -> str:
    """counter: opened, churned, one_shot, left_behind, closed_by_client, closed_idle_by_mock, open."""
    return mock_metric(upstream, f"connections_{counter}")


def mock_in_flight(upstream: str) -> str:
    return mock_metric(upstream, "in_flight")


def calls_per_update(upstream: str) -> str:
    """The report's work series of an upstream's calls per update."""
    return f"{CALLS_PER_UPDATE_PREFIX}{upstream}"


# Per kind, state or peer of the target's resources
def fds_of_kind(kind: str) -> str:
    return f"target.fds.{kind}"


TCP_PREFIX = "target.tcp."  # every TCP figure of the target but its total


def tcp_by_state(state: str) -> str:
    return f"{TCP_PREFIX}state.{state.lower()}"


def tcp_by_peer(peer: str) -> str:
    return f"{TCP_PREFIX}peer.{peer}"


def node_resource(kind: str) -> str:
    """node.active.<kind>: process.getActiveResourcesInfo() by kind (Timeout, TCPSocketWrap, ...)."""
    return f"node.active.{kind}"


TIMERS = node_resource("Timeout")  # unlike handles, the resources' list counts timers


def tmp_files_of(slug: str) -> str:
    return f"tmp.files.{slug}"


def tmp_bytes_of(slug: str) -> str:
    return f"tmp.bytes.{slug}"


def redis_keys_of(slug: str) -> str:
    return f"redis.keys.{slug}"


PENDING_CALLBACKS = redis_keys_of("cursor_runner_callback")  # the collector counts cursor_runner_callback:*


# soak's own processes and the collector's probes. The roles whose main thread answers the target
# (the mocks' event loop) or times it (Locust's): saturated, they make a service look slow.
MOCKS_ROLE = "mocks_server"
TARGET_ROLE = "target"  # main_thread_run(TARGET_ROLE) is Metric.MAIN_THREAD_RUN_RATIO, read by the process probe
LOCUST_ROLE = "locust"
TIMING_ROLES = (MOCKS_ROLE, LOCUST_ROLE)


def process_rss(role: str) -> str:
    return f"{role}.rss_bytes"


def process_cpu(role: str) -> str:
    return f"{role}.cpu_percent"


def main_thread_run(role: str) -> str:
    """Seconds the role's main thread ran on a CPU per second (its event loop, for the mocks)."""
    return f"{role}.main_thread.on_cpu_ratio"


def main_thread_wait(role: str) -> str:
    """Seconds the role's main thread was runnable but waited for a CPU per second."""
    return f"{role}.main_thread.cpu_wait_ratio"


def probe_metric(probe: str, figure: str) -> str:
    """figure: cost_s, cpu_s, over_budget_total, errors_total, first_error."""
    return f"{COLLECTOR_PREFIX}{probe}.{figure}"


def probe_of_error(name: str) -> str | None:
    """The probe whose first error the name holds (collector.<probe>.first_error), else None."""
    head, _, figure = name.rpartition(".")
    if not name.startswith(COLLECTOR_PREFIX) or figure != "first_error":
        return None
    return head.removeprefix(COLLECTOR_PREFIX)
