"""The kinds of record in a run's events.jsonl (its `event` field), whoever writes them: the
runner, the watchdog, the heap snapshotter, the mocks and the Node preload (interception/preload.js,
checked against this list by tests/unit/test_vocab.py)."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    # The runner (harness/runner.py) and `soak collect`
    PHASE = "phase"  # a phase starts: redis, mocks, target, baseline, load, cooldown, stop
    STOPPED = "stopped"  # a child process stopped at the end, with its exit code
    HELPER_EXIT = "helper_exit"  # a helper (mocks, redis, locust) died during the run
    TARGET_EXIT = "target_exit"  # the target died during the run: code, signal, log tail
    HARNESS_STOP = "harness_stop"  # what stopped soak early (SIGINT, SIGTERM, a failure)
    HARNESS_LOST = "harness_lost"  # the watchdog saw soak vanish (SIGKILL, the OOM killer)
    # The heap snapshotter (harness/heapsnap/schedule.py)
    HEAP_SNAPSHOT = "heap_snapshot"
    HEAP_SNAPSHOT_FAILED = "heap_snapshot_failed"
    # The collector's Node probe and the heap snapshotter: soak itself stopped the target's JavaScript
    TARGET_PAUSE = "target_pause"
    # The mocks (mocks/common/app.py, admin.py)
    FAULT_WINDOW_START = "fault_window_start"
    FAULT_WINDOW_END = "fault_window_end"
    MOCK_FAULTS_SET = "mock_faults_set"  # faults posted at run time to /__mock__/faults
    MOCK_FAULTS_CLEARED = "mock_faults_cleared"
    # The Redis fault player (harness/redis_faults.py): windows as fault_window_start/end, upstream redis
    REDIS_TARGET_RECONNECTED = "redis_target_reconnected"
    # The Node preload (harness/interception/preload.js) and the CONNECT proxy (proxy.py)
    PRELOAD_ACTIVE = "preload_active"
    EGRESS_REFUSED = "egress_refused"


class Phase(StrEnum):
    """The `phase` of a phase event, in the order a run goes through them."""

    REDIS = "redis"
    MOCKS = "mocks"
    TARGET = "target"
    BASELINE = "baseline"
    LOAD = "load"
    COOLDOWN = "cooldown"
    STOP = "stop"


class PauseCause(StrEnum):
    """What soak paused the target for (the `cause` of a target_pause event)."""

    LISTENER_CENSUS = "listener_census"  # Runtime.queryObjects: full GCs and a heap walk per prototype
    FORCED_GC = "forced_gc"  # the Node probe's forced GC, recorded when it took long enough to matter
    HEAP_SNAPSHOT = "heap_snapshot"  # the forced GC before it and the snapshot itself
