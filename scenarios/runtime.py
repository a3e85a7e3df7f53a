"""The state one Locust process shares between its users: the load settings, the open model's
pacer, the chat population, the share of bad input, and (where records gather) the live knee.
Started at each test start by scenarios/hooks.py; pure, no Locust import.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial

from scenarios import payloads, update_log
from scenarios.knee_live import KneeTracker
from scenarios.pacing import ExactShare, Pacer
from scenarios.population import ChatPopulation
from scenarios.settings import ENV, LoadSettings, default_settings
from scenarios.shape_math import target_rate


@dataclass
class Runtime:
    settings: LoadSettings
    start_s: float  # when the load started (Unix s), the origin of every schedule
    pacer: Pacer | None  # open models only
    population: ChatPopulation
    bad_input: ExactShare
    knee: KneeTracker | None = None


_current: Runtime | None = None


def settings_from(text: str | None) -> LoadSettings:
    return LoadSettings.from_json(text) if text else default_settings()


def start(
    settings: LoadSettings, start_s: float, *, share: float = 1.0, block: int = 0, gathers: bool = True
) -> Runtime:
    """A new test in this process. share: its part of the rate and chat pool (1/N of N workers);
    block: its id block; gathers: the records of the run reach this process (alone, or the master)."""
    global _current  # noqa: PLW0603 - one runtime per Locust process
    payloads.use_id_block(block)
    shape = settings.shape
    pacer = Pacer(partial(target_rate, shape), start_s, share) if shape.open_model else None
    knee = None
    if gathers and shape.kind == "knee":
        knee = KneeTracker(shape, settings.knee, start_s)
        update_log.LOG.observers[:] = [knee.observe]
    _current = Runtime(
        settings=settings,
        start_s=start_s,
        pacer=pacer,
        population=ChatPopulation(settings.new_chat_share, settings.chat_pool, share),
        bad_input=ExactShare(settings.bad_input_share),
        knee=knee,
    )
    return _current


def current() -> Runtime:
    """This process's runtime; a scenario run by hand (no test start seen) gets one from the
    environment or the defaults."""
    if _current is None:
        return start(settings_from(os.environ.get(ENV)), time.time())
    return _current
