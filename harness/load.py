"""Running Locust headless in its own processes (it monkey-patches with gevent on import): one
process, or a master with local workers (and remote ones, `[load] master_bind`). The profile's
[load] travels to them as JSON (scenarios/settings.py); the shape class there stops the load.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.accounting.records import UPDATES, UPSTREAM_CALLS
from harness.config import LoadSection, RunSpec
from harness.procs import Child, HarnessError, free_port, start_child
from scenarios.settings import ENV, KneeLimits, LoadSettings
from scenarios.shape_math import ShapeSpec

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
BUILTIN_SCENARIOS = ("mixed", "text")
ENTRY = SCENARIOS_DIR / "entry.py"  # soak's shape class and events, added to every locustfile
KNEE_FILE = "knee.jsonl"  # each knee step as the live check judged it (scenarios/knee_live.py)
LOCUST_DIR = "locust"
# How long the master waits for its workers to connect before it gives up.
WORKERS_WAIT_S = 60


def locustfile_for(scenario: str) -> Path:
    """soak's own scenario by name, or the user's locustfile by path (from the working directory)."""
    if scenario in BUILTIN_SCENARIOS:
        return SCENARIOS_DIR / f"{scenario}.py"
    if scenario.endswith(".py") or "/" in scenario:
        path = Path(scenario).expanduser().resolve()
        if not path.is_file():
            raise HarnessError(f"locustfile {path} {'is not a file' if path.exists() else 'does not exist'}")
        return path
    known = ", ".join(BUILTIN_SCENARIOS)
    raise HarnessError(f"unknown scenario {scenario!r}; soak's own are {known}, or give a path to a locustfile (.py)")


def shape_spec(load: LoadSection, duration_s: float) -> ShapeSpec:
    """The profile's load model, for the shape class inside the Locust process."""
    return ShapeSpec(
        kind=load.shape,
        users=load.users,
        duration_s=duration_s,
        spawn_rate=load.spawn_rate,
        peak_users=load.peak_users or load.users,
        ramp_s=load.ramp_s,
        spike_at_s=load.spike_at_s,
        spike_s=load.spike_s,
        period_s=load.period_s,
        rate=load.rate or 0.0,
        peak_rate=load.peak_rate or load.rate or 0.0,
        rate_curve=load.rate_curve,
        step_rate=load.step_rate or 0.0,
        step_s=load.step_s,
    )


def load_settings(spec: RunSpec, duration_s: float, calls_path: Path | None = None) -> LoadSettings:
    """calls_path: the mocks' call records, for a knee judged end to end live (none: webhook only)."""
    load, limits = spec.load, spec.thresholds
    return LoadSettings(
        shape=shape_spec(load, duration_s),
        webhook_secret=spec.target.webhook_secret,
        rate_per_user=load.rate_per_user,
        mix=dict(load.mix),
        new_chat_share=load.new_chat_share,
        chat_pool=load.chat_pool,
        file_reuse_share=load.file_reuse_share,
        bad_input_share=load.bad_input_share,
        bad_input_mix={str(kind): weight for kind, weight in load.bad_input_mix.items()},
        knee=KneeLimits(
            error_ratio_max=limits.error_ratio_max,
            latency_p95_max_s=limits.latency_p95_max_s,
            e2e_latency_p95_max_s=limits.e2e_latency_p95_max_s,
            calls_path=str(calls_path or ""),
            results_by_callback=spec.mocks.cursor_runner.mode != "sync",
        ),
    )


@dataclass(frozen=True)
class LocustGroup:
    """The Locust processes of a run: the one that drives it (alone, or the master) and its workers."""

    main: Child
    workers: tuple[Child, ...]
    locustfiles: str
    wait_s: float  # beyond the duration, how long the load may take to start and stop
    remote_command: str | None = None  # what a remote worker runs to join

    @property
    def children(self) -> tuple[Child, ...]:
        return (self.main, *self.workers)


