"""One run, in order: redis, mocks, target, collector, load, cool-down, stop in reverse order.

Whatever happens (a failure, Ctrl-C, SIGTERM), every started process is stopped and what was
recorded stays on disk, so `soak report` can still judge it.
"""

from __future__ import annotations

import contextlib
import platform
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from harness import __version__
from harness.analysis.model import Verdict
from harness.collector.plan import Attachment, Collector
from harness.collector.store import SampleWriter
from harness.config import RunSpec
from harness.interception import InterceptionPlan, TargetInterception, epoch_of_monotonic
from harness.load import start_locust
from harness.mocks_launcher import MocksHandle, start_mocks
from harness.procs import Child, HarnessError, free_port
from harness.redis_backend import RedisHandle, start_redis
from harness.redis_faults import RedisFaultPlayer
from harness.report.judge import ReportError, judge_run
from harness.rundir import EVENTS, RUN_JSON, SAMPLES, EventLog, new_run_dir, write_json
from harness.target import TargetHandle, inspector_url, start_target
from mocks.config import MocksConfig


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    verdict: Verdict


class Interrupted(Exception):
    """SIGTERM or Ctrl-C arrived; the run stops and keeps what it recorded."""


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


class Run:
    """Holds the state of one run while it goes through its phases."""

    def __init__(self, spec: RunSpec, profile_path: Path) -> None:
        self.spec = spec
        self.t0 = time.monotonic()
        self.run_dir = new_run_dir(Path(spec.run.results_dir), spec.run.name)
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
            "outcome": "running",
        }
        self.save_info()

    def save_info(self) -> None:
        write_json(self.run_dir / RUN_JSON, self.info)

    def phase(self, name: str) -> None:
        self.events.emit("phase", phase=name)
        print(f"soak: {name}", file=sys.stderr, flush=True)

    def execute(self, stack: contextlib.ExitStack) -> None:
        # The CA key lives apart from the target's TMPDIR (its temp files are measured); both go with the run.
        tmp_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-tmp-")))
        tls_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-tls-")))
        redis = self._start_redis(stack, tmp_dir)
        target_port = free_port()
        interception = InterceptionPlan.prepare(self.spec.interception, tls_dir)
        mocks = self._start_mocks(stack, target_port, interception)
        redirect = self._activate_interception(stack, interception, mocks)
        upstreams = {
            "REDIS_URL": redis.url,
            "CURSOR_RUNNER_URL": mocks.urls["cursor_runner"],
            "REDIS_READY_CHECK": "0" if redis.backend.value == "fakeredis" else "1",
            **redirect.env,
        }
        target = self._start_target(stack, upstreams, tmp_dir, target_port, redirect.node_options)
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
        self._load_and_cool_down(stack, target, sampler)

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
        node_options: tuple[str, ...],
    ) -> TargetHandle:
        self.phase("target")
        spec = self.spec
        inspect = spec.collector.inspector
        target = start_target(
            spec.target, upstreams, self.run_dir, tmp_dir, port=port, inspect=inspect, node_options=node_options
        )
        stack.callback(self._stop, target.child, spec.target.stop_timeout_s)
        self.info["target"] = {"pid": target.child.pid, "url": target.base_url}
        return target

    def _start_collector(self, stack: contextlib.ExitStack, attachment: Attachment) -> Collector:
        writer = SampleWriter(self.run_dir / SAMPLES)
        stack.callback(writer.close)
        self.info["collector"] = {"inspector_url": attachment.inspector_url}
        sampler = Collector(writer, attachment, self.spec.collector, self.spec.run.interval_s, self.t0)
        sampler.start()
        stack.callback(sampler.stop)
        return sampler

    def _load_and_cool_down(self, stack: contextlib.ExitStack, target: TargetHandle, sampler: Collector) -> None:
        spec = self.spec
        # Quiet samples before the load: the level that fds, sockets and temp files must return to.
        self.phase("baseline")
        self._watched_sleep(spec.run.baseline_s)
        self.phase("load")
        locust = start_locust(spec.load, target.base_url, spec.run.duration_s, self.run_dir, spec.target.webhook_secret)
        stack.callback(self._stop, locust)
        self.info["locust"] = {"pid": locust.pid}
        sampler.watch("locust", locust.pid)
        self.save_info()
        self._wait_load(locust, target.child, sampler)
        self.phase("cooldown")
        self._watched_sleep(spec.run.cooldown_s)
        if sampler.error is not None:
            raise HarnessError(f"collector failed: {sampler.error}")

    def _watched_sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left_s := deadline - time.monotonic()) > 0:
            self._check_helpers()
            time.sleep(min(0.2, left_s))
        self._check_helpers()

    def _check_helpers(self) -> None:
        """Stop the run when Redis, the mocks or the proxy died: what follows would measure a broken setup.

        Redis down inside a planned window is the experiment, not a failure."""
        faults = self.redis_faults
        if faults is not None and faults.error is not None:
            raise HarnessError(faults.error)
        for child in self.helpers:
            code = child.exit_code()
            if code is not None and not (faults is not None and faults.excuses(child)):
                self.events.emit("helper_exit", process=child.name, code=code)
                raise HarnessError(
                    f"{child.name} exited with code {code} mid-run, so the run stopped; "
                    f"`soak report {self.run_dir}` judges what was recorded until then"
                )

    def _wait_load(self, locust: Child, target: Child, sampler: Collector) -> None:
        deadline = time.monotonic() + self.spec.run.duration_s + 30
        while locust.exit_code() is None:
            if time.monotonic() > deadline:
                raise HarnessError("locust did not stop within 30 s of the run's duration")
            if target.exit_code() is not None:
                self.events.emit("target_exit", code=target.exit_code())
                print(f"soak: target exited with code {target.exit_code()} during load", file=sys.stderr)
                return
            if sampler.error is not None:
                raise HarnessError(f"collector failed: {sampler.error}")
            self._check_helpers()
            time.sleep(0.2)
        if locust.exit_code() not in (0, None):
            raise HarnessError(f"locust exited with code {locust.exit_code()} (see locust.log)")

    def _stop(self, child: Child, timeout_s: float = 10.0) -> None:
        code = child.stop(timeout_s)
        self.events.emit("stopped", process=child.name, code=code)


