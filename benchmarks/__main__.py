"""Run every benchmark in turn and print its figures."""

from benchmarks import (
    collector_tick,
    interception_modes,
    mocks_memory,
    mocks_throughput,
    node_gc_pause,
    report_scale,
    self_soak,
)

if __name__ == "__main__":
    collector_tick.main()
    node_gc_pause.main()
    mocks_throughput.main()
    mocks_memory.main()
    interception_modes.main()
    self_soak.main()
    report_scale.main([])  # 24 h; the 7-day figure: python -m benchmarks.report_scale --days 7
