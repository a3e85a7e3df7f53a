"""What the live view costs a run: the collector's tick with the feed against without (same store,
same 120 metrics, measured in the same run), and one refresh of the view (new ticks, events, the
tail of a 24-hour Locust history, the block rendered) against the 1 s it is given.

Medians of ROUNDS rounds; the machine is shared, read the figures as orders of magnitude.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from harness.collector.store import Metric, SampleWriter
from harness.config import parse_profile
from harness.live.feed import FeedingWriter, TickFeed
from harness.live.render import rich_block
from harness.live.view import LiveOptions, LiveView, ViewMode

ROUNDS = 5
TICKS = 300
METRICS = [Metric(f"bench.metric_{index}", "bytes", "process") for index in range(120)]
HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
    "Total Min Response Time,Total Max Response Time,Total Average Content Size\n"
)


def _tick_s(writer: SampleWriter) -> float:
    """Median seconds of one write_tick of 120 values."""
    times = []
    for tick in range(TICKS):
        values = {metric: float(tick + index) for index, metric in enumerate(METRICS)}
        start = time.perf_counter()
        writer.write_tick(float(tick), 0.0, values)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _history(path: Path, seconds: int) -> None:
    """A Locust history as long as a day at 1 row per second per name (two names and the aggregate)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        handle.write(HISTORY_HEADER)
        for second in range(seconds):
            for name in ("POST,/telegram/webhook", "POST,/telegram/webhook?bad", ",Aggregated"):
                handle.write(f"{1795994320 + second},10,{name},20.0,0.0,10,11,12,13,14,15,16,17,18,19,20,")
                handle.write(f"{second * 20},0,10,11.0,1,20,2.0\n")


def _refresh_s(root: Path) -> float:
    spec = parse_profile({"target": {"command": ["node"], "cwd": "/"}, "thresholds": {"rss_max": "1 GiB"}})
    run_dir = root / "run"
    _history(run_dir / "locust" / "locust_stats_history.csv", 86_400)
    (run_dir / "events.jsonl").write_text('{"event": "phase", "phase": "load", "t_s": 1.0}\n')
    view = LiveView(spec, run_dir, time.monotonic(), LiveOptions(ViewMode.OFF), io.StringIO())
    console = Console(file=io.StringIO(), width=120, force_terminal=True)
    times = []
    for tick in range(30):
        view.feed.push(float(tick), {metric: float(tick) for metric in METRICS})
        start = time.perf_counter()
        view._load_read_at = float("-inf")  # the Locust tail on every refresh: the worst case
        console.print(rich_block(view.update()))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    plain, fed, refresh = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for round_index in range(ROUNDS):
            without = SampleWriter(root / f"plain-{round_index}.db")
            plain.append(_tick_s(without))
            without.close()
            writer = FeedingWriter(root / f"fed-{round_index}.db", TickFeed())
            fed.append(_tick_s(writer))
            writer.close()
        refresh.append(_refresh_s(root))
    base, with_feed = statistics.median(plain), statistics.median(fed)
    print("live view")
    print(f"  write_tick, 120 metrics: {base * 1e6:.0f} us without the feed, {with_feed * 1e6:.0f} us with it "
          f"(x{with_feed / base:.2f})")  # fmt: skip
    print(f"  one refresh (ticks, events, 24 h Locust history tail, block rendered): {refresh[0] * 1e3:.2f} ms "
          f"of the 1000 ms between refreshes")  # fmt: skip


if __name__ == "__main__":
    main()