class RunInterrupted(Exception):
    """The run was stopped by Ctrl-C or SIGTERM after cleanup; verdict judges what was recorded."""

    def __init__(self, run_dir: Path, verdict: Verdict | None) -> None:
        super().__init__(f"interrupted: {run_dir}")
        self.run_dir = run_dir
        self.verdict = verdict


def _judge_what_was_recorded(run_dir: Path) -> Verdict | None:
    try:
        return judge_run(run_dir)
    except ReportError:
        return None  # stopped before the first sample


def run_profile(spec: RunSpec, profile_path: Path) -> RunOutcome:
    """Run a profile end to end. HarnessError propagates after cleanup; an interruption becomes
    RunInterrupted, carrying the verdict on what was recorded until then."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    run = Run(spec, profile_path)
    print(f"soak: run directory {run.run_dir}", file=sys.stderr, flush=True)
    interrupted = False
    try:
        with contextlib.ExitStack() as stack:
            run.execute(stack)
            run.phase("stop")
    except (Interrupted, KeyboardInterrupt) as exc:
        run.info["outcome"] = "interrupted"
        run.info["error"] = str(exc) or type(exc).__name__
        interrupted = True
    except BaseException as exc:
        run.info["outcome"] = "error"
        run.info["error"] = str(exc) or type(exc).__name__
        raise
    else:
        run.info["outcome"] = "completed"
    finally:
        run.info["ended_at"] = time.time()
        run.save_info()
        signal.signal(signal.SIGTERM, previous)
    if interrupted:
        raise RunInterrupted(run.run_dir, _judge_what_was_recorded(run.run_dir))
    return RunOutcome(run_dir=run.run_dir, verdict=judge_run(run.run_dir))
