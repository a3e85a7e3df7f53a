"""Where a run's heap snapshots live and how their files are named (read by the judge too)."""

SNAPSHOT_DIR = "heap-snapshots"
SNAPSHOT_SUFFIX = ".heapsnapshot"
SCRIPTS_SUFFIX = ".scripts.json"  # script id -> URL, so closures' locations name their files
