"""One run, in order: redis, mocks, target, collector, load, cool-down, stop in reverse order.

Whatever happens (a failure, Ctrl-C, SIGTERM), every started process is stopped and what was
recorded stays on disk, so `soak report` can still judge it; when soak itself is killed, the
parent-death signal and the run's watchdog stop its children. The target dying ends the run at
once: the load stops, a couple more ticks record the death, and target_alive fails with its cause.
"""

from __future__ import annotations

import contextlib
import platform
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, auto
from pathlib import Path
from types import FrameType
from typing import Any

from harness import __version__
from harness.analysis.model import Verdict
from harness.analysis.partial import RunState
from harness.collector.plan import Attachment, Collector
from harness.collector.store import SampleWriter
from harness.config import RunSpec
from harness.documents.events import (
    EventLog,
    HarnessStopEvent,
    HelperExitEvent,
    PhaseEvent,
    StoppedEvent,
    TargetExitEvent,
)
from harness.documents.run_info import write_run_info
from harness.evaluate import EvaluateError, judge_run
from harness.heapsnap.schedule import HeapSnapshots
from harness.interception import InterceptionPlan, TargetInterception, epoch_of_monotonic
from harness.leftovers import sweep_previous
from harness.live.feed import FeedingWriter
from harness.live.view import LiveOptions, LiveView
from harness.load import LocustGroup, start_locust
from harness.masking import Secrets
from harness.mocks_launcher import MocksHandle, start_mocks
from harness.pidfiles import PIDS_DIR, remove_if_empty
from harness.prestart import check_before_start
from harness.procs import Child, HarnessError, describe_exit, free_port, log_tail, recording_pids, signal_name
from harness.redis_backend import RedisHandle, start_redis
from harness.redis_faults import RedisFaultPlayer
from harness.rundir import EVENTS, SAMPLES, new_run_dir
from harness.runstate import harness_identity, make_private_dir, remove_private_dir
from harness.target import TargetHandle, inspector_url, start_target
from harness.watchdog import Watchdog
from mocks.config import MocksConfig
from vocab.metrics import LOCUST_ROLE, MOCKS_ROLE
from vocab.upstreams import Upstream


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    verdict: Verdict


TARGET_LOG_TAIL_LINES = 20


class Interrupted(Exception):
    """SIGTERM or Ctrl-C arrived; the run stops and keeps what it recorded."""


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


class Watched(Enum):
    """How a watched phase ended."""

    ELAPSED = auto()
    DONE = auto()
    TARGET_EXITED = auto()


