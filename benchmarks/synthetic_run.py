"""A synthetic long run directory, recorded with soak's own writer, for timing `soak report` on it.

The metrics are a real run's (run_catalogue.json: names, units, cadence, level and spread, taken
from a smoke run of the reference bot by `python -m benchmarks.report_scale --catalogue-from RUN_DIR`);
the phases, Locust files and run.json are what the runner writes, on the `soak` profile's thresholds.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.collector.store import Metric, SampleReader, SampleWriter
from harness.config import load_profile
from harness.rundir import EVENTS, RUN_JSON, SAMPLES, write_json

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = Path(__file__).with_name("run_catalogue.json")
PROFILE = ROOT / "profiles" / "soak.toml"
BLOCK_TICKS = 4096  # values are drawn a block at a time; the writer still gets one tick at a time
UPDATES_PER_S = 10.0  # the soak profile's 20 users at 0.5 updates/s


@dataclass(frozen=True)
class Recorded:
    """One metric as a real run recorded it."""

    metric: Metric
    every_s: float  # its probe's cadence
    level: float  # median value
    spread: float  # standard deviation of its values
    rate_per_s: float  # > 0 for a counter: it rises by this much per second
    present: tuple[float, float]  # the share of the run it was recorded in (Locust's only during load)


def catalogue_of(run_dir: Path) -> list[dict[str, object]]:
    """The catalogue of a real run, as written to run_catalogue.json."""
    reader = SampleReader(run_dir / SAMPLES)
    series = reader.all_series()
    t_all = np.concatenate([s.t_s for s in series.values() if s.t_s.size])
    start_s, length_s = float(t_all.min()), float(np.ptp(t_all)) or 1.0
    entries = []
    for name, s in sorted(series.items()):
        if s.values.size == 0:
            continue
        gaps = np.diff(s.t_s)
        rise = float(s.values[-1] - s.values[0])
        counter = bool(np.all(np.diff(s.values) >= 0)) and rise > 0
        present = [round((float(t) - start_s) / length_s, 2) for t in (s.t_s[0], s.t_s[-1])]
        entries.append(
            {
                "name": name,
                "unit": s.metric.unit,
                "source": s.metric.source,
                "every_s": round(float(np.median(gaps)), 1) if gaps.size else 60.0,
                "level": float(np.median(s.values)),
                "spread": 0.0 if counter else float(s.values.std()),
                "rate_per_s": rise / float(np.ptp(s.t_s)) if counter else 0.0,
                "present": present,
            }
        )
    return entries


def load_catalogue() -> list[Recorded]:
    entries = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return [
        Recorded(Metric(e["name"], e["unit"], e["source"]), e["every_s"], e["level"], e["spread"], e["rate_per_s"],
                 (e["present"][0], e["present"][1]))
        for e in entries
    ]  # fmt: skip


@dataclass(frozen=True)
class Timeline:
    """The phases of the synthetic run, in seconds since its start."""

    duration_s: float
    baseline_s: float = 30.0
    cooldown_s: float = 180.0

    @property
    def load_start_s(self) -> float:
        return 1.0 + self.baseline_s

    @property
    def end_s(self) -> float:
        return self.load_start_s + self.duration_s + self.cooldown_s


def _blocks(catalogue: list[Recorded], tick_count: int, dense: bool) -> Iterator[list[dict[Metric, float]]]:
    """Each tick's values, a block of ticks at a time; dense: every metric at every tick."""
    rng = np.random.default_rng(7)
    for first in range(0, tick_count, BLOCK_TICKS):
        ticks = np.arange(first, min(tick_count, first + BLOCK_TICKS))
        block: list[dict[Metric, float]] = [{} for _ in ticks]
        for entry in catalogue:
            every = 1 if dense else max(1, round(entry.every_s))
            low, high = (0.0, 1.0) if dense else entry.present
            due = ticks[(ticks % every == 0) & (ticks >= low * tick_count) & (ticks <= high * tick_count)]
            if entry.rate_per_s > 0:
                values = entry.level + entry.rate_per_s * due
            else:
                values = entry.level + entry.spread * rng.standard_normal(due.size)
                if entry.metric.unit in {"count", "bool"}:
                    values = np.maximum(0.0, np.round(values))
            for tick, value in zip((due - first).tolist(), values.tolist(), strict=True):
                block[tick][entry.metric] = value
        yield block


