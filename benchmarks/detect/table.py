"""The matrix as Markdown: leak kind x rate -> found or not, by which check, after how many
minutes of load; and the checks that failed on clean and benign runs, run by run and check by check."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from benchmarks.detect.cells import Cell, Group
from benchmarks.detect.outcome import CellOutcome, Judged

BEGIN, END = "<!-- detect-matrix:begin -->", "<!-- detect-matrix:end -->"
CONDITIONS = ("updates/s", "load avg (mean / max)")


def _minutes(seconds: float) -> str:
    return f"{round(seconds / 60, 1):g} min"


def _when(judged: Judged) -> str:
    return "after the cool-down" if judged.load_s is None else _minutes(judged.load_s)


def _conditions(outcome: CellOutcome) -> str:
    rate = "?" if outcome.updates_per_s is None else f"{outcome.updates_per_s:.1f}"
    mean, top = outcome.load_average
    return f"{rate} | {mean:.1f} / {top:.1f}"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _found(cell: Cell, outcome: CellOutcome | None) -> str:
    if outcome is None:
        return _row(cell.kind, cell.rate, _target(cell), "not run yet", "", "", "", "")
    if outcome.error:
        return _row(cell.kind, cell.rate, _target(cell), f"error: {outcome.error}", "", "", _conditions(outcome))
    found = next((j for j in outcome.judgements() if cell.found_by_its_check(j.failed)), None)
    if found is None:
        others = sorted(outcome.wolf_cries())
        said = f"{', '.join(others)} failed (not its own check)" if others else "no check failed"
        verdict = f"**no** ({_minutes(outcome.recorded_load_s)} recorded)"
        return _row(cell.kind, cell.rate, _target(cell), verdict, said, "", _conditions(outcome))
    in_time = found.load_s is not None and (cell.target_s is None or found.load_s <= cell.target_s)
    met = "" if cell.target_s is None else (" ✓" if in_time else " ✗")
    own = [name for name in found.failed if name.startswith(cell.expected)]
    others = [name for name in found.failed if not name.startswith(cell.expected)]
    checks = ", ".join(own) + (f" (also failing: {', '.join(others)})" if others else "")
    return _row(cell.kind, cell.rate, _target(cell), f"yes{met}", checks, _when(found), _conditions(outcome))


def _target(cell: Cell) -> str:
    return "" if cell.target_s is None else f"≤ {_minutes(cell.target_s)}"


def leak_table(cells: Sequence[Cell], outcomes: Mapping[str, CellOutcome]) -> list[str]:
    lines = [
        _row("kind", "rate", "target", "found", "by its own checks (first time found)", "after (load)", *CONDITIONS),
        "|---|---|---|---|---|---|---|---|",
    ]
    return lines + [_found(cell, outcomes.get(cell.name)) for cell in cells if cell.group is Group.LEAK]


def _first_at(outcome: CellOutcome, names: set[str]) -> str:
    first = next((j for j in outcome.judgements() if names & set(j.failed)), None)
    return f"**{', '.join(sorted(names))}** (first at {_when(first) if first else '?'})" if names else "none"


def _quiet_row(cell: Cell, outcome: CellOutcome | None) -> str:
    switches = cell.leaks or "(none)"
    if outcome is None:
        return _row(cell.name, switches, "not run yet", "", "", "", "", "")
    if outcome.error:
        return _row(cell.name, switches, f"error: {outcome.error}", "", "", "", _conditions(outcome))
    held = outcome.resource_failures()
    work = outcome.wolf_cries() - held
    timing = ", ".join(sorted(outcome.timing_failures())) or "none"
    screened = ", ".join(sorted({n for judged in outcome.judgements() for n in judged.screened})) or "none"
    length = f"{_minutes(outcome.recorded_load_s)}{'' if outcome.final else ', cut short'}"
    cells = (_first_at(outcome, held), _first_at(outcome, work), timing, f"{screened} ({length})")
    return _row(cell.name, switches, *cells, _conditions(outcome))


def quiet_table(cells: Sequence[Cell], outcomes: Mapping[str, CellOutcome]) -> list[str]:
    lines = [
        _row(
            "run",
            "switches",
            "resource checks failed (any checkpoint)",
            "work checks failed",
            "timing checks failed",
            "screen flags (load recorded)",
            *CONDITIONS,
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    return lines + [_quiet_row(c, outcomes.get(c.name)) for c in cells if c.group is not Group.LEAK]


def wolf_counts(cells: Sequence[Cell], outcomes: Mapping[str, CellOutcome]) -> list[str]:
    """Check by check: on how many clean and benign runs it failed (resource/work and timing)."""
    quiet = [outcomes[c.name] for c in cells if c.group is not Group.LEAK and c.name in outcomes]
    quiet = [outcome for outcome in quiet if not outcome.error]
    counts = Counter(name for outcome in quiet for name in outcome.wolf_cries())
    timing = Counter(name for outcome in quiet for name in outcome.timing_failures())
    if not quiet:
        return ["No clean or benign run finished yet."]
    lines = [f"False alarms over {len(quiet)} clean and benign runs, check by check:", ""]
    if not counts:
        lines.append("- resource and work checks: **none failed**")
    lines += [f"- `{name}`: failed on {n} of {len(quiet)}" for name, n in sorted(counts.items())]
    lines += [f"- `{name}` (timing): failed on {n} of {len(quiet)}" for name, n in sorted(timing.items())]
    return lines


def render(cells: Sequence[Cell], outcomes: Mapping[str, CellOutcome]) -> str:
    parts = [
        "### Leaks: found or not, by which check, after how much load",
        "",
        *leak_table(cells, outcomes),
        "",
        "### Clean and benign runs: what failed",
        "",
        *quiet_table(cells, outcomes),
        "",
        *wolf_counts(cells, outcomes),
    ]
    return "\n".join(parts) + "\n"


def replace_section(readme: str, section: str) -> str:
    """readme with the text between the markers replaced (appended with them when missing)."""
    block = f"{BEGIN}\n{section}{END}"
    if BEGIN in readme and END in readme:
        head, rest = readme.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return readme.rstrip("\n") + "\n\n" + block + "\n"
