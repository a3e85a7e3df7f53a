"""The compare page: both runs overlaid per judged metric, against time and against updates handled
(a leak per update shows as a steeper curve whatever the load), under the table of checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from jinja2 import Environment, Template, select_autoescape

from harness.analysis.model import Curve, RunData, Span
from harness.analysis.rules import UPDATES
from harness.analysis.windows import value_at, within
from harness.report.assets import assets
from harness.report.chartspec import ChartPlan, ChartSpec, Role, Section, SeriesSpec, XAxis
from harness.report.compare import HEADER, CompareError, Row, markdown_table
from harness.report.page_data import page_document, script_json, time_range

TEMPLATE = Path(__file__).parent / "templates" / "compare.html.j2"


def against_updates(curve: Curve, data: RunData) -> Curve | None:
    """The curve's load-phase samples placed at the updates handled by then."""
    updates = data.curves.get(UPDATES)
    if updates is None or len(updates.t_s) < 2:
        return None
    t_s, values = within(curve, data.load)
    if t_s.size < 2:
        return None
    handled = value_at(updates, t_s)
    order = np.argsort(handled, kind="stable")
    return Curve(tuple(handled[order].tolist()), tuple(values[order].tolist()))


def _pair(metric: str, unit: str, axis: XAxis, a: Curve | None, b: Curve | None) -> tuple[ChartSpec, dict[str, Curve]]:
    keys = {f"{axis.value}:a:{metric}": a, f"{axis.value}:b:{metric}": b}
    found = {key: curve for key, curve in keys.items() if curve is not None}
    specs = [SeriesSpec(key, f"{'A' if ':a:' in key else 'B'}", Role.LINE if ":a:" in key else Role.OTHER_RUN)
             for key in found]  # fmt: skip
    what = "time" if axis is XAxis.TIME else "updates handled"
    return ChartSpec(f"{axis.value}-{metric}", f"{metric} against {what}", unit, tuple(specs), x=axis), found


def overlay_plan(rows: Sequence[Row], a: RunData, b: RunData, units: Mapping[str, str]) -> ChartPlan:
    """A chart against time and one against updates handled for each metric a check judged."""
    metrics = list(dict.fromkeys(row.metric for row in rows if row.metric))
    charts: list[ChartSpec] = []
    series: dict[str, Curve] = {}
    for metric in metrics:
        curve_a, curve_b = a.curves.get(metric), b.curves.get(metric)
        if curve_a is None and curve_b is None:
            continue
        unit = units.get(metric, "count")
        by_updates = [None if c is None else against_updates(c, d) for c, d in ((curve_a, a), (curve_b, b))]
        for axis, pair in ((XAxis.TIME, (curve_a, curve_b)), (XAxis.UPDATES, tuple(by_updates))):
            chart, found = _pair(metric, unit, axis, *pair)
            if found:
                charts.append(chart)
                series.update(found)
    section = Section("overlays", "Judged metrics, A and B overlaid", tuple(charts))
    return ChartPlan((section,), {}, series)


def _ranges(plan: ChartPlan, a: RunData, b: RunData) -> dict[str, list[float]]:
    ranges = {XAxis.TIME.value: time_range([*a.curves.values(), *b.curves.values()])}
    handled = [float(curve.t_s[-1]) for key, curve in plan.series.items() if key.startswith("updates:")]
    ranges[XAxis.UPDATES.value] = [0.0, max(handled, default=1.0)]
    return ranges


@cache
def _template() -> Template:
    env = Environment(autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE.read_text(encoding="utf-8"))


def render_compare(
    names: tuple[str, str], rows: Sequence[Row], a: RunData, b: RunData, plan: ChartPlan, *, no_overlay: str = ""
) -> str:
    code = assets()
    document = page_document(plan, (), (), _ranges(plan, a, b))
    return _template().render(
        run_a=names[0],
        run_b=names[1],
        header=HEADER,
        rows=rows,
        worse=[row.name for row in rows if row.regressed],
        sections=plan.sections,
        data_json=script_json(document),
        script=code.script,
        style=code.style,
        missing=code.missing,
        no_overlay=no_overlay,
    )


def _units(data: RunData) -> dict[str, str]:
    return {name: info.unit for name, info in data.catalogue.items()}


# A run as the overlay gets it: its data, or why it could not be read.
Loaded = RunData | str


def write_comparison(
    runs: tuple[Path, Path], rows: Sequence[Row], loaded: tuple[Loaded, Loaded], out_dir: Path | None
) -> tuple[Path, Path]:
    """The overlay page and the Markdown table, in out_dir (default: B's run directory)."""
    run_a, run_b = runs
    a, b = loaded
    if isinstance(a, RunData) and isinstance(b, RunData):
        plan = overlay_plan(rows, a, b, {**_units(a), **_units(b)})
        page = render_compare((run_a.name, run_b.name), rows, a, b, plan)
    else:
        empty = RunData(curves={}, load=Span(0.0, 0.0))
        why = "; ".join(w for w in (a, b) if isinstance(w, str))
        page = render_compare((run_a.name, run_b.name), rows, empty, empty, ChartPlan((), {}, {}), no_overlay=why)
    folder = out_dir or run_b
    stem = f"compare-{run_a.name}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        html_path, md_path = folder / f"{stem}.html", folder / f"{stem}.md"
        html_path.write_text(page, encoding="utf-8")
        md_path.write_text(markdown_table(list(rows), run_a, run_b), encoding="utf-8")
    except OSError as exc:
        raise CompareError(f"cannot write the comparison into {folder}: {exc.strerror or exc}") from None
    return html_path, md_path
