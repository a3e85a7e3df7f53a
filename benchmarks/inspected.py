"""A Node script started with its inspector open, and a probe attached to it, for the benchmarks
that measure what an inspector call costs the target."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.collector.node_probe import NodeInspectorProbe
from harness.target import INSPECT_OPTION, inspector_url


@contextmanager
def inspected_node(script_js: str, cwd: Path | None = None) -> Iterator[NodeInspectorProbe]:
    """Run script_js (from cwd, so its require() finds that folder's modules) and yield a probe."""
    with tempfile.TemporaryDirectory() as tmp:
        script, log = Path(tmp) / "target.js", Path(tmp) / "target.log"
        script.write_text(script_js)
        with log.open("w") as stderr:
            node = subprocess.Popen(["node", INSPECT_OPTION, str(script)], stderr=stderr, cwd=cwd)
        try:
            url = None
            for _ in range(100):
                url = url or inspector_url(log)
                time.sleep(0.05)
            assert url is not None, "the target printed no inspector URL"
            probe = NodeInspectorProbe(url, timeout_s=30.0)
            try:
                yield probe
            finally:
                probe.close()
        finally:
            node.kill()
            node.wait()
