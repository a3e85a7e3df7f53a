"""The `soak` command line: each command parses, calls one library function, maps to an exit code.

Exit codes: 0 pass, 1 a threshold failed, 2 usage or harness error, 3 inconclusive, 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from harness.analysis.model import Verdict
    from harness.live.view import LiveOptions

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


JsonFlag = Annotated[bool, typer.Option("--json", help="print the verdict document on stdout; human text on stderr")]


def _say(line: str, as_json: bool) -> None:
    """Human text: on stdout, or on stderr when stdout carries JSON."""
    typer.echo(line, err=as_json)


@app.command()
def run(
    profile: Annotated[Path, typer.Argument(help="profile TOML, e.g. profiles/smoke.toml")],
    *,
    duration: Annotated[str | None, typer.Option(help="override the load duration, e.g. '90 s'")] = None,
    results: Annotated[Path | None, typer.Option(help="directory for run outputs")] = None,
    workers: Annotated[
        int | None, typer.Option(min=0, max=64, help="Locust master plus N local worker processes (0: one process)")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="any profile key, e.g. load.users=50 or target.env.MODE=fast (repeatable; checked like the file)",
        ),
    ] = None,
    as_json: JsonFlag = False,
    view: Annotated[
        str, typer.Option(help="live view: auto (a block on a terminal, lines otherwise), rich, plain, off")
    ] = "auto",
    status_every: Annotated[str, typer.Option(help="plain view: at most one line this often")] = "30 s",
    metrics_port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="serve the latest figures as OpenMetrics (0: a free port)")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="address of the metrics endpoint")] = "127.0.0.1",
) -> None:
    """Run a profile end to end and judge it."""
    from harness.config import ConfigError, load_profile
    from harness.procs import HarnessError
    from harness.runner import RunFailed, RunInterrupted, run_profile

    overrides: dict[str, dict[str, object]] = {"run": {}}
    if duration is not None:
        overrides["run"]["duration"] = duration
    if results is not None:
        overrides["run"]["results_dir"] = str(results)
    if workers is not None:
        overrides["load"] = {"workers": workers}
    live = _live_options(view, status_every, metrics_port, metrics_host)
    try:
        spec = load_profile(profile, overrides, set_ or ())
        outcome = run_profile(spec, profile, live)
    except ConfigError as exc:
        _fail(str(exc))
    except RunFailed as exc:
        _echo_partial(exc.run_dir, exc.verdict, as_json)
        _fail(str(exc))
    except HarnessError as exc:
        _fail(str(exc))
    except RunInterrupted as exc:
        _echo_partial(exc.run_dir, exc.verdict, as_json)
        _fail("interrupted; every started process was stopped", EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    _say(f"results: {outcome.run_dir}", as_json)
    _echo_verdict(outcome.run_dir, outcome.verdict, as_json)


def _live_options(view: str, status_every: str, metrics_port: int | None, metrics_host: str) -> LiveOptions | None:
    """None when nothing is to be shown or served: the run then feeds no view at all."""
    from harness.live.view import LiveOptions, ViewMode
    from shared.units import UnitError, parse_duration_s

    try:
        mode = ViewMode(view)
    except ValueError:
        _fail(f"--view: {view!r} is not one of {', '.join(mode.value for mode in ViewMode)}")
    try:
        every_s = parse_duration_s(status_every)
    except UnitError as exc:
        _fail(f"--status-every: {exc}")
    if every_s < 1:
        _fail("--status-every: at least 1 s")
    if mode is ViewMode.OFF and metrics_port is None:
        return None
    return LiveOptions(mode, every_s, metrics_host, metrics_port)


def _echo_verdict(run_dir: Path, verdict: Verdict, as_json: bool) -> NoReturn:
    from harness.report.render import EXIT_CODES

    _show_verdict(run_dir, verdict, as_json)
    raise typer.Exit(EXIT_CODES[verdict.status])


def _show_verdict(run_dir: Path, verdict: Verdict, as_json: bool, partial: bool = False) -> None:
    """The verdict for a person (stdout, or stderr with --json), and the document on stdout with --json."""
    from harness.outputs import OutputError, dumps, verdict_output
    from harness.report.render import describe

    heading = "verdict on what was recorded (partial)" if partial else "verdict"
    _say(f"{heading}: {verdict.status.value.upper()}", as_json)
    for line in describe(verdict):
        _say(line, as_json)
    if as_json:
        try:
            typer.echo(dumps(verdict_output(run_dir)))
        except OutputError as exc:
            _fail(str(exc))


def _echo_partial(run_dir: Path, verdict: Verdict | None, as_json: bool) -> None:
    """Where a run that stopped early left its record, and the verdict on it (written there too)."""
    if verdict is None:
        _say(f"results: {run_dir} (it stopped before the first sample: nothing to judge)", as_json)
        return
    _say(f"results: {run_dir}", as_json)
    _show_verdict(run_dir, verdict, as_json, partial=True)


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
def report(
    run_dir: Annotated[Path, typer.Argument(help="a results/<run> directory")], as_json: JsonFlag = False
) -> None:
    """Recompute the verdict of a stored run (also one that was killed)."""
    _judge_and_exit(run_dir, as_json)


def _judge_and_exit(run_dir: Path, as_json: bool = False) -> NoReturn:
    from harness.evaluate import EvaluateError, judge_run

    try:
        verdict = judge_run(run_dir)
    except EvaluateError as exc:
        _fail(str(exc))
    except OSError as exc:  # a run directory we may read but not write (a CI artifact)
        _fail(f"cannot write the report into {run_dir}: {exc.strerror or exc}")
    _echo_verdict(run_dir, verdict, as_json)


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="the baseline run directory")],
    run_b: Annotated[Path, typer.Argument(help="the run to compare with it")],
    calls_tolerance: Annotated[
        float, typer.Option(min=0, help="allowed rise of calls (or jobs) per update in B, as a share: 0.2 = +20%")
    ] = 0.2,
    out: Annotated[
        Path | None, typer.Option(help="directory for compare-<A>.html and .md (default: B's run directory)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the comparison as JSON on stdout; the table on stderr")
    ] = False,
) -> None:
    """Two runs side by side, and a page with both overlaid per judged metric; exit 1 when a check is
    worse in B than in A, or B does more work per update."""
    from harness.evaluate.compare import compare_runs
    from harness.outputs import comparison_output, dumps
    from harness.report.compare import CompareError, format_table

    try:
        compared = compare_runs(run_a, run_b, calls_tolerance, out)
    except CompareError as exc:
        _fail(str(exc))
    rows, page, table = compared.rows, compared.page, compared.table
    for line in format_table(rows, run_a, run_b):
        _say(line, as_json)
    _say(f"overlay: {page}", as_json)
    _say(f"table: {table}", as_json)
    if as_json:
        typer.echo(dumps(comparison_output(rows, run_a, run_b, (page, table))))
    raise typer.Exit(1 if any(row.regressed for row in rows) else 0)


@app.command("snapshot-diff")
def snapshot_diff(
    before: Annotated[Path, typer.Argument(help="the earlier .heapsnapshot")],
    after: Annotated[Path, typer.Argument(help="the later one, of the same process")],
) -> None:
    """The kinds of object that grew between two V8 heap snapshots, with their retainer paths."""
    from harness.heapsnap.diff import diff_files
    from harness.heapsnap.stream import SnapshotFormatError
    from harness.report.heap import growth_text

    try:
        growth = diff_files(before, after)
    except SnapshotFormatError as exc:
        _fail(str(exc))
    for line in growth_text(growth):
        typer.echo(line)


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
