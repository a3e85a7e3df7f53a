"""The matrix's results file: JSON Lines, one record appended per cell as it finishes (the last
record of a cell wins), so a run of the matrix can stop at any time and resume where it was, and
records judged again are appended beside the first judgement."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from benchmarks.detect.outcome import CellOutcome

RESULTS_FILE = Path(__file__).resolve().parent / "results.jsonl"


class ResultsFile:
    """Thread-safe: cells finishing together each append one line, one at a time."""

    def __init__(self, path: Path = RESULTS_FILE) -> None:
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> dict[str, CellOutcome]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        outcomes = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                outcome = CellOutcome.from_document(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                if number == len(lines):
                    continue  # the last line cut short by a stop mid-write: that cell runs again
                raise ValueError(f"{self.path}:{number}: not a cell's record ({exc})") from None
            outcomes[outcome.cell] = outcome
        return outcomes

    def save(self, outcome: CellOutcome) -> None:
        line = json.dumps(outcome.document(), sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
