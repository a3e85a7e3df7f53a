"""The report's sections and the curves each chart of them groups, by metric name.

Patterns are shell-style (names.fds_of_kind("*")); a curve's label is what the "*" matched, unless named.
A curve goes to the first chart that takes it; what no chart takes ends up in the collapsed last
section, so nothing recorded is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from harness.report import work_series as work
from harness.report.chartspec import ChartSpec, Section
from vocab import metrics as names
from vocab.metrics import Metric


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    patterns: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    note: str = ""

    def members(self, names: Iterable[str]) -> list[str]:
        """The names this chart takes, in the order of its patterns."""
        pool = list(names)
        found = [name for pattern in self.patterns for name in pool if fnmatchcase(name, pattern)]
        return list(dict.fromkeys(found))

    def label(self, name: str) -> str:
        if name in self.labels:
            return self.labels[name]
        for pattern in self.patterns:
            head, star, tail = pattern.partition("*")
            if star and fnmatchcase(name, pattern):
                return name[len(head) : len(name) - len(tail)]
        return name


@dataclass(frozen=True)
class SectionDef:
    id: str
    title: str
    intro: str
    groups: tuple[Group, ...]

    def spec(self, charts: tuple[ChartSpec, ...]) -> Section:
        return Section(self.id, self.title, charts, self.intro)


MEMORY = SectionDef(
    "memory",
    "Memory",
    "Where a leak grows: the V8 heap after a forced GC, external and array-buffer memory, and the "
    "process's resident memory as support.",
    (
        Group("rss", "Resident memory (RSS)", (Metric.RSS_BYTES, Metric.PSS_BYTES, Metric.USS_BYTES),
              {Metric.RSS_BYTES: "RSS", Metric.PSS_BYTES: "PSS", Metric.USS_BYTES: "USS"}),
        Group("heap", "V8 heap", (Metric.HEAP_AFTER_GC_BYTES, Metric.HEAP_USED_BYTES, Metric.HEAP_TOTAL_BYTES),
              {Metric.HEAP_AFTER_GC_BYTES: "used after GC", Metric.HEAP_USED_BYTES: "used",
               Metric.HEAP_TOTAL_BYTES: "total"}),
        Group("external", "External and array-buffer memory",
              (Metric.EXTERNAL_AFTER_GC_BYTES, Metric.EXTERNAL_BYTES, Metric.ARRAY_BUFFERS_AFTER_GC_BYTES,
               Metric.ARRAY_BUFFERS_BYTES),
              {Metric.EXTERNAL_AFTER_GC_BYTES: "external after GC", Metric.EXTERNAL_BYTES: "external",
               Metric.ARRAY_BUFFERS_AFTER_GC_BYTES: "array buffers after GC",
               Metric.ARRAY_BUFFERS_BYTES: "array buffers"}),
        Group("redis-memory", "Redis memory", (Metric.REDIS_USED_MEMORY_BYTES,),
              {Metric.REDIS_USED_MEMORY_BYTES: "used"}),
    ),
)  # fmt: skip

HANDLES = SectionDef(
    "handles",
    "Handles",
    "What a service opens and must close: file descriptors, sockets, Redis connections and keys, "
    "temp files, timers and listeners.",
    (
        Group("fds", "File descriptors by kind", (Metric.FDS, names.fds_of_kind("*")), {Metric.FDS: "all"}),
        Group("tcp-state", "Sockets by state",
              (Metric.TCP_CONNECTIONS, names.tcp_by_state("*"), Metric.TCP_CLOSE_WAIT),
              {Metric.TCP_CONNECTIONS: "all TCP", Metric.TCP_CLOSE_WAIT: "CLOSE_WAIT"}),
        Group("tcp-peer", "Sockets by upstream", (names.tcp_by_peer("*"),)),
        Group("redis-clients", "Redis clients", (Metric.REDIS_TARGET_CLIENTS, Metric.REDIS_CLIENTS),
              {Metric.REDIS_TARGET_CLIENTS: "the target's", Metric.REDIS_CLIENTS: "all"}),
        Group("redis-keys", "Redis keys", (names.redis_keys_of("*"), Metric.REDIS_DBSIZE),
              {Metric.REDIS_DBSIZE: "all keys"}),
        Group("tmp-files", "Temp files", (Metric.TMP_FILES, names.tmp_files_of("*")),
              {Metric.TMP_FILES: "all"}),
        Group("tmp-bytes", "Temp file bytes", (Metric.TMP_BYTES, names.tmp_bytes_of("*")), {Metric.TMP_BYTES: "all"}),
        Group("tmp-age", "Oldest temp file", (Metric.TMP_OLDEST_AGE_S,), {Metric.TMP_OLDEST_AGE_S: "age"}),
        Group("timers", "Timers and active handles",
              (Metric.NODE_ACTIVE_HANDLES, Metric.NODE_ACTIVE_REQUESTS, names.node_resource("*")),
              {Metric.NODE_ACTIVE_HANDLES: "handles", Metric.NODE_ACTIVE_REQUESTS: "requests"}),
        Group("listeners", "Event listeners", (Metric.NODE_LISTENERS, Metric.NODE_LISTENERS_MOST, Metric.NODE_EMITTERS),
              {Metric.NODE_LISTENERS: "listeners", Metric.NODE_LISTENERS_MOST: "most on one event",
               Metric.NODE_EMITTERS: "emitters"}),
        Group("threads", "Threads and processes", (Metric.THREADS, Metric.PROCESSES),
              {Metric.THREADS: "threads", Metric.PROCESSES: "processes"}),
    ),
)  # fmt: skip

WORK = SectionDef(
    "work",
    "Work",
    "Whether the service did its work: the load sent, the webhook's answers, updates completed end to "
    "end (send -> the service's last upstream call for it) and what each update cost upstream.",
    (
        Group("load-rate", "Updates sent per second", (Metric.REQUESTS_PER_S, Metric.FAILURES_PER_S),
              {Metric.REQUESTS_PER_S: "sent", Metric.FAILURES_PER_S: "failed"}),
        Group("webhook-latency", "Webhook latency (Locust, last seconds)",
              (Metric.LATENCY_P50_S, Metric.LATENCY_P95_S, Metric.LATENCY_P99_S),
              {Metric.LATENCY_P50_S: "p50", Metric.LATENCY_P95_S: "p95", Metric.LATENCY_P99_S: "p99"}),
        Group("errors", "Webhook errors", (work.ERROR_RATIO,), {work.ERROR_RATIO: "failed share"}),
        Group("completion", "Updates per work window, end to end", (work.COMPLETED, work.LOST, work.EXPLAINED),
              {work.COMPLETED: "completed", work.LOST: "lost",
               work.EXPLAINED: "not completed, explained by a fault"}),
        Group("e2e-latency", "End-to-end latency per work window", tuple(work.E2E_QUANTILES),
              {key: key.removeprefix(names.E2E_LATENCY_PREFIX).removesuffix("_s") for key in work.E2E_QUANTILES}),
        Group("calls-per-update", "Calls per update sent, per upstream", (work.CALLS_PER_UPDATE + "*",)),
        Group("loop-delay", "Event-loop delay", (Metric.LOOP_DELAY_P50_S, Metric.LOOP_DELAY_P99_S,
                                                 Metric.LOOP_DELAY_MAX_S),
              {Metric.LOOP_DELAY_P50_S: "p50", Metric.LOOP_DELAY_P99_S: "p99", Metric.LOOP_DELAY_MAX_S: "max"}),
        Group("cpu", "Target CPU", (Metric.CPU_PERCENT,), {Metric.CPU_PERCENT: "CPU"}),
        Group("cpu-wait", "Target's main thread: seconds on a CPU and waiting for one, per second",
              (Metric.MAIN_THREAD_RUN_RATIO, Metric.MAIN_THREAD_WAIT_RATIO),
              {Metric.MAIN_THREAD_RUN_RATIO: "on a CPU", Metric.MAIN_THREAD_WAIT_RATIO: "waiting for a CPU"}),
        Group("users", "Simulated users", (Metric.USERS,), {Metric.USERS: "users"}),
    ),
)  # fmt: skip

FAULTS = SectionDef(
    "faults",
    "Upstream faults",
    "The injected fault windows (shaded red in every chart) and what the mocks saw meanwhile.",
    (
        Group("in-flight", "Requests in flight at the mocks", (names.mock_in_flight("*"),)),
        Group("mock-connections", "Connections open at the mocks", (names.mock_connections("*", "open"),)),
        Group("violations", "Requests that broke an upstream's API", (names.mock_violations("*"),)),
    ),
)  # fmt: skip

SECTIONS = (MEMORY, HANDLES, WORK, FAULTS)
REST_ID = "other"
REST_TITLE = "Everything else the collector recorded"
