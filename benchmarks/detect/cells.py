"""The cells of the detection matrix: each leak kind of the reference bot at two rates or more,
each benign mode of the leak-benign-* profiles, and clean runs; and the short matrix for tests."""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
MINUTE_S = 60.0
CAP_S = 15 * MINUTE_S
MOONSHOT_CAP_S = 30 * MINUTE_S
CLEAN_RUNS = 10


# The checks on each leak's own resource (names or name prefixes).
EXPECTED_CHECKS = {
    "heap": ("heap_",),
    "external": ("external_",),
    "fd": ("fds_",),
    "redis": ("redis_clients_",),
    "tempfile": ("temp_file",),
    "timer": ("timers_", "handles_"),
    "listener": ("listener_", "metric.node.listeners"),
    "churn": ("connection_churn",),
    "socket": ("sockets_",),
}


class Group(StrEnum):
    LEAK = "leak"
    BENIGN = "benign"
    CLEAN = "clean"


@dataclass(frozen=True)
class Cell:
    """One run of the matrix: the bot's switches, what they leak and how fast, and the issue's target."""

    name: str
    group: Group
    kind: str  # the leak kind ("heap", "fd", ...), the benign mode, or "clean"
    leaks: str = ""  # the bot's LEAKS
    rate: str = ""  # the rate in words: "512 B/update"
    target_s: float | None = None  # detection within this much load (issue 18's targets)
    cap_s: float = CAP_S
    env: dict[str, str] = field(default_factory=dict)  # beside LEAKS (a benign mode's settings)

    @property
    def switches(self) -> tuple[str, ...]:
        return tuple(part.split(":")[0] for part in self.leaks.split(",") if part)

    @property
    def expected(self) -> tuple[str, ...]:
        """Prefixes of the names of the checks that judge this cell's leaks' resources."""
        if self.group is not Group.LEAK:
            return ()
        return tuple(prefix for switch in self.switches for prefix in EXPECTED_CHECKS.get(switch, ()))

    def found_by_its_check(self, failed: Iterable[str]) -> bool:
        """Whether every leak of the cell failed a check on its own resource."""
        return bool(self.expected) and not self.unfound(failed)

    def unfound(self, failed: Iterable[str]) -> list[str]:
        """The cell's switches that no failing check judges (all found: empty)."""
        failed = list(failed)
        return [s for s in self.switches if not any(n.startswith(EXPECTED_CHECKS.get(s, ())) for n in failed)]

    @property
    def bot_env(self) -> dict[str, str]:
        return {"LEAKS": self.leaks, **self.env}


def _leak(kind: str, switch: str, rate: str, target_min: float | None = None, cap_s: float = CAP_S) -> Cell:
    value = switch.split(":")[1]
    target_s = None if target_min is None else target_min * MINUTE_S
    return Cell(f"{kind}-{value}", Group.LEAK, kind, switch, rate, target_s, cap_s)


# Rates: the target rate for each kind (at 20 updates/s), and a higher one beside it.
LEAK_CELLS = (
    _leak("heap", "heap:512", "512 B/update", 10),
    _leak("heap", "heap:2048", "2 KiB/update", 10),
    _leak("heap", "heap:64", "64 B/update (moonshot)", 30, cap_s=MOONSHOT_CAP_S),
    _leak("external", "external:1024", "1 KiB/update", 10),
    _leak("external", "external:4096", "4 KiB/update", 10),
    _leak("fd", "fd:0.01", "1 fd per 100 updates", 5),
    _leak("fd", "fd:0.05", "1 fd per 20 updates", 5),
    _leak("redis", "redis:1", "1 client per update", 2),
    _leak("redis", "redis:0.1", "1 client per 10 updates"),
    _leak("tempfile", "tempfile:1", "every temp file", 2),
    _leak("tempfile", "tempfile:0.1", "1 temp file in 10"),
    _leak("timer", "timer:0.01", "1 interval per 100 updates", 10),
    _leak("timer", "timer:0.1", "1 interval per 10 updates", 10),
    _leak("listener", "listener:0.01", "1 listener per 100 updates", 10),
    _leak("listener", "listener:0.1", "1 listener per 10 updates", 10),
    _leak("churn", "churn:1", "a client per upstream request", 5),
    _leak("churn", "churn:0.2", "a client for 1 request in 5", 5),
    _leak("socket", "socket:0.01", "1 kept agent per 100 requests"),
    _leak("socket", "socket:0.1", "1 kept agent per 10 requests"),
)


