"""Which upstreams a run's flows must reach (TARGET-CONTRACT §1.1), and the check that each did.

A mock that gets no call while updates that need it were sent means the service's calls went
elsewhere: interception not carrying them, or a wrong base URL. Never a quiet pass.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.analysis.model import Check, RunData, Span, Status
from harness.analysis.rules import UPDATES
from harness.analysis.windows import rise_over
from harness.config import Thresholds
from shared import human
from vocab.metrics import MOCKS_PREFIX, mock_requests
from vocab.upstreams import Upstream

MIN_UPDATES = 20  # fewer updates than this may not have reached every flow
FORWARDED = frozenset({"text", "edited", "voice", "callback"})  # kinds that reach cursor-runner
REPLIED_AT_ONCE = frozenset({"voice", "callback", "command", "no_text"})  # a Telegram call in the update
_NOT_CARRIED = "interception not carrying them, or a wrong base URL"
HINTS: dict[str, str] = {
    Upstream.CURSOR_RUNNER: "the service's jobs went elsewhere: is CURSOR_RUNNER_URL the mock's URL?",
    Upstream.TELEGRAM: f"calls to api.telegram.org went elsewhere: {_NOT_CARRIED}",
    Upstream.ELEVENLABS: f"calls to api.elevenlabs.io went elsewhere: {_NOT_CARRIED}",
}


def upstreams_reached(kinds: Iterable[str], *, results_by_callback: bool, debug: bool) -> dict[str, str]:
    """Upstream -> why the flows of these update kinds must call it."""
    sent = set(kinds)
    reached: dict[str, str] = {}
    if sent & FORWARDED:
        reached[Upstream.CURSOR_RUNNER] = f"{', '.join(sorted(sent & FORWARDED))} updates are forwarded"
    if sent & REPLIED_AT_ONCE:
        reached[Upstream.TELEGRAM] = f"{', '.join(sorted(sent & REPLIED_AT_ONCE))} updates call Telegram"
    elif sent & FORWARDED and (results_by_callback or debug):
        reached[Upstream.TELEGRAM] = "forwarded updates get a reply"
    if "voice" in sent:
        reached[Upstream.ELEVENLABS] = "voice updates are transcribed"
    return reached


def _called(data: RunData, upstream: str, span: Span) -> float | None:
    curve = data.curves.get(mock_requests(upstream))
    return None if curve is None else rise_over(curve, span)


def silent_upstreams(data: RunData, limits: Thresholds) -> list[Check]:
    """upstream_called.<name>: every upstream the flows reach saw calls during the load and cool-down."""
    if not limits.upstreams_called or not any(name.startswith(MOCKS_PREFIX) for name in data.curves):
        return []  # no mocks in this run (soak collect)
    expected = dict(data.reached)
    for key in limits.upstream_calls_per_update_max:
        expected.setdefault(key.split(".", 1)[0], "the profile gives it a calls-per-update budget")
    span = Span(data.load.start_s, data.cooldown.end_s if data.cooldown else data.load.end_s)
    updates = data.curves.get(UPDATES)
    sent = rise_over(updates, span) if updates is not None else 0.0
    checks = []
    for upstream, why in sorted(expected.items()):
        name, called = f"upstream_called.{upstream}", _called(data, upstream, span)
        if called is None or sent < MIN_UPDATES:
            reason = (
                f"only {human.count(sent)} updates sent"
                if called is not None
                else "the mock's counts were not recorded"
            )
            checks.append(Check(name, Status.INCONCLUSIVE, None, 1.0, "calls", span, reason))
            continue
        if called >= 1:
            detail = f"{human.count(called)} calls at the {upstream} mock ({why})"
            checks.append(Check(name, Status.PASS, called, 1.0, "calls", span, detail))
            continue
        detail = f"0 calls at the {upstream} mock for {human.count(sent)} updates ({why}): {HINTS.get(upstream, '')}"
        checks.append(Check(name, Status.FAIL, 0.0, 1.0, "calls", span, detail, mock_requests(upstream)))
    return checks
