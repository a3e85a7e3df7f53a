"""Per-update accounting of a synthetic night: 4 hours at 20 updates/s (288,000 updates and their
~1.2 million upstream records), written by the project's own writers (scenarios' payload factories
and UpdateLog, the mocks' CorrelationLog) in the shapes a run leaves, then joined in a child
process that reports its wall time and peak RSS.

Prints medians of several runs for the join, against a baseline measured in the same run (reading
and decoding both files into their records, nothing joined), and the peak RSS of a 1-hour run beside the 4-hour one:
memory bounded by the updates in flight, not by the run's length. Target: under 30 s.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mocks.common.recorder import CorrelationLog

WALL0 = 1_767_000_000.0
RATE_PER_S = 20
ROUNDS = 3
# The default mix with S=1, A=1 and results by callback (TARGET-CONTRACT §5).
MIX = {"text": 5.0, "voice": 2.0, "callback": 1.0, "command": 1.0, "edited": 0.5, "no_text": 0.5}
Calls = list[tuple[float, dict[str, Any]]]  # (end time, record without t)


def _reply(chat: int, msg: int, mark: str | None, route: str = "sendMessage") -> dict[str, Any]:
    record: dict[str, Any] = {"up": "telegram", "route": route, "status": 200, "ms": 3.1, "conn": 1, "chat_id": chat}
    if msg:
        record["reply_to"] = msg
    if mark:
        record["mark"] = mark
    return record


def _forward(t: float, chat: int, msg: int, prompt: str, rng: random.Random, *, spoken: bool) -> Calls:
    """A job, ⏳, the callback ~2 s later and the result (spoken: TTS then sendVoice)."""
    rid = f"telegram-{int(t)}-{rng.getrandbits(32):08x}"
    job = {"up": "cursor_runner", "route": "iterate", "status": 200, "ms": 20.0, "conn": 1,
           "request_id": rid, "prompt": prompt[:96]}  # fmt: skip
    done = t + rng.lognormvariate(0.7, 0.5)
    calls: Calls = [(t + 0.05, job), (t + 0.06, _reply(chat, msg, "status")),
                    (done, {"up": "cursor_runner", "route": "callback_out", "status": 200, "ms": 25.0,
                            "request_id": rid})]  # fmt: skip
    if spoken:
        tts = {"up": "elevenlabs", "route": "text_to_speech", "status": 200, "ms": 30.0, "conn": 1}
        return [*calls, (done - 0.01, {**tts}), (done - 0.005, _reply(chat, msg, None, "sendVoice"))]
    return [*calls, (done - 0.01, _reply(chat, msg, "ok"))]


def _calls(kind: str, update: dict[str, Any], t: float, rng: random.Random) -> Calls:
    query = update.get("callback_query")
    message = (query or {}).get("message") or update.get("message") or update.get("edited_message")
    chat, msg = message["chat"]["id"], message["message_id"]
    if kind in ("text", "edited"):
        return _forward(t, chat, msg, message["text"], rng, spoken=False)
    if kind in ("command", "no_text"):
        return [(t + 0.01, _reply(chat, msg, "ok" if "/status" in str(message.get("text")) else None))]
    if kind == "callback":
        answer = {"up": "telegram", "route": "answerCallbackQuery", "status": 200, "ms": 2.0, "conn": 1,
                  "callback_query_id": query["id"]}  # fmt: skip
        if "[soak m" in query["data"]:
            return [(t + 0.01, answer), *_forward(t + 0.01, chat, msg, query["data"], rng, spoken=False)]
        return [(t + 0.01, answer), (t + 0.02, _reply(chat, 0, None))]
    file_id = next(message[k]["file_id"] for k in ("voice", "audio", "document") if k in message)
    by_file = [("telegram", "getFile"), ("telegram", "file"), ("elevenlabs", "speech_to_text")]
    calls: Calls = [(t + 0.01, _reply(chat, msg, "status"))]
    calls += [(t + 0.02 + 0.02 * i, {"up": up, "route": route, "status": 200, "ms": 5.0, "conn": 1, "file_id": file_id})
              for i, (up, route) in enumerate(by_file)]  # fmt: skip
    return calls + _forward(t + 0.1, chat, msg, f"list failing tests on main [soak f{file_id}]", rng, spoken=True)


def write_run(run_dir: Path, hours: float) -> int:
    """updates.jsonl and upstream-calls.jsonl of a run of this length; returns the call records written.

    Runs in a process of its own (see generate): the scenario's log takes its file from the
    environment when first imported, as in Locust."""
    from scenarios import payloads, update_log

    rng = random.Random(7)
    factories: dict[str, Callable[[int], dict[str, Any]]] = {
        "text": lambda chat: payloads.text_update(chat, "List failing tests on main"),
        "voice": lambda chat: payloads.voice_update(chat, rng, rng.choice(("voice", "audio", "document"))),
        "callback": lambda chat: payloads.callback_update(chat, rng.choice(("rerun nightly build", "/status", ""))),
        "command": lambda chat: payloads.command_update(chat, "/status"),
        "edited": lambda chat: payloads.edited_text_update(chat, "List failing tests on develop"),
        "no_text": payloads.no_text_update,
    }
    chats = [payloads.new_chat_id() for _ in range(40)]
    log = CorrelationLog(run_dir / "upstream-calls.jsonl", max_records=50_000_000)
    waiting: list[tuple[float, int, dict[str, Any]]] = []
    kinds, weights = list(MIX), list(MIX.values())
    for index in range(int(hours * 3600 * RATE_PER_S)):
        t = WALL0 + index / RATE_PER_S
        kind = rng.choices(kinds, weights)[0]
        update = factories[kind](chats[index % len(chats)])
        update_log.log_update(update, kind, t, 200, forwarded=payloads.forwards(kind, update))
        for end, record in _calls(kind, update, t, rng):
            heapq.heappush(waiting, (end, id(record), record))
        while waiting and waiting[0][0] < t - 1.0:  # the mocks write records as calls end
            end, _, record = heapq.heappop(waiting)
            log.add({"t": round(end, 3), **record})
    while waiting:
        end, _, record = heapq.heappop(waiting)
        log.add({"t": round(end, 3), **record})
    update_log.flush()
    log.flush()
    return log.written


_CHILD = """
import json, resource, sys, time
from pathlib import Path
run_dir, mode, end_s = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
start, cpu_start = time.perf_counter(), time.process_time()
if mode == "join":
    from harness.accounting.join import JoinSettings, account
    from harness.accounting.tally import Window
    result = account(run_dir, JoinSettings(1_767_000_000.0, Window(0.0, 60.0), 60.0, records_end_s=end_s))
    count = result.updates_total
