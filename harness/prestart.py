"""Checks of a run spec against this machine, before anything starts: a scenario, a target cwd or
command, or a results directory that cannot work fails here in one line, not after Redis, the mocks
and the target are up. Nothing here creates, starts or changes anything."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from harness.config import ConfigError, RunSpec, TargetSection
from harness.load import locustfile_for
from harness.procs import HarnessError


def check_before_start(spec: RunSpec) -> None:
    """Raise ConfigError naming the profile field that cannot work here."""
    try:
        locustfile_for(spec.load.scenario)
    except HarnessError as exc:
        raise ConfigError(f"load.scenario: {exc}") from None
    cwd = target_cwd(spec.target)
    check_command(spec.target, cwd)
    check_output_dir(Path(spec.run.results_dir), "run.results_dir")
    if spec.redis.backend == "redis-server" and shutil.which("redis-server") is None:
        raise ConfigError('redis.backend: "redis-server" is not on PATH (use "auto" to fall back to fakeredis)')


def target_cwd(target: TargetSection) -> Path:
    cwd = Path(target.cwd).resolve()
    if not cwd.is_dir():
        what = "not a directory" if cwd.exists() else "does not exist"
        raise ConfigError(f"target.cwd: {cwd} {what}")
    return cwd


def check_command(target: TargetSection, cwd: Path) -> None:
    """The executable must be found the way the target's start will look for it: a path with a '/'
    relative to the target's cwd, a bare name on the PATH the target gets."""
    program = target.command[0]
    if "/" in program:
        path = cwd / program
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ConfigError(f"target.command: {program!r} is not an executable file (from {cwd})")
        return
    search_path = target.env.get("PATH", os.environ.get("PATH", os.defpath))
    if shutil.which(program, path=search_path) is None:
        raise ConfigError(f"target.command: {program!r} is not found on PATH")


def check_output_dir(directory: Path, field: str) -> None:
    """The directory, or the nearest part of it that exists, must be a writable directory."""
    path = directory.resolve()
    existing = next((part for part in (path, *path.parents) if part.exists()), Path("/"))
    if not existing.is_dir():
        raise ConfigError(f"{field}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{field}: {existing} is not writable")
