"""Lines a check hands to the report's chart of it: the values judged, the fit, the limit's line.

Checks build them from what they already computed, so a chart shows exactly what was judged and
the report never recomputes a figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from harness.analysis.model import Guide, GuideRole, Span


def line(role: GuideRole, label: str, t_s: ArrayLike, values: ArrayLike) -> Guide:
    times = np.asarray(t_s, dtype=float)
    found = np.asarray(values, dtype=float)
    return Guide(role, label, tuple(float(t) for t in times), tuple(float(v) for v in found))


def flat(role: GuideRole, label: str, span: Span, value: float) -> Guide:
    """A flat line over a span: a limit, or a level that was compared."""
    return Guide(role, label, (span.start_s, span.end_s), (float(value), float(value)))


def steps(role: GuideRole, label: str, spans: Sequence[Span], values: Sequence[float]) -> Guide:
    """One flat stretch per window (a limit that differs in fault windows, a ratio per window)."""
    t_s = [t for span in spans for t in (span.start_s, span.end_s)]
    doubled = [float(v) for v in values for _ in range(2)]
    return Guide(role, label, tuple(t_s), tuple(doubled))


def window_centres(spans: Sequence[Span]) -> list[float]:
    return [(span.start_s + span.end_s) / 2 for span in spans]
