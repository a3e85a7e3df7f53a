"""Run every benchmark in turn and print its figures."""

from benchmarks import collector_tick

if __name__ == "__main__":
    collector_tick.main()
