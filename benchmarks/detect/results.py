"""The matrix's results file: one record per cell, written as each cell finishes, so a run of the
matrix can stop at any time and resume where it was."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from benchmarks.detect.outcome import CellOutcome

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"


class ResultsFile:
    """Thread-safe: cells finishing together each write the whole file, one at a time."""

    def __init__(self, path: Path = RESULTS_FILE) -> None:
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> dict[str, CellOutcome]:
        try:
            document: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ValueError(f"{self.path}: not a results file ({exc}); move it away to start afresh") from None
        return {name: CellOutcome.from_document(doc) for name, doc in document.get("cells", {}).items()}

    def save(self, outcome: CellOutcome) -> None:
        with self._lock:
            cells = {name: done.document() for name, done in self.read().items()}
            cells[outcome.cell] = outcome.document()
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"cells": cells}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
