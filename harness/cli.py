"""The `soak` command line: each command parses, calls one library function, maps to an exit code.

Exit codes: 0 pass, 1 a threshold failed, 2 usage or harness error, 3 inconclusive, 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Load-and-soak runs that find leaks.")

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"soak: error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def run(
    profile: Annotated[Path, typer.Argument(help="profile TOML, e.g. profiles/smoke.toml")],
    duration: Annotated[str | None, typer.Option(help="override the load duration, e.g. '90 s'")] = None,
    results: Annotated[Path | None, typer.Option(help="directory for run outputs")] = None,
) -> None:
    """Run a profile end to end and judge it."""
    from harness.config import ConfigError, load_profile
    from harness.procs import HarnessError
    from harness.report.judge import EXIT_CODES, describe
    from harness.runner import Interrupted, run_profile

    overrides: dict[str, dict[str, object]] = {"run": {}}
    if duration is not None:
        overrides["run"]["duration"] = duration
    if results is not None:
        overrides["run"]["results_dir"] = str(results)
    try:
        spec = load_profile(profile, overrides)
        outcome = run_profile(spec, profile)
    except ConfigError as exc:
        _fail(str(exc))
    except HarnessError as exc:
        _fail(f"{exc} (what was recorded is kept; `soak report RUN_DIR` judges it)")
    except (Interrupted, KeyboardInterrupt):
        _fail("interrupted; every started process was stopped", EXIT_INTERRUPTED)
    typer.echo(f"results: {outcome.run_dir}")
    typer.echo(f"verdict: {outcome.verdict.status.value.upper()}")
    for line in describe(outcome.verdict):
        typer.echo(line)
    raise typer.Exit(EXIT_CODES[outcome.verdict.status])


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="a results/<run> directory")]) -> None:
    """Recompute the verdict of a stored run (also one that was killed)."""
    from harness.report.judge import EXIT_CODES, ReportError, describe, judge_run

    try:
        verdict = judge_run(run_dir)
    except ReportError as exc:
        _fail(str(exc))
    typer.echo(f"verdict: {verdict.status.value.upper()}")
    for line in describe(verdict):
        typer.echo(line)
    raise typer.Exit(EXIT_CODES[verdict.status])


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="the baseline run directory")],
    run_b: Annotated[Path, typer.Argument(help="the run to compare with it")],
) -> None:
    """Two runs side by side; exit 1 when a check is worse in B than in A."""
    from harness.report.compare import CompareError, compare_runs, format_table

    try:
        rows = compare_runs(run_a, run_b)
    except CompareError as exc:
        _fail(str(exc))
    for line in format_table(rows, run_a, run_b):
        typer.echo(line)
    raise typer.Exit(1 if any(row.regressed for row in rows) else 0)


def main() -> None:
    app()
