"""A probe's CPU budget paces it by what its recent runs cost: a sustained cost spaces it out, one
costly run alone does not (the Node probe once lost 35 s of heap readings to a single 71 ms sample)."""

from __future__ import annotations

from harness.collector.budget import Governor

SHARE = 0.002  # the collector's default probe_cpu_share


def test_one_costly_run_among_cheap_ones_does_not_set_the_pace() -> None:
    governor = Governor(every_s=1.0, cpu_share=SHARE)
    periods_s = [governor.spent(cost_s, started=float(n)) for n, cost_s in enumerate([0.0002] * 10 + [0.071])]
    assert periods_s[-1] == 1.0
    assert not governor.due(now=10.5) and governor.due(now=11.0)


def test_a_sustained_cost_spaces_the_runs_out_from_its_second_costly_run() -> None:
    governor = Governor(every_s=1.0, cpu_share=SHARE)
    for n in range(5):
        governor.spent(0.0002, started=float(n))
    assert governor.spent(0.07, started=5.0) == 1.0
    assert governor.spent(0.07, started=6.0) == 1.0  # two of five: the low median is still cheap
    assert governor.spent(0.07, started=7.0) == 0.07 / SHARE  # three of five: 35 s apart


def test_a_probe_costly_from_the_start_is_spaced_out_at_once() -> None:
    governor = Governor(every_s=1.0, cpu_share=SHARE)
    assert governor.spent(0.07, started=0.0) == 0.07 / SHARE
