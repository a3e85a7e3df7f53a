"""Two runs side by side: each check's status and figure in A and B, whether B regressed, as an
aligned terminal table and a Markdown table (the overlay page is compare_page.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.documents.verdict import CheckDocument
from shared import human

_RANK = {"pass": 0, "inconclusive": 1, "fail": 2}
# Checks whose figure is work per update: a rise is amplification (a retry storm, duplicate jobs)
# even while both runs stay under their limits.
WORK_PER_UPDATE = ("upstream_calls_per_update", "calls_per_update", "jobs_per_update")
DEFAULT_CALLS_TOLERANCE = 0.2


class CompareError(Exception):
    """A run directory without a readable verdict.json, or one with a check soak cannot have
    written (an unknown status, a figure that is not a number); the message is one line."""


@dataclass(frozen=True)
class Row:
    name: str
    status_a: str | None
    status_b: str | None
    figure_a: float | None
    figure_b: float | None
    unit: str
    tolerance: float = DEFAULT_CALLS_TOLERANCE  # allowed rise of work per update, as a share
    metric: str | None = None  # the recorded metric the check judged, in either run

    @property
    def worse_status(self) -> bool:
        """Worse status in B than in A (a check new in B counts only if it fails)."""
        rank_b = _RANK.get(self.status_b or "pass", 0)
        return rank_b > _RANK.get(self.status_a or "pass", 0)

    @property
    def more_work(self) -> bool:
        """Work per update rose beyond the tolerance."""
        if not self.name.startswith(WORK_PER_UPDATE) or self.figure_a is None or self.figure_b is None:
            return False
        return self.figure_b > self.figure_a * (1 + self.tolerance) and self.figure_b > self.figure_a

    @property
    def regressed(self) -> bool:
        return self.worse_status or self.more_work

    @property
    def marks(self) -> str:
        found = ["REGRESSED"] if self.worse_status else []
        if self.more_work:
            found.append(f"MORE WORK PER UPDATE (over +{self.tolerance:.0%})")
        return ", ".join(found)

    def cell(self, run: str) -> str:
        status, figure = (self.status_a, self.figure_a) if run == "a" else (self.status_b, self.figure_b)
        shown = "-" if figure is None else human.figure(figure, self.unit)
        return "-" if status is None else f"{status} {shown}"

    @property
    def change(self) -> str:
        if self.figure_a is None or self.figure_b is None:
            return "-"
        if self.figure_a == 0:
            return "n/a" if self.figure_b == 0 else "new"
        return f"{(self.figure_b - self.figure_a) / abs(self.figure_a):+.0%}"


def compare_checks(
    checks_a: Mapping[str, CheckDocument], checks_b: Mapping[str, CheckDocument], calls_tolerance: float
) -> list[Row]:
    """A row per check of either run, what got worse first."""
    rows = []
    for name in sorted(checks_a.keys() | checks_b.keys()):
        a, b = checks_a.get(name), checks_b.get(name)
        rows.append(
            Row(
                name=name,
                status_a=a.status if a else None,
                status_b=b.status if b else None,
                figure_a=a.figure if a else None,
                figure_b=b.figure if b else None,
                unit=(a.unit if a else None) or (b.unit if b else None) or "",
                tolerance=calls_tolerance,
                metric=(b.metric if b else None) or (a.metric if a else None),
            )
        )
    return sorted(rows, key=lambda row: not row.regressed)  # what got worse first


HEADER = ("check", "A", "B", "change", "")


def _cells(rows: list[Row]) -> list[tuple[str, ...]]:
    return [(row.name, row.cell("a"), row.cell("b"), row.change, row.marks) for row in rows]


def format_table(rows: list[Row], run_a: Path, run_b: Path) -> list[str]:
    """Columns as wide as their widest cell: names left, figures right, marks last."""
    table = [HEADER, *_cells(rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        name, a, b, change, marks = cells
        text = f"{name:<{widths[0]}}  {a:>{widths[1]}}  {b:>{widths[2]}}  {change:>{widths[3]}}  {marks}"
        return text.rstrip()

    return [f"A: {run_a}", f"B: {run_b}", *(line(cells) for cells in table)]


def markdown_table(rows: list[Row], run_a: Path, run_b: Path) -> str:
    lines = [f"# soak compare: `{run_a.name}` (A) vs `{run_b.name}` (B)", ""]
    worse = [row.name for row in rows if row.regressed]
    lines += [f"Worse in B: {', '.join(worse)}" if worse else "Nothing is worse in B.", ""]
    lines += ["| check | A | B | change | |", "|---|---:|---:|---:|---|"]
    lines += [f"| {' | '.join(cells)} |" for cells in _cells(rows)]
    return "\n".join(lines) + "\n"
