"""Run every benchmark in turn and print its figures."""

from benchmarks import (
    accounting_join,
    census_pause,
    collector_tick,
    heap_snapshot,
    interception_modes,
    live_view,
    load_locust,
    mocks_memory,
    mocks_throughput,
    mocks_tls_bursts,
    node_gc_pause,
    redis_clients,
    report_render,
    report_scale,
    self_soak,
)

if __name__ == "__main__":
    collector_tick.main()
    redis_clients.main()
    live_view.main()
    node_gc_pause.main()
    census_pause.main()
    mocks_throughput.main()
    mocks_memory.main()
    mocks_tls_bursts.main()
    interception_modes.main()
    report_render.main()
    load_locust.main()
    self_soak.main()
    heap_snapshot.main()
    accounting_join.main()
    report_scale.main([])  # 24 h; the 7-day figure: python -m benchmarks.report_scale --days 7