def recorded(timeline: Timeline, dense: bool) -> Iterator[tuple[float, float, dict[Metric, float]]]:
    """Each tick as the collector hands it to the writer: (t_s, lateness_s, values)."""
    tick_count = int(timeline.end_s)
    jitter = np.random.default_rng(3).uniform(0.0, 0.004, tick_count).tolist()
    blocks = _blocks(load_catalogue(), tick_count, dense)
    for block_start, block in zip(range(0, tick_count, BLOCK_TICKS), blocks, strict=True):
        for offset, values in enumerate(block):
            tick = block_start + offset
            yield 1.0 + tick + jitter[tick], jitter[tick], values


def write_store(path: Path, timeline: Timeline, dense: bool) -> list[float]:
    """Records the run with SampleWriter; returns each write_tick's cost in seconds."""
    writer = SampleWriter(path)
    costs: list[float] = []
    for t_s, lateness_s, values in recorded(timeline, dense):
        started = time.perf_counter()
        writer.write_tick(t_s, lateness_s, values)
        costs.append(time.perf_counter() - started)
    writer.close()
    return costs


def _events(run_dir: Path, timeline: Timeline, wall_start: float) -> None:
    phases = [("redis", 0.0), ("mocks", 0.1), ("target", 0.5), ("baseline", 1.0), ("load", timeline.load_start_s),
              ("cooldown", timeline.load_start_s + timeline.duration_s), ("stop", timeline.end_s)]  # fmt: skip
    lines = [{"event": "phase", "t_s": t_s, "time": wall_start + t_s, "phase": phase} for phase, t_s in phases]
    lines.insert(3, {"event": "preload_active", "t_s": 0.6, "time": wall_start + 0.6, "pid": 1, "mapped": []})
    (run_dir / EVENTS).write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def _locust(run_dir: Path, timeline: Timeline, wall_start: float) -> None:
    """Locust's stats and per-second history (one webhook row and the Aggregated row per second)."""
    folder = run_dir / "locust"
    folder.mkdir()
    percentiles = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]
    header = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", *percentiles,
              "Total Request Count", "Total Failure Count", "Total Median Response Time",
              "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
              "Total Average Content Size"]  # fmt: skip
    with (folder / "locust_stats_history.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        for second in range(int(timeline.duration_s)):
            total = int(second * UPDATES_PER_S)
            stamp = int(wall_start + timeline.load_start_s + second)
            for kind, name in (("POST", "/telegram/webhook"), ("", "Aggregated")):
                out.writerow([stamp, 20, kind, name, UPDATES_PER_S, 0.0, *([8] * 11), total, 0, 7, 7.9, 2.0, 42.0, 2.0])
    total = int(timeline.duration_s * UPDATES_PER_S)
    stats = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
             "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s"]  # fmt: skip
    stats += percentiles
    with (folder / "locust_stats.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(stats)
        for kind, name in (("POST", "/telegram/webhook"), ("", "Aggregated")):
            out.writerow([kind, name, total, 0, 7, 7.9, 2.0, 42.0, 2.0, UPDATES_PER_S, 0.0, *([8] * 11)])


def build_run(run_dir: Path, duration_s: float, dense: bool = False) -> list[float]:
    """A complete run directory `soak report` judges; returns the writer's per-tick costs."""
    timeline = Timeline(duration_s)
    run_dir.mkdir(parents=True)
    # The catalogue was recorded with the text scenario (no voice updates, so no ElevenLabs calls).
    overrides = {
        "run": {"duration": f"{duration_s} s", "results_dir": str(run_dir.parent)},
        "load": {"scenario": "text"},
    }
    spec = load_profile(PROFILE, overrides)
    wall_start = time.time() - timeline.end_s
    info = {"spec": spec.model_dump(by_alias=True, mode="json"), "profile": str(PROFILE), "outcome": "completed",
            "started_at": wall_start, "ended_at": wall_start + timeline.end_s}  # fmt: skip
    write_json(run_dir / RUN_JSON, info)
    _events(run_dir, timeline, wall_start)
    _locust(run_dir, timeline, wall_start)
    (run_dir / "target.log").write_text("", encoding="utf-8")
    return write_store(run_dir / SAMPLES, timeline, dense)
