"""Judging the answers to bad input (malformed JSON, an oversize body, an unknown update kind)
against the contract's error envelopes: the scenario checks each answer and Locust counts those
that broke the contract as failures of the request named bad:<kind>."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.analysis.model import Check, Span, Status


@dataclass(frozen=True)
class BadInputKind:
    sent: int
    broken: int  # answered outside the contract
    problems: tuple[str, ...]  # how, in Locust's words (first few)


def bad_input_answers(kinds: Mapping[str, BadInputKind], span: Span | None) -> Check | None:
    """None when the run sent no bad input."""
    sent = sum(kind.sent for kind in kinds.values())
    if sent == 0:
        return None
    broken = sum(kind.broken for kind in kinds.values())
    parts = ", ".join(f"{name} {kind.broken} of {kind.sent}" for name, kind in sorted(kinds.items()))
    contract = (
        'malformed JSON and bodies over 100 kB get 500 {"ok": false, "result": {"error": ...}}, unknown kinds 200'
    )
    detail = f"{broken} of {sent} bad inputs answered outside the contract ({parts}); {contract}"
    evidence = tuple(problem for kind in kinds.values() for problem in kind.problems)
    status = Status.PASS if broken == 0 else Status.FAIL
    return Check("bad_input_answers", status, float(broken), 0.0, "answers", span, detail, evidence=evidence)