def _common_argv(locustfiles: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", locustfiles]


def _main_argv(locustfiles: str, host: str, out_dir: Path) -> list[str]:
    return [
        *_common_argv(locustfiles),
        "--headless",
        "--host", host,
        "--stop-timeout", "5",
        "--csv", str(out_dir / "locust"),
        "--csv-full-history",
        "--only-summary",
        "--html", str(out_dir / "report.html"),
        "--exit-code-on-error", "0",
    ]  # fmt: skip


def _bind(load: LoadSection) -> tuple[str, int]:
    if load.master_bind is None:
        return "127.0.0.1", free_port()
    host, _, port = load.master_bind.rpartition(":")
    return host, int(port)


def remote_worker_command(locustfile: Path, master_host: str, port: int) -> str:
    """What a remote machine with the same soak checkout runs (from its top folder) to join."""
    scenario = (
        locustfile.relative_to(SCENARIOS_DIR.parent) if locustfile.is_relative_to(SCENARIOS_DIR.parent) else locustfile
    )
    files = f"{scenario},{ENTRY.relative_to(SCENARIOS_DIR.parent)}"
    locust = "PYTHONPATH=. .venv/bin/python -m locust --worker"
    return f"{locust} --master-host {master_host} --master-port {port} -f {shlex.quote(files)}"


def start_locust(spec: RunSpec, host: str, duration_s: float, run_dir: Path) -> LocustGroup:
    """Start Locust for the run: alone when no workers, else a master and `workers` local workers."""
    load = spec.load
    out_dir = run_dir / LOCUST_DIR
    out_dir.mkdir(exist_ok=True)
    locustfile = locustfile_for(load.scenario)
    locustfiles = f"{locustfile},{ENTRY}"
    host = f"http://{load.public_host}:{host.rpartition(':')[2]}" if load.public_host else host
    env = _env(run_dir)
    env[ENV] = load_settings(spec, duration_s, run_dir / UPSTREAM_CALLS).to_json()
    local_workers = load.workers
    argv = _main_argv(locustfiles, host, out_dir)
    if local_workers == 0 and load.remote_workers == 0:
        main = start_child("locust", argv, env=env, log_path=run_dir / "locust.log")
        return LocustGroup(main, (), locustfiles, wait_s=30.0)
    bind_host, port = _bind(load)
    argv += ["--master", "--master-bind-host", bind_host, "--master-bind-port", str(port),
             "--expect-workers", str(local_workers + load.remote_workers),
             "--expect-workers-max-wait", str(WORKERS_WAIT_S)]  # fmt: skip
    main = start_child("locust", argv, env=env, log_path=run_dir / "locust.log")
    started = [main]
    try:
        for index in range(1, local_workers + 1):
            worker_argv = [
                *_common_argv(locustfiles),
                "--worker",
                "--master-host",
                "127.0.0.1",
                "--master-port",
                str(port),
            ]
            log_path = run_dir / f"locust-worker-{index}.log"
            started.append(start_child(f"locust-worker-{index}", worker_argv, env=_env(run_dir), log_path=log_path))
    except HarnessError:
        for child in reversed(started):
            child.stop()
        raise
    advertised = bind_host if bind_host not in ("0.0.0.0", "") else "<this machine's address>"
    remote = remote_worker_command(locustfile, advertised, port) if load.master_bind else None
    return LocustGroup(main, tuple(started[1:]), locustfiles, wait_s=30.0 + WORKERS_WAIT_S, remote_command=remote)


def _env(run_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(ENV, None)  # workers take the settings from their master, as remote ones do
    python_path = [str(SCENARIOS_DIR.parent), *filter(None, [env.get("PYTHONPATH")])]
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(python_path),
            "SOAK_UPDATES_FILE": str(run_dir / UPDATES),
            "SOAK_KNEE_FILE": str(run_dir / KNEE_FILE),
        }
    )
    return env
