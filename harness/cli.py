"""The `soak` command line: each command parses, calls one library function, maps to an exit code.

Exit codes: 0 pass, 1 a threshold failed, 2 usage or harness error, 3 inconclusive, 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Load-and-soak runs that find leaks.",
)

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
    from harness.runner import RunInterrupted, run_profile

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
    except RunInterrupted as exc:
        typer.echo(f"results: {exc.run_dir}")
        if exc.verdict is not None:
            typer.echo(f"verdict on what was recorded: {exc.verdict.status.value.upper()}")
            for line in describe(exc.verdict):
                typer.echo(line)
        _fail("interrupted; every started process was stopped", EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    typer.echo(f"results: {outcome.run_dir}")
    typer.echo(f"verdict: {outcome.verdict.status.value.upper()}")
    for line in describe(outcome.verdict):
        typer.echo(line)
    raise typer.Exit(EXIT_CODES[outcome.verdict.status])


@app.command()
def collect(
    pid: Annotated[int, typer.Option(help="pid of the running service to record")],
    out: Annotated[Path, typer.Option(help="directory for samples.db, run.json and events")],
    duration: Annotated[str | None, typer.Option(help="stop after this long, e.g. '10 min'")] = None,
    interval: Annotated[str, typer.Option(help="sampling interval")] = "1 s",
    inspector_url: Annotated[str | None, typer.Option(help="ws:// URL of the target's Node inspector")] = None,
) -> None:
    """Attach to a service that is already running and record only (until Ctrl-C or --duration)."""
    from harness.collector.attach import CollectError, CollectRequest
    from harness.collector.attach import collect as run_collect
    from shared.units import UnitError, parse_duration_s

    try:
        duration_s = None if duration is None else parse_duration_s(duration)
        request = CollectRequest(pid, out, duration_s, parse_duration_s(interval), inspector_url)
        ticks = run_collect(request)
    except UnitError as exc:
        _fail(str(exc))
    except CollectError as exc:
        _fail(str(exc))
    typer.echo(f"recorded {ticks} ticks in {out}")


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
    calls_tolerance: Annotated[
        float, typer.Option(min=0, help="allowed rise of calls (or jobs) per update in B, as a share: 0.2 = +20%")
    ] = 0.2,
) -> None:
    """Two runs side by side; exit 1 when a check is worse in B than in A, or B does more work per update."""
    from harness.report.compare import CompareError, compare_runs, format_table

    try:
        rows = compare_runs(run_a, run_b, calls_tolerance)
    except CompareError as exc:
        _fail(str(exc))
    for line in format_table(rows, run_a, run_b):
        typer.echo(line)
    raise typer.Exit(1 if any(row.regressed for row in rows) else 0)


mocks_app = typer.Typer(no_args_is_help=True, help="The mock upstreams on their own.")
app.add_typer(mocks_app, name="mocks")


@mocks_app.command("serve")
def mocks_serve(
    config: Annotated[Path | None, typer.Option(help="MocksConfig as JSON (or TOML): faults, sizes, modes")] = None,
) -> None:
    """Run the Telegram, ElevenLabs and cursor-runner mocks on 127.0.0.1 and print their URLs."""
    from mocks.__main__ import MocksConfigError, load_config, serve_forever

    try:
        loaded = load_config(config)
    except MocksConfigError as exc:
        _fail(str(exc))
    serve_forever(loaded)


def main() -> None:
    """Entry point: a bug in soak is one line too, with the traceback one variable away."""
    import os

    if os.environ.get("SOAK_DEBUG"):
        app()
        return
    try:
        app(standalone_mode=True)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        typer.echo(f"soak: internal error: {type(exc).__name__}: {exc} (SOAK_DEBUG=1 shows the traceback)", err=True)
        raise SystemExit(EXIT_USAGE) from None
