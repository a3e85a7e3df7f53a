"""report.html: the verdict table and one chart per recorded metric, in one self-contained file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, select_autoescape

from harness.analysis.model import Status, Verdict
from harness.report.faults import FaultRow
from harness.report.svg import Band, line_chart


@dataclass(frozen=True)
class Chart:
    name: str
    unit: str
    source: str
    t_s: tuple[float, ...]
    values: tuple[float, ...]


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>soak {{ run }}: {{ status }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
.fail { color: #b00020; font-weight: bold; } .pass { color: #1b5e20; } .inconclusive { color: #8a6d00; }
figure { margin: 1em 0; } figcaption { font-weight: 600; }
.legend span { display: inline-block; padding: 0 8px; margin-right: 6px; }
</style></head><body>
<h1>soak run <code>{{ run }}</code>: <span class="{{ status }}">{{ status | upper }}</span></h1>
{% if partial %}<p class="partial"><strong>{{ partial }}</strong></p>{% endif %}
<table><tr><th>check</th><th>result</th><th>figure</th><th>limit</th><th>span (s)</th><th>evidence</th></tr>
{% for c in checks %}<tr><td>{{ c.name }}</td><td class="{{ c.status.value }}">{{ c.status.value }}</td>
<td>{{ "%.4g" | format(c.figure) if c.figure is not none else "-" }}</td>
<td>{{ "%.4g" | format(c.limit) }} {{ c.unit }}</td>
<td>{{ "%.0f-%.0f" | format(c.span.start_s, c.span.end_s) if c.span else "-" }}</td><td>{{ c.detail }}</td></tr>
{% endfor %}</table>
{% for c in checks if c.evidence %}<h2>{{ c.name }}</h2><pre>{{ c.evidence | join("\n") }}</pre>
{% endfor %}
{% if faults %}<h2>Fault windows</h2><ul class="faults">
{% for f in faults %}<li>{{ f.line() }}</li>{% endfor %}</ul>{% endif %}
{% if notes %}<ul class="notes">{% for note in notes %}<li>{{ note }}</li>{% endfor %}</ul>{% endif %}
<p class="legend">{% for b in bands %}<span style="background: {{ b.colour }}40">{{ b.label }}</span>{% endfor %}</p>
{% for chart in charts %}<figure><figcaption>{{ chart.name }} ({{ chart.unit }}, {{ chart.source }})</figcaption>
{{ chart.svg | safe }}</figure>
{% endfor %}
</body></html>
"""

PHASE_COLOURS = {"baseline": "#9e9e9e", "warm-up": "#f4b400", "load": "#4285f4", "cool-down": "#0f9d58"}


def render_html(
    run: str,
    verdict: Verdict,
    charts: Sequence[Chart],
    bands: Sequence[Band],
    notes: Sequence[str] = (),
    *,
    partial: str | None = None,
    faults: Sequence[FaultRow] = (),
) -> str:
    env = Environment(autoescape=select_autoescape(default=True))
    template = env.from_string(_TEMPLATE)
    ordered = sorted(verdict.checks, key=lambda c: c.status is not Status.FAIL)
    rendered = [
        {"name": c.name, "unit": c.unit, "source": c.source, "svg": line_chart(c.t_s, c.values, bands)} for c in charts
    ]
    return template.render(
        run=run,
        status=verdict.status.value,
        checks=ordered,
        charts=rendered,
        bands=bands,
        notes=notes,
        faults=faults,
        partial=partial,
    )
