"""A verdict in words a person reads first: checks failing first, figures in human units, and the
one sentence that says what failed (shared by report.html, summary.md and the compare page)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.analysis.model import Check, Span, Status, Verdict
from shared import human

_ORDER = {Status.FAIL: 0, Status.INCONCLUSIVE: 1, Status.PASS: 2}


def failing_first(checks: Sequence[Check]) -> list[Check]:
    """Failures, then what could not be told, then passes; the verdict's order within each."""
    return sorted(checks, key=lambda check: _ORDER[check.status])


def figure_text(check: Check) -> str:
    return "-" if check.figure is None else human.figure(check.figure, check.unit)


def limit_text(check: Check) -> str:
    return human.figure(check.limit, check.unit)


def span_text(span: Span | None) -> str:
    """'21-69 s', '5.0-240 min', '0.50-24.0 h': both ends in the unit the end needs."""
    return "-" if span is None else human.span(span.start_s, span.end_s)


@dataclass(frozen=True)
class Lead:
    """The verdict's first sentence and the checks it names."""

    text: str
    named: tuple[Check, ...]


def lead(verdict: Verdict) -> Lead:
    checks = verdict.checks
    failed = [c for c in checks if c.status is Status.FAIL]
    unsure = [c for c in checks if c.status is Status.INCONCLUSIVE]
    if failed:
        return Lead(f"{len(failed)} of {len(checks)} checks failed:", tuple(failed))
    if unsure:
        return Lead(f"No check failed, but {len(unsure)} of {len(checks)} could not tell:", tuple(unsure))
    return Lead(f"All {len(checks)} checks passed.", ())


def named_line(check: Check) -> str:
    """'rss_per_request 523 KiB/update (limit 128 KiB/update)', or the detail when there is no figure."""
    if check.figure is None:
        return f"{check.name}: {check.detail}"
    return f"{check.name} {figure_text(check)} (limit {limit_text(check)})"
