"""Where a run's heap snapshots live and how their events are named (read by the judge too)."""

SNAPSHOT_DIR = "heap-snapshots"
SNAPSHOT_SUFFIX = ".heapsnapshot"
SCRIPTS_SUFFIX = ".scripts.json"  # script id -> URL, so closures' locations name their files
SNAPSHOT_EVENT = "heap_snapshot"
SNAPSHOT_FAILED_EVENT = "heap_snapshot_failed"
