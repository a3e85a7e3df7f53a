"""Run every benchmark in turn and print its figures."""

from benchmarks import collector_tick, interception_modes, mocks_memory, mocks_throughput, mocks_tls_bursts, self_soak

if __name__ == "__main__":
    collector_tick.main()
    mocks_throughput.main()
    mocks_memory.main()
    mocks_tls_bursts.main()
    interception_modes.main()
    self_soak.main()
