"""The self-soak's account of the mocks' RSS: what follows open connections is told from growth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.self_soak_mocks import UPSTREAMS, fit, mocks_rss, open_connections

MIB = 2**20
START = 1_800_000_000.0


def _open_at(minute: int) -> int:
    # Quiet early, busy late: a curve in time for a fit that ignores the connections.
    return 240 if minute >= 20 or minute in (3, 4, 5) else 40


def _write_run(run_dir: Path, growth_mib_per_h: float) -> None:
    rss_rows, mocks_lines = ["part,t_s,time,rss_bytes"], []
    for second in range(0, 30 * 60, 5):
        minute, when = second // 60, START + second
        rss = 60 * MIB + _open_at(minute) * 33 * 1024 + growth_mib_per_h * MIB * second / 3600
        rss_rows += [f"mocks,{second:.1f},{when:.1f},{rss:.0f}", f"locust,{second:.1f},{when:.1f},{MIB}"]
        counts = dict.fromkeys(UPSTREAMS, 0) | {"telegram": _open_at(minute)}
        mocks_lines.append(json.dumps({"t_s": second, "time": when} | {
            name: {"connections": {"open": n}} for name, n in counts.items()
        }))  # fmt: skip
    (run_dir / "self-soak-rss.csv").write_text("\n".join(rss_rows) + "\n", encoding="utf-8")
    (run_dir / "mocks.jsonl").write_text("\n".join(mocks_lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("growth_mib_per_h", [0.0, 5.0])
def test_the_slope_beside_open_connections_is_the_growth_alone(tmp_path: Path, growth_mib_per_h: float) -> None:
    _write_run(tmp_path, growth_mib_per_h)
    figures = fit(mocks_rss(tmp_path / "self-soak-rss.csv"), open_connections(tmp_path / "mocks.jsonl"), 600.0)
    assert figures is not None
    assert figures["slope_mib_per_h"] > growth_mib_per_h + 10  # the connections alone look like a leak
    assert figures["slope_beside_connections_mib_per_h"] == pytest.approx(growth_mib_per_h, abs=0.2)
    assert figures["kib_per_open_connection"] == pytest.approx(33, abs=1)
    assert figures["minutes"] == 20


def test_too_few_minutes_give_no_figure(tmp_path: Path) -> None:
    _write_run(tmp_path, 0.0)
    assert fit(mocks_rss(tmp_path / "self-soak-rss.csv"), open_connections(tmp_path / "mocks.jsonl"), 27 * 60) is None
