"""The heap snapshots' diff for people: the top growers as Markdown lines and HTML table rows."""

from __future__ import annotations

from dataclasses import dataclass

from harness.analysis.heap_growth import HeapGrower, HeapGrowth
from shared import human

SUMMARY_TOP = 5
PATH_TAIL = 7  # steps of a retainer path shown nearest the object; the root side is elided


def compact_path(kinds: tuple[str, ...], tail: int = PATH_TAIL) -> str:
    """A path with repeats folded ('Timeout' five times in a row reads 'Timeout x5' with a times
    sign), keeping the last `tail` steps."""
    steps: list[tuple[str, int]] = []
    for kind in kinds:
        if steps and steps[-1][0] == kind:
            steps[-1] = (kind, steps[-1][1] + 1)
        else:
            steps.append((kind, 1))
    shown = [f"{kind} ×{count}" if count > 1 else kind for kind, count in steps]
    return " → ".join((["…"] if len(shown) > tail else []) + shown[-tail:])


def _rate(growth: HeapGrowth, grower: HeapGrower) -> str:
    per = growth.per_thousand_updates(grower)
    return "-" if per is None else human.number(per)


@dataclass(frozen=True)
class GrowerRow:
    kind: str
    new_roots: int
    per_1000: str
    retained: str
    objects: str
    carries: str
    paths: tuple[tuple[str, int], ...]


def grower_rows(growth: HeapGrowth, top: int | None = None) -> list[GrowerRow]:
    return [
        GrowerRow(
            kind=f"{g.kind} (in {g.holder})" if g.holder else g.kind,
            new_roots=g.new_roots,
            per_1000=_rate(growth, g),
            retained=human.size(g.retained_bytes),
            objects=f"{g.objects_before} → {g.objects_after}",
            carries=", ".join(g.carries) or "-",
            paths=tuple((compact_path(p.kinds), p.samples) for p in g.paths),
        )
        for g in growth.growers[:top]
    ]


def heading(growth: HeapGrowth) -> str:
    updates = f", {human.count(growth.updates)} updates handled between them" if growth.updates else ""
    return f"Heap growth between snapshots `{growth.before}` and `{growth.after}`{updates}"


def growth_markdown(growth: HeapGrowth) -> list[str]:
    lines = ["", f"## {heading(growth)}", ""]
    if not growth.growers:
        return [*lines, f"No kind of object grew beyond noise ({growth.noise})."]
    lines += [
        "| kind (leak root) | new roots | per 1,000 updates | holding | objects | carries | retained via |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in grower_rows(growth, SUMMARY_TOP):
        via = row.paths[0][0] if row.paths else "-"
        cells = (f"`{row.kind}`", row.new_roots, row.per_1000, row.retained, row.objects, row.carries, via)
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return [*lines, "", f"Noise: {growth.noise}."]


def growth_terminal(growth: HeapGrowth, top: int = 3) -> list[str]:
    """Lines for the terminal under the verdict."""
    if not growth.growers:
        return ["  heap snapshots: no kind of object grew beyond noise"]
    return [
        f"  heap growth: {row.kind}: +{row.new_roots} held by older objects ({row.per_1000} per 1,000 updates), "
        f"holding {row.retained}" + (f", via {row.paths[0][0]}" if row.paths else "")
        for row in grower_rows(growth, top)
    ]


def growth_text(growth: HeapGrowth) -> list[str]:
    """The whole diff as plain lines (`soak snapshot-diff`)."""
    lines = [heading(growth).replace("`", "")]
    if not growth.growers:
        return [*lines, f"no kind of object grew beyond noise ({growth.noise})"]
    for row in grower_rows(growth):
        rate = f", {row.per_1000} per 1,000 updates" if row.per_1000 != "-" else ""
        lines.append(f"{row.kind}: {row.new_roots} new, held by older objects{rate}; holding {row.retained}")
        lines.append(f"    objects of the kind: {row.objects}; carries: {row.carries}")
        lines += [f"    {samples} of the samples via: {path}" for path, samples in row.paths]
    return [*lines, f"noise: {growth.noise}"]
