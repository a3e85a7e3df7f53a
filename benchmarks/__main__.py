"""Run every benchmark in turn and print its figures."""

from benchmarks import collector_tick, interception_modes, mocks_memory, mocks_throughput, node_gc_pause, self_soak

if __name__ == "__main__":
    collector_tick.main()
    node_gc_pause.main()
    mocks_throughput.main()
    mocks_memory.main()
    interception_modes.main()
    self_soak.main()
