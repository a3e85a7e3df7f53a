"""The vocabulary (vocab/) is the one place metric, upstream and event names are spelled: checked
on the AST of every other module, and against the event names the Node preload writes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from harness.documents.events import MODELS
from vocab import metrics
from vocab.events import EventKind
from vocab.metrics import Metric
from vocab.upstreams import Peer, Upstream, peer_of

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("harness", "mocks", "scenarios")
# An event kind that is also a field of the event records ("phase", the watchdog's "stopped") is
# spelled as a field name too: those are left to the typed documents.
FIELDS = {name for model in MODELS.values() for name in model.model_fields}
NAMES = {
    str(name): f"{kind.__name__}.{name.name}"
    for kind in (Metric, Upstream, EventKind)
    for name in kind
    if not (kind is EventKind and name in FIELDS)
}
# How the builders' names begin: a literal or an f-string starting so assembles a name by hand.
BUILT = (
    metrics.MOCKS_PREFIX,
    metrics.COLLECTOR_PREFIX,
    metrics.CALLS_PER_UPDATE_PREFIX,
    metrics.E2E_LATENCY_PREFIX,
    *(build("").removesuffix(".") + "." for build in (metrics.fds_of_kind, metrics.tcp_by_state, metrics.tcp_by_peer)),
    *(build("").removesuffix(".") + "." for build in (metrics.node_resource, metrics.redis_keys_of)),
    *(build("").removesuffix(".") + "." for build in (metrics.tmp_files_of, metrics.tmp_bytes_of)),
)


# A run directory's files (mocks.jsonl, mocks.log) begin like the mocks' metrics but are not names.
RUN_FILE = re.compile(r"[\w-]+\.(jsonl|log)\b")


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the string constants that are docstrings (of the module, a class or a function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _leading_text(node: ast.AST) -> str | None:
    """The text a string literal or an f-string starts with."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_text(node.values[0])
    return None


def spelled_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of every string literal that is a vocabulary name, and of every literal or
    f-string that begins like a built name (mocks.<upstream>.<figure>, ...), docstrings aside."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    in_fstring = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        text = _leading_text(node)
        if text is None or id(node) in docstrings or id(node) in in_fstring:
            continue
        if text in NAMES or (text.startswith(BUILT) and not RUN_FILE.match(text)):
            found.append((node.lineno, text))
    return found


def test_no_module_outside_the_vocabulary_spells_a_name() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name!r} is {_named(name)}"
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, name in spelled_names(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def _named(name: str) -> str:
    return NAMES.get(name, "built by a vocab.metrics builder")


def test_the_scanner_finds_a_spelled_name_and_skips_docstrings() -> None:
    source = (
        '"""target.rss_bytes in a docstring"""\nX = "target.rss_bytes"\nY = {"telegram": 1}\nZ = "phases"\n'
        'W = f"mocks.{up}.requests_total"\nV = f"target.cwd: {cwd}"\n'
    )
    assert sorted(spelled_names(source)) == [(2, "target.rss_bytes"), (3, "telegram"), (5, "mocks.")]


def test_every_event_kind_has_its_typed_record() -> None:
    assert set(MODELS) == set(EventKind)
    assert {"phase", "stopped"} <= FIELDS and len(NAMES) > 60  # the exemption stays narrow


def test_the_preload_writes_only_event_kinds_of_the_vocabulary() -> None:
    preload = (ROOT / "harness" / "interception" / "preload.js").read_text(encoding="utf-8")
    written = set(re.findall(r"appendEvent\('([a-z_]+)'", preload))
    assert written == {EventKind.EGRESS_REFUSED, EventKind.PRELOAD_ACTIVE}
    assert written <= set(EventKind)


def test_every_upstream_names_its_connections_and_every_metric_has_a_unit() -> None:
    assert [peer_of(upstream) for upstream in Upstream] == [Peer.TELEGRAM, Peer.ELEVENLABS, Peer.CURSOR_RUNNER]
    assert metrics.unit_of(Metric.RSS_BYTES) == "bytes" and metrics.unit_of(Metric.LOOP_DELAY_P99_S) == "seconds"
    assert metrics.unit_of(Metric.REQUESTS_PER_S) == "per_s" and metrics.unit_of(Metric.FDS) == "count"
    assert metrics.probe_of_error(metrics.probe_metric("tcp", "first_error")) == "tcp"
    assert metrics.probe_of_error(metrics.probe_metric("tcp", "errors_total")) is None


def test_the_targets_main_thread_metrics_are_its_roles() -> None:
    """The process probe records the fixed names; the starvation rule reads them by role."""
    from vocab.metrics import TARGET_ROLE, Metric, main_thread_run, main_thread_wait

    assert main_thread_run(TARGET_ROLE) == Metric.MAIN_THREAD_RUN_RATIO
    assert main_thread_wait(TARGET_ROLE) == Metric.MAIN_THREAD_WAIT_RATIO
