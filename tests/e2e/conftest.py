"""Whole runs that several e2e tests judge, run once per pytest process and all at once: the smoke
profile twice (a clean run, and another to compare it with) and the heap leak."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.test_runs import soak

# name: (profile, the exit code its verdict must give)
REFERENCE_RUNS = {"clean": ("smoke", 0), "clean2": ("smoke", 0), "leak": ("leak-heap", 1)}


@pytest.fixture(scope="session")
def reference_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each in its own results dir; light runs (a few updates/s), so at once they cost one run's wait."""
    results = tmp_path_factory.mktemp("reference-runs")
    with ThreadPoolExecutor(len(REFERENCE_RUNS)) as pool:
        started = {
            name: pool.submit(soak, "run", f"profiles/{profile}.toml", "--duration", "40 s", "--results",
                              str(results / name))
            for name, (profile, _) in REFERENCE_RUNS.items()
        }  # fmt: skip
        done = {name: run.result() for name, run in started.items()}
    for name, (_, code) in REFERENCE_RUNS.items():
        assert done[name].returncode == code, done[name].stdout + done[name].stderr
    return done
