"""soak's Locust events and messages, registered once per Locust process on import.

- `--soak-load`: the profile's [load] as JSON (scenarios/settings.py). Its default is SOAK_LOAD,
  which soak sets for the master; Locust hands custom options to every worker with its spawn
  orders, so a remote worker needs nothing but the locustfile.
- A worker relays its update records to the master, which writes the run's one updates.jsonl.
- At test start the master tells each worker when the schedule starts and how many workers share
  it (each sends 1/N of an open model's rate from its own id block); a single process starts alone.
"""

from __future__ import annotations

import os
import time
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from scenarios import runtime, update_log
from scenarios.settings import ENV

UPDATES_MESSAGE = "soak_updates"
START_MESSAGE = "soak_start"
# On a worker: the master's word for the next test start (when, how many workers).
_start_word: dict[str, Any] = {}


@events.init_command_line_parser.add_listener
def _add_option(parser: Any, **_kwargs: Any) -> None:
    parser.add_argument(
        "--soak-load", type=str, default=os.environ.get(ENV, ""), include_in_web_ui=False,
        help="soak's [load] settings as JSON (soak sets it)",
    )  # fmt: skip


def _on_start_word(environment: Environment, msg: Any, **_kwargs: Any) -> None:
    _start_word.update(msg.data)


def _on_records(environment: Environment, msg: Any, **_kwargs: Any) -> None:
    update_log.LOG.add_many(msg.data["records"])


@events.init.add_listener
def _on_init(environment: Environment, **_kwargs: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        update_log.LOG.relay_to(lambda records: runner.send_message(UPDATES_MESSAGE, {"records": records}))
        runner.register_message(START_MESSAGE, _on_start_word)
    elif isinstance(runner, MasterRunner):
        runner.register_message(UPDATES_MESSAGE, _on_records)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_kwargs: Any) -> None:
    runner = environment.runner
    settings = runtime.settings_from(getattr(environment.parsed_options, "soak_load", None))
    now_s = time.time()
    if isinstance(runner, MasterRunner):
        # Sent before the spawn orders, so every worker has it when its users start.
        runner.send_message(START_MESSAGE, {"start_s": now_s, "workers": max(1, runner.worker_count)})
        runtime.start(settings, now_s)
    elif isinstance(runner, WorkerRunner):
        word = _start_word or {"start_s": now_s, "workers": 1}
        share = 1.0 / max(1, int(word["workers"]))
        runtime.start(settings, float(word["start_s"]), share=share, block=runner.worker_index, gathers=False)
    else:
        runtime.start(settings, now_s)


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **_kwargs: Any) -> None:
    # On a worker these go out before its "stopped" message, so the master has every record first.
    update_log.flush()
    if isinstance(environment.runner, WorkerRunner):
        # Locust sends a worker's last statistics only on quit, which the master waits 0.5 s for: on
        # a busy machine its CSVs then miss the last requests. Sent here, they count like the records.
        environment.runner._send_stats()