else:
    from harness.accounting.records import CallRecord, UpdateRecord, read_typed
    count = sum(1 for _ in read_typed(run_dir / "updates.jsonl", UpdateRecord))
    count += sum(1 for _ in read_typed(run_dir / "upstream-calls.jsonl", CallRecord))
wall_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall_s": wall_s, "cpu_s": cpu_s, "rss_kib": rss_kib, "count": count}))
"""


def generate(run_dir: Path, hours: float) -> int:
    env = {**os.environ, "SOAK_UPDATES_FILE": str(run_dir / "updates.jsonl")}
    argv = [sys.executable, "-m", "benchmarks.accounting_join", "--write", str(run_dir), "--hours", str(hours)]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def measure(run_dir: Path, mode: str, end_s: float) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(run_dir), mode, str(end_s)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    figures: dict[str, float] = json.loads(out.stdout)
    return figures


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main(hours: float = 4.0) -> None:
    with tempfile.TemporaryDirectory(prefix="soak-bench-accounting-") as tmp:
        figures = {}
        for length_h in sorted({1.0, hours}):
            run_dir = Path(tmp) / f"{length_h:g}h"
            run_dir.mkdir()
            written = generate(run_dir, length_h)
            end_s = length_h * 3600 + 120
            joins = [measure(run_dir, "join", end_s) for _ in range(ROUNDS)]
            reads = [measure(run_dir, "read", end_s) for _ in range(ROUNDS)]
            figures[length_h] = (joins, reads, written)
        joins, reads, written = figures[hours]
        updates = int(joins[0]["count"])
        join_s, read_s = _median(joins, "wall_s"), _median(reads, "wall_s")
        print(f"accounting: {hours:g} h at {RATE_PER_S} updates/s = {updates:,} updates, {written:,} upstream records")
        cpu_s = _median(joins, "cpu_s")
        print(f"  join {join_s:.1f} s wall, {cpu_s:.1f} s CPU (median of {ROUNDS}; target < 30 s); read and decode "
              f"only {read_s:.1f} s: x{join_s / read_s:.2f}; {updates / join_s:,.0f} updates/s")  # fmt: skip
        print("  (the machine is shared: wall time rises with other work on it, CPU time much less)")
        for length_h, (runs, _, _) in sorted(figures.items()):
            print(f"  peak RSS of the join, {length_h:g} h run: {_median(runs, 'rss_kib') / 1024:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--write", type=Path, help="only write a synthetic run into this directory")
    args = parser.parse_args()
    if args.write is not None:
        print(write_run(args.write, args.hours))
    else:
        main(args.hours)