class Run:
    """Holds the state of one run while it goes through its phases."""

    def __init__(
        self, spec: RunSpec, profile_path: Path, tidied: list[str] | None = None, live: LiveOptions | None = None
    ) -> None:
        self.spec = spec
        self.t0 = time.monotonic()
        self.run_dir = new_run_dir(Path(spec.run.results_dir), spec.run.name)
        self.secrets = Secrets.of_target(spec.target)
        self.events = EventLog(self.run_dir, self.t0)
        # Processes the run's figures depend on (Redis, mocks, proxy): one dying spoils the run.
        self.helpers: list[Child] = []
        self.redis_faults: RedisFaultPlayer | None = None
        self.info: dict[str, Any] = {
            "spec": spec.model_dump(by_alias=True, mode="json"),
            "profile": str(profile_path),
            "versions": {"soak": __version__, "python": platform.python_version()},
            "target_command": spec.target.command,
            "started_at": time.time(),
            "outcome": RunState.RUNNING.value,
            # Readers tell a live run from a killed one by this process still being there.
            "harness": harness_identity(),
        }
        if tidied:
            self.info["previous_runs_tidied"] = tidied
        self.save_info()
        # The status block, plain lines or metrics endpoint, fed by the collector in this process.
        self.view = LiveView(spec, self.run_dir, self.t0, live, sys.stderr) if live is not None else None

    def save_info(self) -> None:
        write_run_info(self.run_dir, self.secrets.data(self.info))

    def phase(self, name: str) -> None:
        self.events.emit(PhaseEvent(phase=name))
        print(f"soak: {name}", file=sys.stderr, flush=True)

    def note_stop(self, exc: BaseException) -> None:
        """What stopped the run early and when, taken before the stack unwinds (stopping takes time)."""
        if isinstance(exc, Interrupted):
            cause = str(exc)
        elif isinstance(exc, KeyboardInterrupt):
            cause = "SIGINT"
        else:
            first_line = (str(exc) or type(exc).__name__).splitlines()[0]
            cause = f"error: {first_line}"
        self.info["stopped_by"] = cause
        self.info["stopped_at_s"] = round(time.monotonic() - self.t0, 3)
        self.events.emit(HarnessStopEvent(cause=cause))

    def execute(self, stack: contextlib.ExitStack) -> None:
        if self.view is not None:
            self.view.start()
            stack.callback(self.view.stop)
        private = self._bind_children_to_soak(stack)
        # The CA key lives apart from the target's TMPDIR (its temp files are measured).
        tmp_dir, ca_dir = private / "tmp", private / "ca"
        tmp_dir.mkdir(mode=0o700)
        ca_dir.mkdir(mode=0o700)
        redis = self._start_redis(stack, tmp_dir)
        target_port = free_port()
        interception = InterceptionPlan.prepare(self.spec.interception, ca_dir)
        mocks = self._start_mocks(stack, target_port, interception)
        redirect = self._activate_interception(stack, interception, mocks)
        upstreams = {
            "REDIS_URL": redis.url,
            "CURSOR_RUNNER_URL": mocks.urls[Upstream.CURSOR_RUNNER],
            "REDIS_READY_CHECK": "0" if redis.backend.value == "fakeredis" else "1",
            **redirect.env,
        }
        target = self._start_target(
            stack, upstreams, tmp_dir, target_port, node_options=redirect.node_options, mock_urls=mocks.urls
        )
        self.info["interception"]["preload_pids"] = interception.confirm_loaded(self.run_dir)
        self.save_info()
        attachment = Attachment(
            target_pid=target.child.pid,
            tmp_dir=str(tmp_dir),
            mock_urls=mocks.urls,
            redis_url=redis.url,
            inbound_ports=frozenset({target.port}),
            inspector_url=inspector_url(self.run_dir / "target.log") if self.spec.collector.inspector else None,
        )
        sampler = self._start_collector(stack, attachment)
        self.snapshots = self._heap_snapshots(stack, attachment.inspector_url)
        self._load_and_cool_down(stack, target, sampler)

    def _heap_snapshots(self, stack: contextlib.ExitStack, inspector_url: str | None) -> HeapSnapshots:
        spec, limits = self.spec, self.spec.thresholds
        snapshots = HeapSnapshots(
            inspector_url,
            self.run_dir,
            spec.collector.snapshot_plan,
            self.events,
            warmup_s=limits.warmup_s,
            window_s=limits.window_s,
            cooldown_s=spec.run.cooldown_s,
        )
        stack.callback(snapshots.close)
        return snapshots

    def _bind_children_to_soak(self, stack: contextlib.ExitStack) -> Path:
        """Before the first child: the private folder, the watchdog and a pid file per child, so a
        soak killed mid-run leaves nothing running; undone last, after every child stopped."""
        private = make_private_dir(self.run_dir)
        stack.callback(remove_private_dir, self.run_dir)
        pid_dir = self.run_dir / PIDS_DIR
        stack.callback(remove_if_empty, pid_dir)
        watchdog = Watchdog(pid_dir, self.run_dir / EVENTS, self.t0)
        stack.callback(watchdog.release)
        self.info["watchdog"] = {"pid": watchdog.pid}
        stack.enter_context(recording_pids(pid_dir))
        return private

    def _start_redis(self, stack: contextlib.ExitStack, tmp_dir: Path) -> RedisHandle:
        self.phase("redis")
        redis = start_redis(self.spec.redis.backend, tmp_dir, self.run_dir / "redis.log")
        stack.callback(self._stop, redis.child)
        self.helpers.append(redis.child)
        self.info["redis"] = {"backend": redis.backend.value, "port": redis.port, "pid": redis.child.pid}
        self.redis_faults = RedisFaultPlayer(redis, self.spec.redis.faults, self.events, self.t0)
        self.redis_faults.start()
        stack.callback(self.redis_faults.stop)
        return redis

    def _start_mocks(self, stack: contextlib.ExitStack, target_port: int, plan: InterceptionPlan) -> MocksHandle:
        self.phase("mocks")
        config = MocksConfig.for_run(
            self.spec.mocks,
            telegram_token=self.spec.target.telegram_token,
            elevenlabs_api_key=self.spec.target.elevenlabs_api_key,
            callback_url=f"http://127.0.0.1:{target_port}/cursor-runner/callback",
            callback_secret=self.spec.target.callback_secret,
            tls=plan.mock_tls,
            stats_interval_s=self.spec.run.interval_s,
        )
        mocks_json = config.model_dump_json()
        mocks = start_mocks(mocks_json, self.run_dir, t0_monotonic=self.t0)
        stack.callback(self._stop, mocks.child)
        self.helpers.append(mocks.child)
        self.info["mocks"] = {"urls": mocks.urls, "pid": mocks.child.pid}
        self.save_info()
        return mocks

    def _activate_interception(
        self, stack: contextlib.ExitStack, plan: InterceptionPlan, mocks: MocksHandle
    ) -> TargetInterception:
        redirect = plan.activate(mocks.urls, self.run_dir, self.run_dir / EVENTS, epoch_of_monotonic(self.t0))
        if redirect.proxy is not None:
            stack.callback(self._stop, redirect.proxy)
            self.helpers.append(redirect.proxy)
        self.info["interception"] = redirect.record
        return redirect

    def _start_target(
        self,
        stack: contextlib.ExitStack,
        upstreams: dict[str, str],
        tmp_dir: Path,
        port: int,
        *,
        node_options: tuple[str, ...],
        mock_urls: dict[str, str],
    ) -> TargetHandle:
        self.phase("target")
        spec = self.spec
        inspect = spec.collector.inspector
        target = start_target(
            spec.target,
            upstreams,
            self.run_dir,
            tmp_dir,
            port=port,
            inspect=inspect,
            node_options=node_options,
            mock_urls=mock_urls,
        )
        stack.callback(self._stop, target.child, spec.target.stop_timeout_s)
        self.info["target"] = {"pid": target.child.pid, "url": target.base_url}
        return target

    def _start_collector(self, stack: contextlib.ExitStack, attachment: Attachment) -> Collector:
        path = self.run_dir / SAMPLES
        writer = SampleWriter(path) if self.view is None else FeedingWriter(path, self.view.feed)
        stack.callback(writer.close)
        self.info["collector"] = {"inspector_url": attachment.inspector_url}
        spec = self.spec
        sampler = Collector(writer, attachment, spec.collector, spec.run.interval_s, self.t0, events=self.events)
        if "mocks" in self.info:
            sampler.watch(MOCKS_ROLE, self.info["mocks"]["pid"])
        sampler.start()
        stack.callback(sampler.stop)
        return sampler

    def _load_and_cool_down(self, stack: contextlib.ExitStack, target: TargetHandle, sampler: Collector) -> None:
        spec = self.spec
        # Quiet samples before the load: the level that fds, sockets and temp files must return to.
        self.phase("baseline")
        if self._watch(spec.run.baseline_s, target.child, sampler) is Watched.TARGET_EXITED:
            self._target_exited(target.child, sampler, locust=None)
            return
        self.phase("load")
        group = start_locust(spec, target.base_url, spec.run.duration_s, self.run_dir)
        for child in group.workers:  # stopped after the master (the stack unwinds last in, first out)
            stack.callback(self._stop, child)
        locust = group.main
        stack.callback(self._stop, locust)
        self._record_locust(group, sampler)
        self.snapshots.load_started()
        done = lambda: locust.exit_code() is not None  # noqa: E731
        seen = self._watch(spec.run.duration_s + group.wait_s, target.child, sampler, done=done)
        if seen is Watched.TARGET_EXITED:
            self._target_exited(target.child, sampler, locust)
            return
        if seen is Watched.ELAPSED:
            raise HarnessError(f"locust did not stop within {group.wait_s:.0f} s of the run's duration")
        if locust.exit_code() != 0:
            raise HarnessError(f"locust exited with code {locust.exit_code()} (see locust.log)")
        self.phase("cooldown")
        self.snapshots.load_ended()
        if self._watch(spec.run.cooldown_s, target.child, sampler) is Watched.TARGET_EXITED:
            self._target_exited(target.child, sampler, locust=None)

    def _record_locust(self, group: LocustGroup, sampler: Collector) -> None:
        self.info["locust"] = {"pid": group.main.pid, "locustfiles": group.locustfiles}
        sampler.watch(LOCUST_ROLE, group.main.pid)
        if group.workers:
            self.info["locust"]["worker_pids"] = [child.pid for child in group.workers]
        for index, child in enumerate(group.workers, start=1):
            sampler.watch(f"locust_worker_{index}", child.pid)
        if group.remote_command:
            self.info["locust"]["remote_worker_command"] = group.remote_command
            print(f"soak: remote workers join with: {group.remote_command}", file=sys.stderr, flush=True)
        self.save_info()

    def _watch(
        self, seconds: float, target: Child, sampler: Collector, done: Callable[[], bool] | None = None
    ) -> Watched:
        """Wait out a phase (or until done()), checking the target, the helpers and the collector."""
        deadline = time.monotonic() + seconds
        while True:
            self._check_helpers()
            if sampler.error is not None:
                raise HarnessError(f"collector failed: {sampler.error}")
            if target.exit_code() is not None:
                return Watched.TARGET_EXITED
            if done is not None and done():
                return Watched.DONE
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                return Watched.ELAPSED
            time.sleep(min(0.2, left_s))

    def _check_helpers(self) -> None:
        """Stop the run when Redis, the mocks or the proxy died: what follows would measure a broken setup.

        Redis down inside a planned window is the experiment, not a failure."""
        faults = self.redis_faults
        if faults is not None and faults.error is not None:
            raise HarnessError(faults.error)
        for child in self.helpers:
            code = child.exit_code()
            if code is not None and not (faults is not None and faults.excuses(child)):
                self.events.emit(HelperExitEvent(process=child.name, code=code))
                raise HarnessError(
                    f"{child.name} exited with code {code} mid-run, so the run stopped; "
                    f"`soak report {self.run_dir}` judges what was recorded until then"
                )

    def _target_exited(self, target: Child, sampler: Collector, locust: Child | None) -> None:
        """The target is gone: record how, stop the load at once (posting to a dead port shows
        nothing), and sample a little longer so the curves show the death too."""
        code = target.exit_code()
        assert code is not None  # only called once the target exited
        cause = describe_exit(code)
        t_s = round(time.monotonic() - self.t0, 3)
        tail = log_tail(target.log_path, TARGET_LOG_TAIL_LINES)
        self.events.emit(TargetExitEvent(code=code, signal=signal_name(code), cause=cause, log_tail=tail))
        self.info["target"]["exit"] = {"code": code, "signal": signal_name(code), "cause": cause, "t_s": t_s}
        self.save_info()
        print(f"soak: the target exited with {cause} at {t_s:.1f} s; stopping the run", file=sys.stderr, flush=True)
        if locust is not None:
            self._stop(locust)
        ticks_wanted = sampler.sampler.ticks + 2
        deadline = time.monotonic() + 2 * self.spec.run.interval_s + 1.0
        while sampler.sampler.ticks < ticks_wanted and time.monotonic() < deadline:
            time.sleep(0.05)

    def _stop(self, child: Child, timeout_s: float = 10.0) -> None:
        code = child.stop(timeout_s)
        self.events.emit(StoppedEvent(process=child.name, code=code))


