"""The `soak` command line: each command parses, calls one library function, maps to an exit code.

Exit codes: 0 pass, 1 a threshold failed, 2 usage or harness error, 3 inconclusive, 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from harness.analysis.model import Verdict

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
    from harness.runner import RunFailed, RunInterrupted, run_profile

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
    except RunFailed as exc:
        _echo_partial(exc.run_dir, exc.verdict)
        _fail(str(exc))
    except HarnessError as exc:
        _fail(str(exc))
    except RunInterrupted as exc:
        _echo_partial(exc.run_dir, exc.verdict)
        _fail("interrupted; every started process was stopped", EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    typer.echo(f"results: {outcome.run_dir}")
    typer.echo(f"verdict: {outcome.verdict.status.value.upper()}")
    for line in describe(outcome.verdict):
        typer.echo(line)
    raise typer.Exit(EXIT_CODES[outcome.verdict.status])


def _echo_partial(run_dir: Path, verdict: Verdict | None) -> None:
    """Where a run that stopped early left its record, and the verdict on it (written there too)."""
    from harness.report.judge import describe

    if verdict is None:
        typer.echo(f"results: {run_dir} (it stopped before the first sample: nothing to judge)")
        return
    typer.echo(f"results: {run_dir}")
    typer.echo(f"verdict on what was recorded (partial): {verdict.status.value.upper()}")
    for line in describe(verdict):
        typer.echo(line)


@app.command()
def collect(
    *,
    pid: Annotated[int, typer.Option(help="pid of the running service to record")],
    out: Annotated[Path, typer.Option(help="directory for samples.db, run.json and events")],
    duration: Annotated[str | None, typer.Option(help="stop after this long, e.g. '10 min'")] = None,
    interval: Annotated[str | None, typer.Option(help="sampling interval, at least 50 ms (default 1 s)")] = None,
    inspector_url: Annotated[str | None, typer.Option(help="ws:// URL of the target's Node inspector")] = None,
    profile: Annotated[Path | None, typer.Option(help="judge with this profile's thresholds and collector")] = None,
) -> None:
    """Attach to a service that is already running and record (until Ctrl-C or --duration).

    With --profile the record is judged at the end; without, `soak report OUT` judges it
    against default resource limits: RSS, heap after GC, fds, sockets, threads.
    """
    from harness.collector.attach import CollectError, CollectRequest
    from harness.collector.attach import collect as run_collect
    from harness.config import ConfigError, load_profile
    from harness.prestart import check_output_dir
    from shared.units import UnitError, parse_duration_s

    try:
        check_output_dir(out, "--out")
        # The profile's own [target] does not apply: the target is the process attached to.
        spec = None if profile is None else load_profile(profile, {"target": {"command": [f"pid {pid}"]}})
        duration_s = None if duration is None else parse_duration_s(duration)
        interval_s = parse_duration_s(interval) if interval is not None else spec.run.interval_s if spec else 1.0
        request = CollectRequest(pid, out, duration_s, interval_s, inspector_url, spec, profile)
        ticks = run_collect(request, spec.collector if spec else None)
    except (UnitError, ConfigError, CollectError) as exc:
        _fail(str(exc))
    typer.echo(f"recorded {ticks} ticks in {out}")
    if spec is None:
        typer.echo(f"`soak report {out}` judges them against default resource limits")
        return
    _judge_and_exit(out)


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="a results/<run> directory")]) -> None:
    """Recompute the verdict of a stored run (also one that was killed)."""
    _judge_and_exit(run_dir)


def _judge_and_exit(run_dir: Path) -> NoReturn:
    from harness.report.judge import EXIT_CODES, ReportError, describe, judge_run

    try:
        verdict = judge_run(run_dir)
    except ReportError as exc:
        _fail(str(exc))
    except OSError as exc:  # a run directory we may read but not write (a CI artifact)
        _fail(f"cannot write the report into {run_dir}: {exc.strerror or exc}")
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
