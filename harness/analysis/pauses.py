"""soak's own pauses of the target and the backlog each leaves, judged apart from the steady state.

A listener census, a heap snapshot or a long forced GC stops the target's JavaScript; nothing is
answered meanwhile, and the work that queued up is caught up after it. That stall is ours, not the
service's: checks that judge the worst moment on the run's clock (end-to-end and webhook latency,
loop delay, sockets left in CLOSE_WAIT, temp file age, calls per update per window) leave the
windows and samples it touched apart, name the pause in their evidence, and judge the rest.

What tells a pause from a defect: a pause has a known start and end, and a healthy service drains
the queue it left. Work arriving at rate r on a service that can do c (utilisation u = r / c)
piled up for d seconds drains in d * u / (1 - u): within 2 d up to u = 2/3. So the backlog counted
with a pause is BACKLOG_FACTOR times its duration, and at least one judging window (the window it
ends in may hold its last stalled answers). A service slow outside that span still fails there; a
run where every window touched a pause is inconclusive, with the pauses named.

A pause counts for a check only when it could explain a failure of it (material): a pause adds at
most its length to what it holds up, so against a latency limit L only pauses of L / 2 or more
count (a service answering within L / 2 otherwise stays under L); against a count per window, a
pause of a tenth of the window or more. A forced GC of 150 ms then sets no 2 s latency window apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.analysis.model import Curve, Pause, Span

BACKLOG_FACTOR = 2.0
LATENCY_SHARE = 0.5  # of a latency limit: shorter pauses cannot explain crossing it
WINDOW_SHARE = 0.1  # of a counting window: shorter pauses move its count by less


def material(pauses: Sequence[Pause], min_s: float) -> tuple[Pause, ...]:
    """The pauses long enough to explain a failure of a check (see above)."""
    return tuple(pause for pause in pauses if pause.duration_s >= min_s)


def pause_at(t_s: float, pauses: Sequence[Pause], window_s: float) -> Pause | None:
    """The pause whose stall or backlog holds this moment."""
    for pause in pauses:
        if pause.span.start_s <= t_s < pause.span.end_s + backlog_s(pause, window_s):
            return pause
    return None


def backlog_s(pause: Pause, window_s: float) -> float:
    """How long after a pause its queued work may still show in the figures."""
    return max(window_s, BACKLOG_FACTOR * pause.duration_s)


def pause_near(span: Span, pauses: Sequence[Pause], window_s: float) -> Pause | None:
    """The first pause this span overlaps, its backlog included."""
    for pause in pauses:
        if span.start_s < pause.span.end_s + backlog_s(pause, window_s) and pause.span.start_s < span.end_s:
            return pause
    return None


def apart_mask(t_s: np.ndarray, pauses: Sequence[Pause], window_s: float) -> np.ndarray:
    """True for each time inside a pause or its backlog."""
    inside = np.zeros(t_s.shape, dtype=bool)
    for pause in pauses:
        inside |= (t_s >= pause.span.start_s) & (t_s < pause.span.end_s + backlog_s(pause, window_s))
    return inside


def outside_pauses(curve: Curve, pauses: Sequence[Pause], window_s: float) -> tuple[Curve, Curve]:
    """The samples outside every pause and its backlog, and those inside."""
    inside = apart_mask(curve.t_s, pauses, window_s)
    return Curve(curve.t_s[~inside], curve.values[~inside]), Curve(curve.t_s[inside], curve.values[inside])


def in_flight_during(t_s: np.ndarray, latency_s: np.ndarray, pauses: Sequence[Pause], window_s: float) -> np.ndarray:
    """True for each request (sent at t_s, answered latency_s later) that a pause or its backlog held up."""
    held = np.zeros(t_s.shape, dtype=bool)
    for pause in pauses:
        end_s = pause.span.end_s + backlog_s(pause, window_s)
        held |= (t_s < end_s) & (t_s + latency_s > pause.span.start_s)
    return held


def named(pauses: Sequence[Pause], most: int = 4) -> str:
    """The pauses in words, longest first: "listener_census at 133 s, 6.1 s; ..." (and how many more)."""
    longest = sorted(pauses, key=lambda pause: -pause.duration_s)
    more = f" and {len(longest) - most} more" if len(longest) > most else ""
    return "; ".join(pause.label for pause in longest[:most]) + more


def pause_within(span: Span, pauses: Sequence[Pause], window_s: float) -> list[Pause]:
    """Every pause whose stall or backlog overlaps the span."""
    return [pause for pause in pauses if pause_near(span, (pause,), window_s) is not None]
