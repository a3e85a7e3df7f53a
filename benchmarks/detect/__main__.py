"""`make bench-detect`: run the detection matrix (or the cells asked for), resuming where the
results file says it stopped, then print the table and write it into benchmarks/README.md.

    python -m benchmarks.detect [--cells "heap-*,clean-0[12]"] [--cap "5 min"] [--parallel 2]
                                [--rerun] [--table-only]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.detect.cells import Cell, full_matrix, pick
from benchmarks.detect.outcome import checkpoints_s
from benchmarks.detect.profile import FULL, ROOT
from benchmarks.detect.results import RESULTS_FILE, ResultsFile
from benchmarks.detect.runner import judge_record, run_cell
from benchmarks.detect.table import render, replace_section
from shared.units import UnitError, parse_duration_s

README = ROOT / "benchmarks" / "README.md"
RUNS_DIR = ROOT / "results" / "detect"
MAX_PARALLEL = 2  # a run at 20 updates/s is the bot, the mocks, Locust and the collector


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.detect", description=__doc__.splitlines()[0])
    parser.add_argument("--cells", help="comma-separated cell names or glob patterns (default: all)")
    parser.add_argument("--cap", help="load per cell at most, e.g. '5 min' (default: 15 min, 30 for the moonshot)")
    parser.add_argument("--parallel", type=int, default=1, help=f"cells at once, 1-{MAX_PARALLEL}")
    parser.add_argument("--rerun", action="store_true", help="run cells again even when the results have them")
    parser.add_argument("--table-only", action="store_true", help="only print and write the table")
    parser.add_argument(
        "--rejudge", action="store_true", help="judge the recorded runs again (after a check changed), run nothing"
    )
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help="results file (JSON, one record per cell)")
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help="where the cells' run directories go")
    return parser.parse_args(argv)


def _run(cells: tuple[Cell, ...], args: argparse.Namespace, store: ResultsFile, cap_s: float | None) -> None:
    done = store.read()
    todo = [cell for cell in cells if args.rerun or cell.name not in done]
    print(f"detect: {len(todo)} cells to run, {len(cells) - len(todo)} already in {store.path}", flush=True)

    def one(cell: Cell) -> None:
        print(f"detect: {cell.name} ({cell.leaks or 'no switch'}) started", flush=True)
        try:
            outcome = run_cell(cell, FULL, args.runs_dir, cap_s)
        except Exception as exc:  # noqa: BLE001 - one cell's trouble must not end the matrix
            print(
                f"detect: {cell.name} not recorded ({type(exc).__name__}: {exc}); it runs again next time", flush=True
            )
            return
        store.save(outcome)
        first = outcome.first_failure()
        said = outcome.error or (f"failed {', '.join(first.failed)}" if first else "no check failed")
        print(f"detect: {cell.name} done: {said}", flush=True)

    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        for future in [pool.submit(one, cell) for cell in todo]:
            future.result()


def _rejudge(cells: tuple[Cell, ...], store: ResultsFile, cap_s: float | None) -> None:
    done = store.read()
    for cell in cells:
        outcome = done.get(cell.name)
        if outcome is None or not outcome.run_dir:
            continue
        if not Path(outcome.run_dir).is_dir():
            print(f"detect: {cell.name} kept as judged: its run {outcome.run_dir} is not on this machine", flush=True)
            continue
        checkpoints = checkpoints_s(cap_s if cap_s is not None else cell.cap_s, FULL.checkpoint_every_s)
        store.save(judge_record(outcome, checkpoints, ran_to_its_end=outcome.final is not None))
        print(f"detect: {cell.name} judged again", flush=True)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    try:
        cells = pick(full_matrix(), args.cells)
        cap_s = None if args.cap is None else parse_duration_s(args.cap)
        if not 1 <= args.parallel <= MAX_PARALLEL:
            raise ValueError(f"--parallel must be 1 to {MAX_PARALLEL}")
        store = ResultsFile(args.results)
        if args.rejudge:
            _rejudge(cells, store, cap_s)
        elif not args.table_only:
            _run(cells, args, store, cap_s)
        outcomes = store.read()
    except (ValueError, UnitError) as exc:
        print(f"detect: error: {exc}", file=sys.stderr)
        return 2
    table = render(full_matrix(), outcomes)
    print(table)
    README.write_text(replace_section(README.read_text(encoding="utf-8") if README.exists() else "", table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
