"""Calls at the mocks per upstream and route over time, streamed from upstream-calls.jsonl.

Counts are kept per second of the run, so memory grows with the run's length in seconds and the
number of routes, never with the number of calls.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.analysis.model import Curve

UPSTREAM_CALLS = "upstream-calls.jsonl"
# Calls the mocks make themselves (cursor-runner's callbacks to the service), not calls to an upstream.
OUTBOUND_ROUTES = frozenset({"callback_out"})


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Each well-formed record in order; a line cut by a kill mid-write is skipped."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def call_curves(run_dir: Path, wall_minus_run_s: float | None) -> dict[str, Curve]:
    """Cumulative calls by "upstream.route" on the run's clock; empty without records or clock."""
    if wall_minus_run_s is None:
        return {}
    per_second: defaultdict[str, Counter[int]] = defaultdict(Counter)
    for record in read_records(run_dir / UPSTREAM_CALLS):
        t, up, route = record.get("t"), record.get("up"), record.get("route")
        if not isinstance(t, int | float) or not isinstance(up, str) or route in OUTBOUND_ROUTES:
            continue
        per_second[f"{up}.{route}"][int(t - wall_minus_run_s)] += 1
    return {key: _cumulative(counts) for key, counts in sorted(per_second.items())}


def _cumulative(counts: Counter[int]) -> Curve:
    """A step per busy second: the count before it at its start, after it at its end, so a window
    edge inside a quiet stretch reads the same total on both sides."""
    t_s: list[float] = []
    values: list[float] = []
    total = 0.0
    for second in sorted(counts):
        t_s += [float(second), float(second + 1)]
        values += [total, total + counts[second]]
        total += counts[second]
    return Curve(tuple(t_s), tuple(values))
