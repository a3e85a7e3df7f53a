"""The report's sections and the curves each chart of them groups, by metric name.

Patterns are shell-style ("target.fds.*"); a curve's label is what the "*" matched, unless named.
A curve goes to the first chart that takes it; what no chart takes ends up in the collapsed last
section, so nothing recorded is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from harness.report import locust_history as locust
from harness.report import work_series as work
from harness.report.chartspec import ChartSpec, Section


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
        Group("rss", "Resident memory (RSS)", ("target.rss_bytes", "target.pss_bytes", "target.uss_bytes"),
              {"target.rss_bytes": "RSS", "target.pss_bytes": "PSS", "target.uss_bytes": "USS"}),
        Group("heap", "V8 heap", ("node.heap_used_after_gc_bytes", "node.heap_used_bytes", "node.heap_total_bytes"),
              {"node.heap_used_after_gc_bytes": "used after GC", "node.heap_used_bytes": "used",
               "node.heap_total_bytes": "total"}),
        Group("external", "External and array-buffer memory",
              ("node.external_after_gc_bytes", "node.external_bytes", "node.array_buffers_after_gc_bytes",
               "node.array_buffers_bytes"),
              {"node.external_after_gc_bytes": "external after GC", "node.external_bytes": "external",
               "node.array_buffers_after_gc_bytes": "array buffers after GC",
               "node.array_buffers_bytes": "array buffers"}),
        Group("redis-memory", "Redis memory", ("redis.used_memory_bytes",), {"redis.used_memory_bytes": "used"}),
    ),
)  # fmt: skip

HANDLES = SectionDef(
    "handles",
    "Handles",
    "What a service opens and must close: file descriptors, sockets, Redis connections and keys, "
    "temp files, timers and listeners.",
    (
        Group("fds", "File descriptors by kind", ("target.fds", "target.fds.*"), {"target.fds": "all"}),
        Group("tcp-state", "Sockets by state",
              ("target.tcp_connections", "target.tcp.state.*", "target.tcp.close_wait"),
              {"target.tcp_connections": "all TCP", "target.tcp.close_wait": "CLOSE_WAIT"}),
        Group("tcp-peer", "Sockets by upstream", ("target.tcp.peer.*",)),
        Group("redis-clients", "Redis clients", ("redis.target_clients", "redis.connected_clients"),
              {"redis.target_clients": "the target's", "redis.connected_clients": "all"}),
        Group("redis-keys", "Redis keys", ("redis.keys.*", "redis.dbsize"), {"redis.dbsize": "all keys"}),
        Group("tmp-files", "Temp files", ("tmp.files", "tmp.files.*"),
              {"tmp.files": "all"}),
        Group("tmp-bytes", "Temp file bytes", ("tmp.bytes", "tmp.bytes.*"), {"tmp.bytes": "all"}),
        Group("tmp-age", "Oldest temp file", ("tmp.oldest_age_s",), {"tmp.oldest_age_s": "age"}),
        Group("timers", "Timers and active handles", ("node.active_handles", "node.active_requests", "node.active.*"),
              {"node.active_handles": "handles", "node.active_requests": "requests"}),
        Group("listeners", "Event listeners", ("node.listeners", "node.listeners_most_on_one_event", "node.emitters"),
              {"node.listeners": "listeners", "node.listeners_most_on_one_event": "most on one event",
               "node.emitters": "emitters"}),
        Group("threads", "Threads and processes", ("target.threads", "target.processes"),
              {"target.threads": "threads", "target.processes": "processes"}),
    ),
)  # fmt: skip

WORK = SectionDef(
    "work",
    "Work",
    "Whether the service did its work: the load sent, the webhook's answers, updates completed end to "
    "end (send -> the service's last upstream call for it) and what each update cost upstream.",
    (
        Group("load-rate", "Updates sent per second", (locust.REQUESTS_PER_S, locust.FAILURES_PER_S),
              {locust.REQUESTS_PER_S: "sent", locust.FAILURES_PER_S: "failed"}),
        Group("webhook-latency", "Webhook latency (Locust, last seconds)",
              (locust.LATENCY_P50, locust.LATENCY_P95, locust.LATENCY_P99),
              {locust.LATENCY_P50: "p50", locust.LATENCY_P95: "p95", locust.LATENCY_P99: "p99"}),
        Group("errors", "Webhook errors", (work.ERROR_RATIO,), {work.ERROR_RATIO: "failed share"}),
        Group("completion", "Updates per work window, end to end", (work.COMPLETED, work.LOST, work.EXPLAINED),
              {work.COMPLETED: "completed", work.LOST: "lost",
               work.EXPLAINED: "not completed, explained by a fault"}),
        Group("e2e-latency", "End-to-end latency per work window", tuple(work.E2E_QUANTILES),
              {key: key.removeprefix("work.e2e_latency_").removesuffix("_s") for key in work.E2E_QUANTILES}),
        Group("calls-per-update", "Calls per update sent, per upstream", (work.CALLS_PER_UPDATE + "*",)),
        Group("loop-delay", "Event-loop delay", ("node.loop_delay_p50_s", "node.loop_delay_p99_s",
                                                 "node.loop_delay_max_s"),
              {"node.loop_delay_p50_s": "p50", "node.loop_delay_p99_s": "p99", "node.loop_delay_max_s": "max"}),
        Group("cpu", "Target CPU", ("target.cpu_percent",), {"target.cpu_percent": "CPU"}),
        Group("users", "Simulated users", (locust.USERS,), {locust.USERS: "users"}),
    ),
)  # fmt: skip

FAULTS = SectionDef(
    "faults",
    "Upstream faults",
    "The injected fault windows (shaded red in every chart) and what the mocks saw meanwhile.",
    (
        Group("in-flight", "Requests in flight at the mocks", ("mocks.*.in_flight",)),
        Group("mock-connections", "Connections open at the mocks", ("mocks.*.connections_open",)),
        Group("violations", "Requests that broke an upstream's API", ("mocks.*.contract_violations",)),
    ),
)  # fmt: skip

SECTIONS = (MEMORY, HANDLES, WORK, FAULTS)
REST_ID = "other"
REST_TITLE = "Everything else the collector recorded"
