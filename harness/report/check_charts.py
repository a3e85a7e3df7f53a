"""The chart next to each judged check: its metric, and the lines the check carries (the values
judged, the fit, the limit), so a reader sees what was measured and where the threshold lies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from harness.analysis.guides import flat
from harness.analysis.model import Check, Curve, Guide, GuideRole
from harness.report.chartspec import ChartSpec, Role, SeriesSpec
from harness.report.readable import limit_text
from vocab.metrics import Metric, mock_requests

# Checks judged on Locust's whole-run statistics: the history curve shown beside them.
_CURVE_OF = {"error_ratio": Metric.ERROR_RATIO, "latency_p95": Metric.LATENCY_P95_S}
# A check's unit -> the axis unit of a chart without a recorded metric (its lines are in it).
_AXIS_OF = {"B": "bytes", "s": "seconds", "updates": "count"}
_ROLE = {GuideRole.JUDGED: Role.JUDGED, GuideRole.FIT: Role.FIT, GuideRole.LIMIT: Role.LIMIT}
NO_SERIES = "judged on a count with no course over time (target.log, events.jsonl or a whole-run total)"


def chart_id(check_name: str) -> str:
    return f"check-{check_name}"


def _borrowed(check_name: str) -> str | None:
    if check_name.startswith("upstream_called."):
        return mock_requests(check_name.removeprefix("upstream_called."))
    return _CURVE_OF.get(check_name)


def _guides(check: Check, with_limit: bool) -> list[Guide]:
    guides = list(check.guides)
    has_limit = any(g.role is GuideRole.LIMIT for g in guides)
    if with_limit and not has_limit and check.span is not None:
        guides.append(flat(GuideRole.LIMIT, "limit", check.span, check.limit))
    return guides


def _label(check: Check, guide: Guide) -> str:
    """The threshold line says which limit it draws: a dashed line that rises is a limit on a slope
    or a rate ("limit (256 MiB/h)"), not a level the curve must stay under."""
    if guide.role is GuideRole.LIMIT and guide.label == "limit":
        return f"limit ({limit_text(check)})"
    return guide.label


def check_chart(
    check: Check, series: Mapping[str, Curve], unit_of: Callable[[str], str]
) -> tuple[ChartSpec, dict[str, Curve]] | None:
    """The chart of one check and the series of its lines; None when there is nothing over time."""
    metric = check.metric if check.metric in series else None
    borrowed = _borrowed(check.name)
    if metric is None and borrowed in series:
        metric = borrowed
    guides = _guides(check, with_limit=metric is not None and metric == borrowed and check.name in _CURVE_OF)
    if metric is None and not guides:
        return None
    lines = {f"check:{check.name}:{index}": guide for index, guide in enumerate(guides)}
    specs = [SeriesSpec(metric, metric)] if metric is not None else []
    specs += [SeriesSpec(key, _label(check, guide), _ROLE[guide.role]) for key, guide in lines.items()]
    unit = unit_of(metric) if metric is not None else _AXIS_OF.get(check.unit, check.unit)
    chart = ChartSpec(chart_id(check.name), check.name, unit, tuple(specs))
    return chart, {key: Curve(guide.t_s, guide.values) for key, guide in lines.items()}


def check_charts(
    checks: Sequence[Check], series: Mapping[str, Curve], unit_of: Callable[[str], str]
) -> tuple[dict[str, ChartSpec], dict[str, Curve], dict[str, str]]:
    """Charts by check name, the series of their lines by key, and why a check has no chart."""
    charts: dict[str, ChartSpec] = {}
    lines: dict[str, Curve] = {}
    none: dict[str, str] = {}
    for check in checks:
        found = check_chart(check, series, unit_of)
        if found is None:
            none[check.name] = NO_SERIES if check.figure is not None else "nothing was measured"
            continue
        charts[check.name], its_lines = found
        lines.update(its_lines)
    return charts, lines, none
