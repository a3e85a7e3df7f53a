"""One cell's run, in its own process as `soak run` would do it: soak.toml with the cell's
overrides (a JSON argument), run and judged; SIGINT stops it and judges what was recorded."""

from __future__ import annotations

import json
import sys

from benchmarks.detect.profile import SOAK_PROFILE
from harness.config import ConfigError, load_profile
from harness.procs import HarnessError
from harness.runner import RunFailed, RunInterrupted, run_profile

EXIT_INTERRUPTED = 130


def main(argv: list[str]) -> int:
    try:
        spec = load_profile(SOAK_PROFILE, json.loads(argv[0]))
        outcome = run_profile(spec, SOAK_PROFILE)
    except ConfigError as exc:
        print(f"detect cell: {exc}", file=sys.stderr)
        return 2
    except RunInterrupted as exc:
        print(f"results: {exc.run_dir}", flush=True)
        return EXIT_INTERRUPTED
    except RunFailed as exc:
        print(f"results: {exc.run_dir}\ndetect cell: {exc}", flush=True)
        return 2
    except HarnessError as exc:
        print(f"detect cell: {exc}", file=sys.stderr)
        return 2
    print(f"results: {outcome.run_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