class RunInterrupted(Exception):
    """The run was stopped by Ctrl-C or SIGTERM after cleanup; verdict judges what was recorded."""

    def __init__(self, run_dir: Path, verdict: Verdict | None) -> None:
        super().__init__(f"interrupted: {run_dir}")
        self.run_dir = run_dir
        self.verdict = verdict


class RunFailed(HarnessError):
    """A harness failure after the run directory existed; verdict is None when nothing was sampled."""

    def __init__(self, message: str, run_dir: Path, verdict: Verdict | None) -> None:
        super().__init__(message)
        self.run_dir = run_dir
        self.verdict = verdict


def _judge_what_was_recorded(run_dir: Path) -> Verdict | None:
    if not (run_dir / SAMPLES).is_file():
        return None  # stopped before the first sample
    try:
        return judge_run(run_dir)
    except EvaluateError:
        return None


def run_profile(spec: RunSpec, profile_path: Path, live: LiveOptions | None = None) -> RunOutcome:
    """Run a profile end to end. A harness failure becomes RunFailed and an interruption
    RunInterrupted, both after cleanup and carrying the verdict on what was recorded until then."""
    check_before_start(spec)
    tidied = sweep_previous(Path(spec.run.results_dir).resolve())
    for line in tidied:
        print(f"soak: {line}", file=sys.stderr, flush=True)
    run = Run(spec, profile_path, tidied, live)
    print(f"soak: run directory {run.run_dir}", file=sys.stderr, flush=True)
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        failure = _execute(run)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if isinstance(failure, Interrupted | KeyboardInterrupt):
        raise RunInterrupted(run.run_dir, _judge_what_was_recorded(run.run_dir))
    if isinstance(failure, HarnessError):
        raise RunFailed(str(failure), run.run_dir, _judge_what_was_recorded(run.run_dir)) from None
    if failure is not None:
        raise failure
    return RunOutcome(run_dir=run.run_dir, verdict=judge_run(run.run_dir))


def _execute(run: Run) -> BaseException | None:
    """Run every phase; every started process is stopped before this returns. Returns what
    stopped the run early, with run.json saying how it ended."""
    failure: BaseException | None = None
    try:
        with contextlib.ExitStack() as stack:
            try:
                run.execute(stack)
            except BaseException as exc:
                run.note_stop(exc)
                raise
            run.phase("stop")
    except (Interrupted, KeyboardInterrupt) as exc:
        run.info["outcome"] = RunState.INTERRUPTED.value
        run.info["error"] = str(exc) or type(exc).__name__
        failure = exc
    except BaseException as exc:  # noqa: BLE001 - recorded in run.json, re-raised by the caller
        run.info["outcome"] = RunState.ERROR.value
        run.info["error"] = str(exc) or type(exc).__name__
        failure = exc
    else:
        run.info["outcome"] = RunState.COMPLETED.value
    finally:
        run.info["ended_at"] = time.time()
        if masked := run.secrets.run_files(run.run_dir):
            run.info["masked_secrets_in"] = masked
        run.save_info()
    return failure
