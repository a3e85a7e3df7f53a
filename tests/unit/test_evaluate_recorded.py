"""Run directories recorded by real runs (the reference bot under `soak run`, commit 74bd91b, before
the evaluate stage was split out), judged again: the verdict they were written with must come back.

tests/fixtures/leak-fd.tar.gz: profiles/leak-fd.toml, 40 s (fds_growth and sockets_growth fail).
tests/fixtures/flows-fault.tar.gz: the mixed-flows profile of tests/e2e/test_accounting.py with a
Telegram sendMessage 502 window at 22-30 s (inconclusive: no resource threshold, every work check passes).
Reports, logs and Locust's HTML were left out; samples.db was checkpointed out of WAL mode.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from harness.evaluate import evaluate, judge_run
from harness.report.render import verdict_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _unpacked(name: str, into: Path) -> Path:
    with tarfile.open(FIXTURES / f"{name}.tar.gz") as archive:
        archive.extractall(into, filter="data")
    return into / name


@pytest.mark.parametrize("name", ["leak-fd", "flows-fault"])
def test_a_recorded_run_judged_again_gives_the_verdict_it_was_written_with(name: str, tmp_path: Path) -> None:
    run_dir = _unpacked(name, tmp_path)
    recorded = json.loads((run_dir / "verdict.json").read_text())
    verdict, data = evaluate(run_dir)
    assert verdict.status == recorded["status"]
    statuses = {check.name: check.status for check in verdict.checks}
    # Checks added since may join; none recorded may go or change its status.
    assert {check["name"]: statuses.get(check["name"]) for check in recorded["checks"]} == {
        check["name"]: check["status"] for check in recorded["checks"]
    }
    again = verdict_document(run_dir, verdict, list(verdict.notes), data=data).document()
    assert (
        again["schema_version"] == 2 and data.thresholds is not None and again["warmup_s"] == data.thresholds.warmup_s
    )
    # the same notes, their figures written as the formatter of the day writes them ("165.1 ms", "165 ms")
    assert [_words(note) for note in verdict.notes] == [_words(note) for note in recorded["notes"]]


def _words(note: str) -> str:
    return re.sub(r"-?[0-9][0-9.,]* ?(?:ms|s|min|h|%|B|KiB|MiB|GiB)?(?![\w])", "#", note)


def test_the_fault_window_is_read_from_the_mocks_records(tmp_path: Path) -> None:
    run_dir = _unpacked("flows-fault", tmp_path)
    judge_run(run_dir)
    windows = json.loads((run_dir / "verdict.json").read_text())["fault_windows"]
    assert [(w["upstream"], w["route"], w["kind"]) for w in windows] == [("telegram", "sendMessage", "error")]
    assert 21.5 < windows[0]["start_s"] < 23.0 and 29.5 < windows[0]["end_s"] < 31.0