def benign_cells() -> tuple[Cell, ...]:
    """Each leak-benign-* profile's switch and settings, as shipped."""
    cells = []
    for path in sorted(PROFILES.glob("leak-benign-*.toml")):
        env = dict(tomllib.loads(path.read_text(encoding="utf-8"))["target"]["env"])
        leaks = env.pop("LEAKS")
        mode = path.stem.removeprefix("leak-benign-")
        cells.append(Cell(f"benign-{mode}", Group.BENIGN, mode, leaks, leaks, env=env))
    return tuple(cells)


CLEAN_CELLS = tuple(Cell(f"clean-{n:02d}", Group.CLEAN, "clean") for n in range(1, CLEAN_RUNS + 1))


# The short matrix: high rates, a minute of load at most. Kinds side by side in one cell only when
# no kind's own check can fail from another's resource (Redis clients and new connections are
# sockets, fds: they run apart from the fd leak).
SHORT_CAP_S = 75.0  # 13 windows of 5 s after the warm-up: 8 needed, readings after GC are late on a busy machine
SHORT_CELLS = (
    Cell(
        "short-a",
        Group.LEAK,
        "heap+external+fd+tempfile+listener",
        "heap:16384,external:16384,fd:0.2,tempfile:1,listener:0.2",
        "16 KiB/update each; 1 fd, 1 listener per 5 updates; every temp file",
        cap_s=SHORT_CAP_S,
    ),
    Cell("short-b", Group.LEAK, "redis+churn+timer", "redis:0.5,churn:1,timer:0.2", "high", cap_s=SHORT_CAP_S),
    Cell("short-clean-1", Group.CLEAN, "clean", cap_s=SHORT_CAP_S),
    Cell("short-clean-2", Group.CLEAN, "clean", cap_s=SHORT_CAP_S),
)


def full_matrix() -> tuple[Cell, ...]:
    """In the order they run, most telling first, so a matrix stopped part-way has the most said:
    each kind with a target at its target rate, the clean runs, the benign modes, the other rates,
    the moonshot."""
    firsts = [
        cell
        for n, cell in enumerate(LEAK_CELLS)
        if cell.target_s is not None and cell.kind not in {c.kind for c in LEAK_CELLS[:n]}
    ]
    seconds = [cell for cell in LEAK_CELLS if cell not in firsts and cell.cap_s <= CAP_S]
    moonshots = [cell for cell in LEAK_CELLS if cell.cap_s > CAP_S]
    return (*firsts, *CLEAN_CELLS, *benign_cells(), *seconds, *moonshots)


def pick(cells: tuple[Cell, ...], patterns: str | None) -> tuple[Cell, ...]:
    """Cells whose name matches any of the comma-separated glob patterns ("heap-*,clean-0[12]"), in
    the order of the patterns (a cell once)."""
    if not patterns:
        return cells
    wanted = [pattern.strip() for pattern in patterns.split(",") if pattern.strip()]
    by_name = {cell.name: cell for p in wanted for cell in cells if fnmatch.fnmatchcase(cell.name, p)}
    chosen = tuple(by_name.values())
    unknown = [p for p in wanted if not any(fnmatch.fnmatchcase(cell.name, p) for cell in cells)]
    if unknown:
        raise ValueError(f"no cell matches {', '.join(unknown)}; cells: {', '.join(c.name for c in cells)}")
    return chosen
