"""Level checks on counts and sizes: peak, growth during load, and what is left after cool-down."""

from __future__ import annotations

import numpy as np

from harness.analysis.model import Check, Curve, Span, Status
from harness.analysis.windows import window_medians, within
from shared.units import format_bytes


def _status(figure: float, limit: float) -> Status:
    return Status.PASS if figure <= limit else Status.FAIL


def peak(name: str, curve: Curve, span: Span, limit: float, unit: str) -> Check:
    _, values = within(curve, span)
    if values.size == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, "no samples in the span")
    top = float(values.max())
    detail = f"peak {_amount(top, unit)}, limit {_amount(limit, unit)}"
    return Check(name, _status(top, limit), top, limit, unit, span, detail)


def _amount(value: float, unit: str) -> str:
    return format_bytes(value) if unit == "B" else f"{value:.4g} {unit}"


def growth(name: str, curve: Curve, span: Span, limit: float, *, window_s: float, unit: str) -> Check:
    """Last window's median minus the first's, over the judged part of the load."""
    t_s, medians = window_medians(curve, span, window_s)
    if t_s.size < 2:
        detail = f"{t_s.size} windows in the judged span, 2 needed"
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, detail)
    change = float(medians[-1] - medians[0])
    detail = f"{medians[0]:.4g} -> {medians[-1]:.4g} {unit} (window medians), limit +{limit:.4g}"
    return Check(name, _status(change, limit), change, limit, unit, span, detail)


def residual(
    name: str,
    curve: Curve,
    *,
    cooldown: Span | None,
    baseline: Span | None,
    limit: float,
    recovery_s: float,
    unit: str,
) -> Check:
    """What is left at the end of the cool-down, above the pre-load baseline when one is given.

    baseline None means the healthy level is zero (temp files): the residual is the level itself.
    """
    if cooldown is None:
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, None, "the run has no cool-down")
    tail = Span(max(cooldown.start_s, cooldown.end_s - recovery_s), cooldown.end_s)
    _, end_values = within(curve, tail)
    if end_values.size == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, tail, "no samples at the end of the cool-down")
    level = float(np.median(end_values))
    base = 0.0
    if baseline is not None:
        _, base_values = within(curve, baseline)
        if base_values.size == 0:
            return Check(name, Status.INCONCLUSIVE, None, limit, unit, tail, "no samples before the load")
        base = float(np.median(base_values))
    left = level - base
    detail = f"{level:.4g} {unit} after cool-down vs {base:.4g} before load, limit +{limit:.4g}"
    return Check(name, _status(left, limit), left, limit, unit, tail, detail)


def always_alive(curve: Curve, load: Span) -> Check:
    _, alive = within(curve, load)
    deaths = int(np.sum(alive < 1))
    detail = "target alive through the load and cool-down" if deaths == 0 else f"target not running in {deaths} samples"
    return Check("target_alive", _status(deaths, 0), float(deaths), 0.0, "samples", load, detail, "target.alive")
