"""The update kinds the scenarios send and the default mix: plain data, importable outside Locust
(the harness reads it to know which upstreams a run's flows reach)."""

from __future__ import annotations

# Kind -> weight for the mixed scenario when the profile gives no mix.
DEFAULT_MIX = {"text": 5.0, "voice": 2.0, "callback": 1.0, "command": 1.0, "edited": 0.5, "no_text": 0.5}
# What each scenario sends when it has no mix of its own.
SCENARIO_KINDS = {"text": ("text",)}
# The kind updates.jsonl gives bad input (malformed JSON, an oversize body, an unknown update kind):
# its answer is checked against the contract's error envelopes, and it is no work the service owes,
# so the per-update accounting leaves it out (never a lost update).
BAD_INPUT = "bad_input"
BAD_INPUT_KINDS = ("malformed_json", "oversize", "unknown_kind")
# "why" of an update whose Locust user was stopped before its answer came (scenarios/update_log.py):
# not the service's failure, and the service may still do its work.
LOAD_STOPPED = "load stopped"


def kinds_of(scenario: str, mix: dict[str, float]) -> tuple[str, ...] | None:
    """The kinds a scenario sends; None for a scenario soak does not know (the user's own)."""
    if scenario == "mixed":
        return tuple(kind for kind, weight in (mix or DEFAULT_MIX).items() if weight > 0)
    return SCENARIO_KINDS.get(scenario)
